"""The `fer` package's API on emoji_fer's model: `FER`, `Video` and `InvalidImage`.

A user of fer 25.10.3 (`fer/fer.py`, `fer/classes.py`, `fer/exceptions`) switches with
one line: `from emoji_fer import FER, Video, InvalidImage` for `from fer import FER,
Video` and `from fer.exceptions import InvalidImage`. What is the same:

- `FER(...)` takes fer's constructor keywords; `mtcnn=True` selects MTCNN (the [mtcnn]
  extra). A keyword with an equivalent here is honoured, one without is refused with a
  ValueError that says what to do instead (see `FER`).
- numpy arrays are taken as OpenCV's BGR (`cv2.imread`, `cv2.VideoCapture`), as fer
  takes them; paths, bytes, PIL images and `data:image/...;base64,` strings are decoded
  with their own colours.
- `detect_emotions(img)` returns fer's schema, `[{"box": [x, y, w, h], "emotions":
  {label: p}}]` with p rounded to 2 decimals as fer rounds; `top_emotion(img)` gives
  (label, score) of the first face or (None, None).
- `None` (what `cv2.imread` returns for a file it cannot read) and every unusable input
  raise `InvalidImage`.
- `Video(path).analyze(detector, ...)` takes fer's keywords and returns fer's rows: one
  per analysed frame with a face, columns `box0, angry0, ..., neutral0, box1, ...`;
  `to_pandas`, `get_first_face`, `get_emotions` and `to_csv` as fer's.

What differs:

- the model, detector and crop are emoji_fer's (BlazeFace by default, faces aligned by
  their eyes, eight test-time views), so the scores are not fer's; faces come largest
  first, and an image of at most 96 px is classified whole (a FER-2013-style crop);
- `analyze` writes nothing unless asked: `save_frames` and `save_video` default to False
  (fer's to True) and the rows are not also written to `./data.csv` (call `to_csv`);
  `display=True` and `include_audio=True` are refused (OpenCV is headless here, and
  its video writer has no audio);
- URLs are not fetched (download the image and pass its bytes).
"""

import base64
import binascii
import csv
import os
import re
import zipfile

import cv2
import numpy as np
from PIL import Image

from emoji_fer.detect import DEFAULT_DETECTOR
from emoji_fer.images import ImageError, load_rgb
from emoji_fer.predictor import Predictor
from emoji_fer.video import MAX_FPS, AnnotatedWriter, iter_frames, probe

# fer's defaults for the keywords that tune its Haar cascade and its crop: accepted as
# they are (they ask for nothing), refused when changed (nothing here would honour them).
HAAR_DEFAULTS = {"scale_factor": 1.1, "min_neighbors": 5}
FER_OFFSETS = (10, 10)
PANDAS_REMEDY = "pip install pandas (or the [demo] extra: pip install 'emoji-fer[demo]')"


class InvalidImage(ImageError):
    """The input is not a usable image (None, unreadable, not an image), as fer's
    `fer.exceptions.InvalidImage` says. Also an emoji_fer ImageError (a ValueError), so
    `except InvalidImage` and `except ImageError` both catch it."""


class FER:
    """fer's `FER` on emoji_fer's model: finds every face and scores its expression.

    Keywords as fer 25.10.3's:
    - mtcnn: False finds faces with BlazeFace (emoji_fer's default), True with MTCNN
      (raises emoji_fer.detect.DetectorUnavailable, an ImportError, here when the
      [mtcnn] extra is missing, as fer raises when facenet-pytorch is).
    - use_tflite: True runs the model's LiteRT export (runtime "auto"), False the Keras
      model (runtime "keras", needs TensorFlow: the [train] extra).
    - min_face_size: px; faces whose box is narrower or shorter are dropped (fer passes
      it to its Haar cascade). An image classified whole is kept whatever its size.
    - tfserving=True, cascade_file, and scale_factor, min_neighbors or offsets other than
      fer's defaults raise ValueError: there is no TF Serving backend and no Haar cascade
      here, and the crop around each face is the one the model was trained on.
    Invalid values raise ValueError as fer's do (scale_factor <= 1, min_face_size < 1,
    min_neighbors < 0, offsets not a pair). `predictor` is the emoji_fer.Predictor used.
    """

    def __init__(self, cascade_file=None, mtcnn=False, tfserving=False, use_tflite=True,
                 scale_factor=1.1, min_face_size=50, min_neighbors=5, offsets=FER_OFFSETS):
        if scale_factor <= 1.0:
            raise ValueError("scale_factor must be greater than 1.0")
        if min_face_size < 1:
            raise ValueError("min_face_size must be at least 1")
        if min_neighbors < 0:
            raise ValueError("min_neighbors must be non-negative")
        if not isinstance(offsets, (tuple, list)) or len(offsets) != 2:
            raise ValueError("offsets must be a tuple or list of length 2")
        if tfserving:
            raise ValueError("tfserving=True: emoji_fer has no TensorFlow Serving backend; the model runs in this "
                             "process (LiteRT): drop tfserving")
        if cascade_file is not None:
            raise ValueError("cascade_file: emoji_fer's FER finds faces with BlazeFace (or MTCNN with mtcnn=True), "
                             "not a Haar cascade: drop cascade_file")
        for name, value in (("scale_factor", scale_factor), ("min_neighbors", min_neighbors)):
            if value != HAAR_DEFAULTS[name]:
                raise ValueError(f"{name}={value!r} tunes OpenCV's Haar cascade, which emoji_fer's FER does not run "
                                 f"(it uses BlazeFace, or MTCNN with mtcnn=True): drop {name}")
        if tuple(offsets) != FER_OFFSETS:
            raise ValueError(f"offsets={tuple(offsets)!r}: the margin around each face is the one the model was "
                             "trained with (15 % of the box on each side) and cannot be changed: drop offsets")
        self.min_face_size = min_face_size
        self.predictor = Predictor(detector="mtcnn" if mtcnn else DEFAULT_DETECTOR,
                                   runtime="auto" if use_tflite else "keras")
        if mtcnn:
            # Built now, so that a missing [mtcnn] extra is reported by the constructor,
            # as fer reports a missing facenet-pytorch, not by the first image.
            self.predictor.detector  # noqa: B018 - the property builds it

    def detect_emotions(self, img, face_rectangles=None):
        """Every face in an image, fer's schema.

        img: a path (str or Path), bytes, a PIL image, a `data:image/...;base64,` string,
        or an (H, W[, 1|3|4]) uint8 array in OpenCV's BGR(A) order.
        Returns [{"box": [x, y, w, h] ints in px, "emotions": {label: p}}], largest face
        first, p a float in [0, 1] rounded to 2 decimals, the seven labels in
        emoji_fer.LABELS order; [] when no face is found.
        Raises InvalidImage for None and any unusable input; ValueError for
        face_rectangles (emoji_fer finds and aligns the faces itself: classify your own
        crops with `predictor.predict(crop, detect=False)`).
        """
        if face_rectangles is not None:
            raise ValueError("face_rectangles: emoji_fer's FER finds and aligns the faces itself; to classify crops "
                             "of your own, pass each to FER().predictor.predict(crop, detect=False)")
        rgb, factor = _load(img)
        return self._emotions(rgb, factor)

    def batch_detect_emotions(self, imgs):
        """`detect_emotions` of each image in a list, in order."""
        return [self.detect_emotions(img) for img in imgs]

    def top_emotion(self, img):
        """(label, score) of the first face's highest rounded score (ties: the label first
        in LABELS order, as fer's `max`), score a float in [0, 1]; (None, None) when no
        face is found. img and errors as in `detect_emotions`."""
        faces = self.detect_emotions(img)
        if not faces:
            return None, None
        emotions = faces[0]["emotions"]
        label = max(emotions, key=emotions.get)
        return label, emotions[label]

    def _emotions(self, rgb, factor=1.0):
        """detect_emotions' result for an (H, W, 3) uint8 RGB image downscaled by `factor`."""
        result = self.predictor.predict_rgb(rgb, factor, top_k=1)
        return [{"box": face["box"], "emotions": {label: round(p, 2) for label, p in face["scores"].items()}}
                for face in result["faces"] if result["whole_image"] or min(face["box"][2:]) >= self.min_face_size]


def _load(img):
    """(rgb, factor) as emoji_fer.images.load_rgb gives them, arrays read as BGR; raises
    InvalidImage."""
    if img is None:
        raise InvalidImage("Image not valid: got None (cv2.imread returns None for a file it cannot read)")
    if isinstance(img, str) and img.startswith("data:image/"):
        try:
            img = base64.b64decode(img.partition(",")[2], validate=True)
        except (binascii.Error, ValueError) as err:
            raise InvalidImage(f"not a valid base64 data URI ({err})") from None
    elif isinstance(img, str) and img.startswith(("http://", "https://")):
        raise InvalidImage(f"{img}: URLs are not fetched; download the image and pass its bytes or path")
    if not isinstance(img, (str, os.PathLike, bytes, bytearray, np.ndarray, Image.Image)):
        raise InvalidImage(f"unsupported image type {type(img).__name__}: pass a path, bytes, a PIL image or a "
                           "uint8 numpy array")
    try:
        return load_rgb(img, channels="BGR")
    except ImageError as err:
        raise InvalidImage(str(err)) from None


class Video:
    """fer's `Video`: a video file, analysed frame by frame with a FER.

    video_file: path (str or Path) of an MP4, MOV, WebM, MKV or AVI file. outdir: the
    folder `analyze` saves frames and the annotated video into (made only when it does).
    first_face_only: `to_pandas` keeps the first face's columns only (named without the
    face number). tempfile: the annotated video is written there, then moved into outdir.
    Raises emoji_fer.video.VideoError (a ValueError) for a missing or undecodable file,
    where fer asserts.
    """

    def __init__(self, video_file, outdir="output", first_face_only=True, tempfile=None):
        self.filepath = str(video_file)
        self.info = probe(self.filepath)
        self.outdir = str(outdir)
        self.first_face_only = first_face_only
        self.tempfile = tempfile
        self.filename = os.path.basename(self.filepath)

    def analyze(self, detector, display=False, output="csv", frequency=None, max_results=None, save_fps=None,
                video_id=None, save_frames=False, save_video=False, annotate_frames=True, zip_images=True,
                detection_box=None, lang="en", include_audio=False, size_multiplier=1, batch_size=1,
                use_async_io=True):
        """Recognise the expressions in the video's frames with `detector`, as fer does.

        detector: an emoji_fer FER. frequency: analyse every n-th frame (frames 0, n, 2n,
        ...); save_fps: n = the video's fps // save_fps instead. max_results: stop after
        this many analysed frames (with or without a face). detection_box: {"x_min",
        "x_max", "y_min", "y_max"} px, the part of each frame searched; boxes come back in
        the whole frame's pixels. output: "csv" returns the rows as a list of dicts, one
        per analysed frame with a face ({"box0": [x, y, w, h], "angry0": p, ...,
        "neutral0": p, "box1": ...}); "pandas" returns `to_pandas` of them.
        save_frames: write each analysed frame to outdir as `<video_id or name><index>.jpg`
        (annotated with box and emoji when annotate_frames), then zip them into
        outdir/images.zip when zip_images. save_video: write the analysed frames as
        outdir/<name>_output<ext> (.mp4 unless the input is .webm or .avi), at the rate
        they were analysed. batch_size and use_async_io change only how fer schedules
        its work and are accepted.
        Raises ValueError for display=True, include_audio=True, an unknown output, and
        lang or size_multiplier other than fer's defaults when frames are drawn (the
        drawing is emoji_fer's: English label and emoji, sized to the frame); TypeError
        for a detector that is not an emoji_fer FER; VideoError if the video cannot be
        decoded; ImportError for output="pandas" without pandas.
        """
        if not isinstance(detector, FER):
            raise TypeError(f"detector must be an emoji_fer FER, got {type(detector).__name__} (for a Predictor use "
                            "emoji_fer.video.analyze_video)")
        if display:
            raise ValueError("display=True: emoji_fer's OpenCV is headless and opens no window; use save_video=True "
                             "and play the file it writes")
        if include_audio:
            raise ValueError("include_audio=True: the annotated video is written by OpenCV, which copies no sound; "
                             "add it back with ffmpeg (-map 0:v -map 1:a from the output and the original)")
        if output not in ("csv", "pandas"):
            raise ValueError(f"output must be 'csv' or 'pandas', got {output!r}")
        drawn = annotate_frames and (save_frames or save_video)
        if drawn and (lang != "en" or size_multiplier != 1):
            raise ValueError("lang and size_multiplier: emoji_fer draws each face's box, emoji and English label "
                             "sized to the frame; leave lang='en' and size_multiplier=1, or annotate_frames=False")
        if save_fps is not None:
            if not self.info.fps:
                raise ValueError(f"save_fps: {self.filepath} does not give its frame rate; use frequency")
            frequency = self.info.fps // save_fps
        step = max(1, int(frequency or 1))

        root, ext = os.path.splitext(self.filename)
        if save_frames or save_video:
            os.makedirs(self.outdir, exist_ok=True)
        outfile = os.path.join(self.outdir, f"{root}_output{ext if ext.lower() in AnnotatedWriter.CODECS else '.mp4'}")
        writer = AnnotatedWriter(self.tempfile or outfile, (self.info.fps or MAX_FPS) / step) if save_video else None
        frames, saved, analysed = [], [], 0
        try:
            for index, (_, rgb, _) in enumerate(iter_frames(self.filepath, MAX_FPS, every_frame=True)):
                if index % step:
                    continue
                if max_results and analysed >= max_results:
                    break
                faces = _in_box(detector, rgb, detection_box)
                analysed += 1
                if faces:
                    frames.append(faces)
                if save_frames or save_video:
                    shown = _annotate(rgb, faces) if annotate_frames else rgb
                    if save_frames:
                        saved.append(os.path.join(self.outdir, f"{video_id or root}{index}.jpg"))
                        if not cv2.imwrite(saved[-1], cv2.cvtColor(shown, cv2.COLOR_RGB2BGR)):
                            raise OSError(f"cannot write {saved[-1]}")
                    if writer is not None:
                        writer.write(shown)
        finally:
            if writer is not None:
                writer.close()
        if writer is not None and self.tempfile:
            os.replace(self.tempfile, outfile)
        if saved and zip_images:
            with zipfile.ZipFile(os.path.join(self.outdir, "images.zip"), "w") as archive:
                for path in saved:
                    archive.write(path, arcname=os.path.basename(path))
                    os.remove(path)
        rows = self._to_dict(frames)
        return rows if output == "csv" else self.to_pandas(rows)

    @staticmethod
    def _to_dict(data):
        """fer's rows from a list of frames' faces (detect_emotions results); rows
        (dicts) are returned as they are."""
        if not data or isinstance(data[0], dict):
            return list(data)
        return [{f"{key}{i}": value for i, face in enumerate(faces)
                 for key, value in (("box", face["box"]), *face["emotions"].items())}
                for faces in data]

    def to_pandas(self, data):
        """The rows (or the frames' faces) as a pandas DataFrame, one row per frame with a
        face; only the first face's columns when first_face_only. A DataFrame is returned
        as it is. Raises ImportError, with the remedy, without pandas."""
        pd = _pandas()
        if isinstance(data, pd.DataFrame):
            return data
        if not len(data):
            return pd.DataFrame()
        df = pd.DataFrame(self._to_dict(data))
        return self.get_first_face(df) if self.first_face_only else df

    @staticmethod
    def get_first_face(df):
        """The first face's columns of a DataFrame, named without their face number
        ("angry0" -> "angry"); a DataFrame without numbered columns as it is."""
        pd = _pandas()
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"get_first_face takes a pandas DataFrame, got {type(df).__name__}")
        first = {column: match.group(1) for column in df.columns if (match := re.fullmatch(r"(\D+)0", str(column)))}
        if not first:
            return df
        single = df[list(first)].copy()
        single.columns = list(first.values())
        return single

    @staticmethod
    def get_emotions(df):
        """The DataFrame's score columns (every column but the boxes)."""
        return df[[column for column in df.columns if "box" not in str(column)]]

    def to_csv(self, data, filename="data.csv"):
        """Write the rows (or the frames' faces) to a CSV file at `filename` (fer always
        writes ./data.csv), columns sorted as fer sorts them (by name, then face number);
        boxes are written as "[x, y, w, h]". Returns the rows."""
        rows = self._to_dict(data)

        def key(column):
            name, number = re.fullmatch(r"(\D+)(\d+)", column).groups()
            return name, int(number)

        columns = sorted(set().union(*rows), key=key)
        with open(filename, "w", newline="") as file:
            writer = csv.DictWriter(file, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return rows


def _in_box(detector, rgb, box):
    """detector's faces in an RGB frame, or in its part `box` (fer's detection_box) with
    the boxes moved back into the whole frame's pixels."""
    if box is None:
        return detector._emotions(rgb)
    x0, y0 = box.get("x_min") or 0, box.get("y_min") or 0
    faces = detector._emotions(np.ascontiguousarray(rgb[y0:box.get("y_max"), x0:box.get("x_max")]))
    return [{**face, "box": [face["box"][0] + x0, face["box"][1] + y0, *face["box"][2:]]} for face in faces]


def _annotate(rgb, faces):
    """A copy of the frame with each face's box, emoji and top label (emoji_fer.draw)."""
    from emoji_fer.draw import draw_faces

    def drawn(face):
        label = max(face["emotions"], key=face["emotions"].get)
        return {"box": face["box"], "top": [{"label": label, "score": face["emotions"][label]}]}

    return draw_faces(rgb, [drawn(face) for face in faces])


def _pandas():
    try:
        import pandas
    except ImportError:
        raise ImportError(f"Video's DataFrames need pandas: {PANDAS_REMEDY}") from None
    return pandas
