"""scripts/bench_rotation.py (the rotated-faces benchmark) on a small subset:
35 PrivateTest faces (the first 5 of each class), angles 0 and 30, BlazeFace with
alignment and HOG. The figures in docs/benchmarks.md come from the full run, not from
here; nothing is timed."""

import math
import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import bench_rotation as bench  # noqa: E402

ANGLES = (0, 30)


@pytest.fixture(scope="module")
def subset(fer_dir):
    """(images (35, 48, 48) uint8, labels (35,) int64): the first 5 faces of each class."""
    from emoji_fer.fer2013 import load_fer2013

    images, labels = load_fer2013(fer_dir, splits=("PrivateTest",))["PrivateTest"]
    index = np.concatenate([np.flatnonzero(labels == c)[:5] for c in range(7)])
    return images[index], labels[index]


# The benchmark scores against FER-2013's own labels, and the accuracies below were
# measured with the model trained on them: it runs that model, by name. What alignment
# does (faces found, the eye line's error) does not depend on the classifier.
MODEL = "emoji_fer_fer2013"


@pytest.fixture(scope="module")
def hog_predictor():
    from emoji_fer.predictor import Predictor

    return Predictor(MODEL, detector="hog")


@pytest.fixture(scope="module")
def hog_result(hog_predictor, subset):
    return bench.run_detector(hog_predictor, *subset, ANGLES, align=True)


@pytest.fixture(scope="module")
def blazeface_predictor():
    from emoji_fer.predictor import Predictor

    return Predictor(MODEL, detector="blazeface")


@pytest.fixture(scope="module")
def blazeface_result(blazeface_predictor, subset):
    return bench.run_detector(blazeface_predictor, *subset, ANGLES, align=True)


def found_face(predictor, face, angle):
    """(gray canvas, the detection on the face) of one face's canvas at `angle`, or None."""
    from emoji_fer.preprocessing import to_gray

    rgb, region = bench.make_canvas(face, angle)
    hits = [f for f in predictor.detector.detect_faces(rgb) if bench.box_in_region(f["box"], region)]
    return (to_gray(rgb), hits[0]) if hits else None


@pytest.mark.slow
def test_every_canvas_has_exactly_one_face_region(subset, hog_predictor):
    images, _ = subset
    size = bench.CANVAS_PX
    for face in images:
        for angle in ANGLES:
            rgb, region = bench.make_canvas(face, angle)
            assert rgb.shape == (size, size, 3) and rgb.dtype == np.uint8
            # One rotated square of FACE_PX, wholly inside the canvas, centred on it.
            assert region.shape == (4, 2)
            assert (region >= 0).all() and (region <= size).all()
            side = np.linalg.norm(region[1] - region[0])
            assert side == pytest.approx(bench.FACE_PX, abs=1e-3)
            assert region.mean(0) == pytest.approx([size / 2, size / 2], abs=1e-3)
            # The padding adds no second face (a mirrored border would): HOG sees at most one.
            assert len(hog_predictor.detector.detect(rgb)) <= 1
    # Upright, the square holds the upscaled crop itself, pixel for pixel.
    import cv2

    rgb, region = bench.make_canvas(images[0], 0)
    x0, y0 = region.min(0).astype(int)
    big = cv2.resize(images[0], (bench.FACE_PX,) * 2, interpolation=cv2.INTER_LINEAR)
    assert np.array_equal(rgb[y0:y0 + bench.FACE_PX, x0:x0 + bench.FACE_PX, 0], big)


def test_box_in_region():
    _, region = bench.make_canvas(np.zeros((48, 48), np.uint8), 30)
    assert bench.box_in_region([170, 170, 60, 60], region)  # centred on the face
    assert not bench.box_in_region([0, 0, 60, 60], region)  # a corner of the canvas
    assert 0 < bench.iou_aabb([170, 170, 60, 60], region) < bench.iou_aabb([100, 100, 200, 200], region) <= 1


def test_hog_finds_most_upright_faces(hog_result):
    upright = hog_result[0]
    assert upright["n"] == 35
    # HOG misses many FER-2013 faces whatever their size (hands over the face, turned
    # heads, tight crops without the chin); 50 % (18 faces) sits well under what it finds
    # here and leaves margin for other dlib builds (the figures behind the bounds of this
    # file: docs/benchmarks.md).
    assert upright["found"] >= 0.5
    assert upright["extra"] == 0
    assert 0.4 <= upright["acc_found"] <= 1.0  # the classifier works on the detector's crops
    assert upright["acc_all"] == pytest.approx(upright["acc_found"] * upright["found"])
    assert upright["aligned"] is None and upright["aligned_all"] is None  # HOG gives no eyes to align on
    assert upright["tilt_err"] is None
    # Tilted by 30 degrees HOG finds no more faces than upright, and its boxes fit worse.
    assert hog_result[30]["found"] <= upright["found"]
    assert hog_result[30]["iou"] < upright["iou"]


def test_blazeface_alignment_undoes_the_tilt(blazeface_result):
    upright, tilted = blazeface_result[0], blazeface_result[30]
    for r in (upright, tilted):
        assert r["n"] == 35
        assert 0 <= r["found"] <= 1 and r["extra"] == 0
        assert r["aligned_all"] == pytest.approx(r["aligned"] * r["found"])
        assert r["acc_all"] == pytest.approx(r["acc_found"] * r["found"])
    # BlazeFace finds nearly every face of the subset, upright and tilted.
    assert upright["found"] >= 0.9 and tilted["found"] >= 0.9
    # The detected eye line follows the canvas within a few degrees (not 0 upright:
    # FER-2013 faces are not all level). Without eyes that follow, alignment is void.
    assert upright["tilt_err"] < 10 and tilted["tilt_err"] < 12
    # Alignment must win back at least 3 faces at 30 degrees (eyes mirrored, which turn
    # the crop the wrong way, score far below the unaligned crops, so a sign error fails
    # here), and aligned at 30 degrees stays within 4 faces of aligned upright.
    assert tilted["aligned"] >= tilted["acc_found"] + 3 / 35 - 1e-9
    assert tilted["aligned"] >= upright["aligned"] - 4 / 35 - 1e-9


def test_aligned_crop_is_what_the_predictor_classifies(blazeface_predictor, subset):
    from emoji_fer.detect import eyes_of
    from emoji_fer.preprocessing import crop_face

    images, _ = subset
    for face in images[::7]:
        gray, hit = found_face(blazeface_predictor, face, 30)
        rgb = np.repeat(gray[..., None], 3, axis=2)
        result, inputs = blazeface_predictor.predict_rgb_with_inputs(rgb)
        assert result["faces"][0]["box"] == hit["box"]
        assert np.array_equal(inputs[0], crop_face(gray, hit["box"], blazeface_predictor.preprocessing, eyes=eyes_of(hit)))


def test_aligned_crops_have_leveleyes_of(blazeface_predictor, subset):
    """Re-detect the eyes on the aligned crop itself (at its full size, in a canvas that
    continues its border): they must be about level, where the tilted canvas's were at
    about 30 degrees."""
    import cv2

    from emoji_fer.detect import eyes_of
    from emoji_fer.preprocessing import align_face

    images, _ = subset
    for angle in (30, -30):
        before, after = [], []
        for face in images:
            found = found_face(blazeface_predictor, face, angle)
            if found is None:
                continue
            gray, hit = found
            crop = align_face(gray, hit["box"], eyes_of(hit), blazeface_predictor.preprocessing["face_margin"])
            pad = (bench.CANVAS_PX - max(crop.shape)) // 2
            canvas = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
            again = blazeface_predictor.detector.detect_faces(np.repeat(canvas[..., None], 3, axis=2))
            if again:
                before.append(bench.tilt(hit))
                after.append(bench.tilt(again[0]))
        assert len(after) >= 30  # nearly every aligned crop is found again
        assert np.median(np.abs(np.subtract(before, angle))) < 12  # the detector saw the tilt
        assert np.median(np.abs(after)) < 6  # and the aligned crop is level


def test_tilt_sign_follows_the_canvas_angle():
    face = {"keypoints": {"right_eye": [100.0, 100.0], "left_eye": [140.0, 100.0]}}
    assert bench.tilt(face) == pytest.approx(0)
    # Turned counter-clockwise on screen, the subject's left eye (image right) rises (y down).
    rad = math.radians(20)
    face["keypoints"]["left_eye"] = [100 + 40 * math.cos(rad), 100 - 40 * math.sin(rad)]
    assert bench.tilt(face) == pytest.approx(20)
    assert bench.tilt({"keypoints": None}) is None


def test_rotated_back_is_the_upright_crop_again(predictor, subset):
    images, labels = subset
    back = bench.rotated_back(predictor, images, labels, ANGLES)
    rotated = bench.no_detection(predictor, images, labels, ANGLES)
    # Rotated back, a tilted face scores as the upright one; rotated in place, it falls
    # far behind.
    assert abs(back[30] - back[0]) <= 2 / 35 + 1e-9
    assert abs(back[0] - rotated[0]) <= 3 / 35 + 1e-9  # resampling only
    assert back[30] >= rotated[30]


def test_no_detection_reproduces_the_classifier_upright(subset, predictor):
    from emoji_fer.preprocessing import scale

    images, labels = subset
    assert all(np.array_equal(bench.rotate_crop(face, 0), face) for face in images)
    expected = float((predictor.predict_faces(scale(images[..., None])).argmax(1) == labels).mean())
    reference = bench.no_detection(predictor, images, labels, ANGLES)
    assert reference[0] == expected  # same inputs, same model: exactly equal
    assert not np.array_equal(bench.rotate_crop(images[0], 30), images[0])


def test_stratified_subset():
    labels = np.repeat(np.arange(7), [491, 55, 528, 879, 594, 416, 626])  # PrivateTest's class counts
    chosen = bench.stratified_subset(labels, 1200)
    assert len(chosen) == len(set(chosen)) == 1200
    counts = np.bincount(labels[chosen], minlength=7)
    assert np.abs(counts - 1200 * np.bincount(labels) / len(labels)).max() < 1
    assert np.array_equal(chosen, bench.stratified_subset(labels, 1200))  # deterministic
    assert len(bench.stratified_subset(labels, 0)) == len(labels)
    order = bench.subset_order(labels, 1200, 0)
    assert sorted(order) == list(chosen)
    assert np.bincount(labels[order[:70]], minlength=7).tolist() == [10] * 7  # prefixes stay balanced


def test_bad_arguments_raise_clear_errors(hog_predictor, subset, capsys):
    images, labels = subset
    with pytest.raises(ValueError, match="angle"):
        bench.make_canvas(images[0], 120)
    with pytest.raises(ValueError, match="uint8"):
        bench.make_canvas(images[0].astype(np.float32), 0)
    with pytest.raises(ValueError, match="canvas_px"):
        bench.make_canvas(images[0], 0, face_px=160, canvas_px=200)
    with pytest.raises(ValueError, match="n must be >= 0"):
        bench.stratified_subset(labels, -1)
    with pytest.raises(ValueError, match="no faces"):
        bench.run_detector(hog_predictor, images[:0], labels[:0], [0])
    for argv, message in ((["--detectors", "yunet"], "unknown detector"), (["--samples-only", "--no-samples"], "exclude"),
                          (["--angles", "200"], "outside"), (["--n", "-5"], ">= 0")):
        with pytest.raises(SystemExit):
            bench.parse_args(argv)
        assert message in capsys.readouterr().err
