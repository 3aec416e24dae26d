"""`from emoji_fer import FER, Video, InvalidImage` as a drop-in for the `fer` package.

First, every case of fer 25.10.3's own tests/test_fer.py, in this project's words, with
the same inputs and assertions and only the imports changed (fer reads justin.jpg,
no-faces.jpg and woman2.mp4 from its folder, these tests from the shared samples). Two of
fer's assertions are figures of fer's own model, not of its API: those assert what the
shipped model does instead, and docs/fer.md gives both models' figures.

Then what a fer user relies on without a test in fer: BGR arrays by default, the rounded
schema, InvalidImage for unusable input, the keywords honoured or refused with a message
that names them, and Video's options (nothing written unless asked).
"""

import json
import sys

import cv2
import numpy as np
import pandas as pd
import pytest

from emoji_fer import FER, LABELS, ImageError, InvalidImage, Predictor, Video
from emoji_fer.video import VideoError, probe


@pytest.fixture(scope="module")
def detector():
    return FER()


@pytest.fixture(scope="module")
def mtcnn_detector():
    return FER(mtcnn=True)


def top(emotions):
    return max(emotions, key=emotions.get)


# fer's tests/test_fer.py, case by case.

@pytest.mark.parametrize("mtcnn", [False, pytest.param(True, marks=pytest.mark.slow)], ids=["default", "mtcnn"])
def test_detect_emotions(request, samples, mtcnn):
    """FER finds the face in justin.jpg (fer's default detector and MTCNN) and scores it."""
    fer = request.getfixturevalue("mtcnn_detector" if mtcnn else "detector")
    result = fer.detect_emotions(str(samples / "justin.jpg"))
    assert len(result) == 1
    first = result[0]
    # fer asserts happy > 0.9, a figure of its own model; the shipped model's is 0.92
    # (0.92 with MTCNN too), and what this test holds it to is that happy is the top
    # expression (docs/fer.md, "What differs").
    assert top(first["emotions"]) == "happy"
    assert "box" in first
    assert "emotions" in first
    assert len(first["box"])  # fer: assertTrue(len(box), 1), true for any box that is not empty


def test_detect_faces_invalid_content(detector):
    """A file that is no image, read by OpenCV (None), raises InvalidImage."""
    not_an_image = cv2.imread(__file__)  # fer reads its example.py: Python source too
    assert not_an_image is None
    with pytest.raises(InvalidImage):
        detector.detect_emotions(not_an_image)


def test_detect_no_faces_on_no_faces_content(detector, samples):
    """An image without a face gives an empty list."""
    no_faces = cv2.imread(str(samples / "no-faces.jpg"))
    assert len(detector.detect_emotions(no_faces)) == 0


def test_top_emotion(detector, samples):
    """top_emotion gives a string and a float for the first face."""
    justin = cv2.imread(str(samples / "justin.jpg"))
    label, score = detector.top_emotion(justin)
    assert isinstance(label, str)
    assert isinstance(float(score), float)


@pytest.mark.slow  # every one of the 464 frames, as fer's test analyses them
def test_video(woman2):
    fer = FER()
    video = Video(str(woman2))
    raw_data = video.analyze(fer, display=False)
    assert isinstance(raw_data, list)
    df = video.to_pandas(raw_data)
    # fer asserts neutral > 0.5 on the first 5 frames, a figure of its own model; the
    # shipped model reads a slight smile there (happy 0.74-0.76, neutral 0.23-0.25), so
    # this test holds it to happy being the top expression (docs/fer.md, "What differs").
    assert (df[list(LABELS)][:5].idxmax(axis=1) == "happy").all(), df[:5]
    assert isinstance(df, pd.DataFrame)
    assert "angry" in df
    df = video.get_first_face(df)
    assert isinstance(df, pd.DataFrame)
    df = video.get_emotions(df)
    assert isinstance(df, pd.DataFrame)


# What a fer user relies on beyond fer's tests.

@pytest.fixture(scope="module")
def justin_bgr(samples):
    return cv2.imread(str(samples / "justin.jpg"))


def rounded(faces):
    return [{"box": f["box"], "emotions": {k: round(p, 2) for k, p in f["emotions"].items()}} for f in faces]


def test_arrays_are_bgr_by_default_and_files_decode_as_usual(detector, predictor, justin_bgr, samples):
    rgb = np.ascontiguousarray(justin_bgr[..., ::-1])
    faces = detector.detect_emotions(justin_bgr)
    # The same image: BGR through FER, RGB through the Predictor (its default).
    assert faces == rounded(predictor.detect_emotions(rgb))
    # An RGB array given to FER is read as BGR, as fer reads it: other scores.
    assert detector.detect_emotions(rgb) != faces
    # Files and PIL images carry their own colours.
    from PIL import Image

    assert detector.detect_emotions(samples / "justin.jpg") == faces
    assert detector.detect_emotions(Image.open(samples / "justin.jpg")) == faces
    assert detector.detect_emotions((samples / "justin.jpg").read_bytes()) == faces
    import base64

    uri = "data:image/jpeg;base64," + base64.b64encode((samples / "justin.jpg").read_bytes()).decode()
    assert detector.detect_emotions(uri) == faces
    assert detector.batch_detect_emotions([justin_bgr, samples / "no-faces.jpg"]) == [faces, []]


def test_the_schema_is_fers(detector, justin_bgr):
    (face,) = detector.detect_emotions(justin_bgr)
    assert set(face) == {"box", "emotions"}
    assert len(face["box"]) == 4 and all(isinstance(v, int) for v in face["box"])
    assert list(face["emotions"]) == list(LABELS)
    # Rounded to 2 decimals as fer rounds, so they need not sum to exactly 1.
    assert all(isinstance(p, float) and 0 <= p <= 1 and p == round(p, 2) for p in face["emotions"].values())
    assert sum(face["emotions"].values()) == pytest.approx(1.0, abs=0.04)
    json.dumps(face)
    assert detector.top_emotion(justin_bgr) == ("happy", face["emotions"]["happy"])


# What each input is made of (parameters are names: the conftest's marker hook compares
# parameter values with ==, which an array cannot answer).
UNUSABLE = {
    "None": lambda tmp: None,
    "garbage-bytes": lambda tmp: b"garbage \x00\x01 bytes",
    "empty-bytes": lambda tmp: b"",
    "missing-path": lambda tmp: str(tmp / "missing.jpg"),
    "int": lambda tmp: 42,
    "url": lambda tmp: "https://example.com/a.jpg",
    "bad-base64": lambda tmp: "data:image/png;base64,not base64!",
    "float-array": lambda tmp: np.zeros((48, 48), np.float32),
}


@pytest.mark.parametrize("name", UNUSABLE)
def test_unusable_input_raises_invalid_image(detector, tmp_path, name):
    bad = UNUSABLE[name](tmp_path)
    with pytest.raises(InvalidImage) as caught:
        detector.detect_emotions(bad)
    assert str(caught.value)  # says why
    # Also emoji_fer's own error class, and fer's top_emotion raises it too.
    assert isinstance(caught.value, ImageError) and isinstance(caught.value, ValueError)
    with pytest.raises(ImageError):
        detector.top_emotion(bad)


@pytest.mark.parametrize("keywords, named", [
    ({"tfserving": True}, "tfserving"),
    ({"cascade_file": "haarcascade_frontalface_alt.xml"}, "cascade_file"),
    ({"scale_factor": 1.3}, "scale_factor"),
    ({"min_neighbors": 3}, "min_neighbors"),
    ({"offsets": (20, 40)}, "offsets"),
    # fer's own checks of the values
    ({"scale_factor": 1.0}, "scale_factor"),
    ({"min_face_size": 0}, "min_face_size"),
    ({"min_neighbors": -1}, "min_neighbors"),
    ({"offsets": (10,)}, "offsets"),
])
def test_keywords_without_an_equivalent_are_refused_by_name(keywords, named):
    with pytest.raises(ValueError, match=named):
        FER(**keywords)


def test_keywords_with_an_equivalent_are_honoured(detector, justin_bgr):
    # fer's defaults are accepted as they are; use_tflite=True is the LiteRT export.
    assert FER(cascade_file=None, tfserving=False, use_tflite=True, scale_factor=1.1, min_neighbors=5,
               offsets=[10, 10]).predictor.runtime == "litert"
    assert detector.predictor.detector.backend == "blazeface"
    # min_face_size drops smaller faces (justin's box is 166 px).
    assert FER(min_face_size=200).detect_emotions(justin_bgr) == []
    assert FER(min_face_size=150).detect_emotions(justin_bgr) == detector.detect_emotions(justin_bgr)
    with pytest.raises(TypeError, match="emotion_model"):
        FER(emotion_model="model.hdf5")
    with pytest.raises(ValueError, match="face_rectangles"):
        detector.detect_emotions(justin_bgr, face_rectangles=[(0, 0, 50, 50)])


@pytest.mark.slow  # TensorFlow's import and MTCNN's pyramid
def test_mtcnn_selects_emoji_fers_mtcnn_detector(mtcnn_detector):
    assert mtcnn_detector.predictor.detector.backend == "mtcnn"


def test_predictor_keeps_its_rgb_default():
    import inspect

    for method in (Predictor.predict, Predictor.detect_emotions, Predictor.top_emotion):
        assert inspect.signature(method).parameters["channels"].default == "RGB"


def test_analyze_writes_nothing_unless_asked(detector, woman2, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where fer would write output/ and data.csv
    video = Video(woman2)
    rows = video.analyze(detector, frequency=15, max_results=3)
    assert list(tmp_path.iterdir()) == []
    assert len(rows) == 3
    assert list(rows[0]) == ["box0", *(f"{label}0" for label in LABELS)]
    df = video.analyze(detector, output="pandas", frequency=15, max_results=3)
    assert list(df.columns) == ["box", *LABELS] and len(df) == 3
    assert video.to_pandas(rows).equals(df) and video.to_pandas(df) is df
    # The same frames as FER on OpenCV's frames 0, 15 and 30.
    capture = cv2.VideoCapture(str(woman2))
    for index, row in enumerate(rows):
        capture.set(cv2.CAP_PROP_POS_FRAMES, 15 * index)
        ok, frame = capture.read()
        face = detector.detect_emotions(frame)[0]
        assert row["box0"] == face["box"] and all(row[f"{k}0"] == p for k, p in face["emotions"].items())
    capture.release()
    # save_fps: every fps // save_fps-th frame (29.97 // 2 = 14).
    assert video.analyze(detector, save_fps=2, max_results=2)[1] == video.analyze(detector, frequency=14,
                                                                                  max_results=2)[1]


def test_analyze_saves_frames_and_video_when_asked(detector, woman2, tmp_path):
    out = tmp_path / "out"
    video = Video(woman2, outdir=out)
    video.analyze(detector, frequency=15, max_results=3, save_frames=True, save_video=True)
    import zipfile

    with zipfile.ZipFile(out / "images.zip") as archive:
        assert sorted(archive.namelist()) == ["woman20.jpg", "woman215.jpg", "woman230.jpg"]
    assert not list(out.glob("*.jpg"))  # zipped, as fer does
    info = probe(out / "woman2_output.mp4")
    assert (info.width, info.height, info.frames) == (596, 336, 3)

    Video(woman2, outdir=out, tempfile=str(tmp_path / "partial.mp4")).analyze(
        detector, max_results=2, save_frames=True, zip_images=False, annotate_frames=False, save_video=True,
        video_id="clip")
    assert sorted(p.name for p in out.glob("*.jpg")) == ["clip0.jpg", "clip1.jpg"]
    assert probe(out / "woman2_output.mp4").frames == 2 and not (tmp_path / "partial.mp4").exists()
    # Not annotated: the frame as decoded (JPEG's loss aside).
    capture = cv2.VideoCapture(str(woman2))
    ok, first = capture.read()
    capture.release()
    assert np.abs(cv2.imread(str(out / "clip0.jpg")).astype(int) - first).mean() < 3


def test_detection_box_searches_part_of_the_frame(detector, woman2):
    video = Video(woman2)
    whole = video.analyze(detector, max_results=1)[0]["box0"]
    box = {"x_min": 150, "x_max": 450, "y_min": 40, "y_max": 330}
    part = video.analyze(detector, max_results=1, detection_box=box)[0]["box0"]
    assert all(abs(a - b) <= 6 for a, b in zip(part, whole)), (part, whole)  # in the whole frame's pixels
    assert video.analyze(detector, max_results=1, detection_box={"x_min": 0, "x_max": 150}) == []


@pytest.mark.parametrize("keywords, named", [
    ({"display": True}, "display"),
    ({"include_audio": True}, "include_audio"),
    ({"output": "json"}, "output"),
    ({"lang": "de", "save_video": True}, "lang"),
    ({"size_multiplier": 2, "save_frames": True}, "size_multiplier"),
])
def test_analyze_refuses_what_it_cannot_honour(detector, woman2, tmp_path, keywords, named):
    with pytest.raises(ValueError, match=named):
        Video(woman2, outdir=tmp_path / "out").analyze(detector, max_results=1, **keywords)
    assert not (tmp_path / "out").exists()


def test_video_errors(detector, woman2, tmp_path):
    with pytest.raises(VideoError, match="no such file"):
        Video(tmp_path / "missing.mp4")
    with pytest.raises(TypeError, match="FER"):
        Video(woman2).analyze(Predictor(), max_results=1)


def test_rows_to_csv_and_faces(detector, woman2, tmp_path):
    video = Video(woman2, first_face_only=False)
    rows = video.analyze(detector, max_results=2)
    assert video.to_csv(rows, tmp_path / "rows.csv") == rows
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert lines[0] == "angry0,box0,disgust0,fear0,happy0,neutral0,sad0,surprise0"  # fer's order: by name
    assert len(lines) == 3 and '"[229, 102, 110, 111]"' in lines[1]
    df = video.to_pandas(rows)  # first_face_only=False: the faces' numbers stay
    assert "angry0" in df and "angry" not in df
    assert list(video.get_first_face(df).columns) == ["box", *LABELS]
    assert list(video.get_emotions(video.get_first_face(df)).columns) == list(LABELS)
    # Frames' faces (detect_emotions results) convert as fer's rows do.
    capture = cv2.VideoCapture(str(woman2))
    frames = [detector.detect_emotions(capture.read()[1]) for _ in range(2)]
    capture.release()
    assert video.to_pandas(frames).equals(df)
    assert video.to_pandas([]).empty


def test_dataframes_without_pandas_say_what_to_install(woman2, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` raises ImportError
    with pytest.raises(ImportError, match=r"pip install"):
        Video(woman2).to_pandas([])
