"""Face detectors on real photos: faces found where people are, none where there are none,
boxes inside the image and in the coordinates of the image passed in."""

import numpy as np
import pytest

from emoji_fer.detect import DETECTORS, FaceDetector
from emoji_fer.images import load_rgb

# At least this many faces per photo (counted by eye: sample2 has one turned face that
# the frontal detectors miss, so its floor is 1).
MIN_FACES = {"justin.jpg": 1, "sample1.jpg": 3, "sample2.jpg": 1, "sample3.jpg": 3,
             "sample4.jpg": 3, "sample5.jpg": 5, "sample6.jpg": 4}


@pytest.fixture(scope="module")
def hog():
    return FaceDetector("hog")


@pytest.mark.parametrize("name", sorted(MIN_FACES))
def test_default_detector_finds_the_people(hog, samples, name):
    rgb, _ = load_rgb(samples / name)
    boxes = hog.detect(rgb)
    assert len(boxes) >= MIN_FACES[name]
    height, width = rgb.shape[:2]
    for x, y, w, h in boxes:
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= width and y + h <= height
    areas = [w * h for _, _, w, h in boxes]
    assert areas == sorted(areas, reverse=True), "largest face first"


@pytest.mark.parametrize("backend", ["hog", "mtcnn"])
def test_no_false_faces(samples, backend):
    rgb, _ = load_rgb(samples / "no-faces.jpg")
    assert FaceDetector(backend).detect(rgb) == []


def test_boxes_scale_back_to_the_input_image(hog, samples):
    # A 4x upscaled photo (1524 px) is detected at DETECT_SIDE px and the box mapped back
    # to 4x coordinates. HOG's scale pyramid quantizes box sizes, hence the tolerances.
    rgb, _ = load_rgb(samples / "justin.jpg")
    big = np.repeat(np.repeat(rgb, 4, axis=0), 4, axis=1)
    (x, y, w, h), = hog.detect(rgb)
    (bx, by, bw, bh), = [[v / 4 for v in box] for box in hog.detect(big)]
    assert abs((bx + bw / 2) - (x + w / 2)) < 0.1 * w and abs((by + bh / 2) - (y + h / 2)) < 0.1 * h
    assert 0.75 < bw / w < 1.25


def test_unknown_detector_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of " + ", ".join(DETECTORS)):
        FaceDetector("yolo")
