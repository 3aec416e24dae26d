"""scripts/bench_rotation.py (issue 32's rotated-faces benchmark) on a small subset:
35 PrivateTest faces (the first 5 of each class), angles 0 and 30, HOG only. The
figures in docs/benchmarks.md come from the full run, not from here; nothing is timed."""

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


@pytest.fixture(scope="module")
def hog_predictor():
    from emoji_fer.predictor import Predictor

    return Predictor(detector="hog")


@pytest.fixture(scope="module")
def hog_result(hog_predictor, subset):
    return bench.run_detector(hog_predictor, *subset, ANGLES)


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
    # Measured: 23 of 35 at 0 degrees (66 %; 74 % on the first 70 of the benchmark's
    # subset), 0.68 mean IoU, 74 % accuracy over the found. HOG misses FER-2013 faces
    # whatever their size (hands over the face, turned heads, tight crops without the
    # chin); 50 % (18 faces) leaves margin for other dlib builds.
    assert upright["found"] >= 0.5
    assert upright["extra"] == 0
    assert 0.4 <= upright["acc_found"] <= 1.0  # the classifier works on the detector's crops
    assert upright["acc_all"] == pytest.approx(upright["acc_found"] * upright["found"])
    assert upright["aligned"] is None  # alignment does not exist yet
    # Tilted by 30 degrees HOG finds no more faces than upright, and its boxes fit worse.
    assert hog_result[30]["found"] <= upright["found"]
    assert hog_result[30]["iou"] < upright["iou"]


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
    with pytest.raises(NotImplementedError, match="alignment"):
        bench.run_detector(hog_predictor, images, labels, [0], align=True)
    with pytest.raises(ValueError, match="no faces"):
        bench.run_detector(hog_predictor, images[:0], labels[:0], [0])
    for argv, message in ((["--detectors", "yunet"], "unknown detector"), (["--align"], "not implemented"),
                          (["--angles", "200"], "outside"), (["--n", "-5"], ">= 0")):
        with pytest.raises(SystemExit):
            bench.parse_args(argv)
        assert message in capsys.readouterr().err
