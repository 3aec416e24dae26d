"""Eye-level alignment (emoji_fer.preprocessing.align_face): the identity when the eyes are
level, indifferent to which eye is which, undoing a known rotation, and in the
Predictor: a tilted face's crop looks like the upright one."""

import cv2
import numpy as np
import pytest

from emoji_fer.images import load_rgb
from emoji_fer.preprocessing import PREPROCESSING, align_face, crop_face, expand_box, eye_line

MARGIN = PREPROCESSING["face_margin"]


def test_level_eyes_give_the_widened_box_exactly():
    gray = np.random.default_rng(0).integers(0, 256, (240, 320), dtype=np.uint8)
    for box in ([60, 50, 81, 90], [100, 70, 80, 80], [150, 60, 33, 47]):
        x, y, w, h = expand_box(box, 320, 240, MARGIN)
        eyes = ((box[0] + 10, box[1] + 20), (box[0] + 50, box[1] + 20))
        assert np.array_equal(align_face(gray, box, eyes, MARGIN), gray[y:y + h, x:x + w])
        assert np.array_equal(crop_face(gray, box, eyes=eyes), crop_face(gray, box))


def test_which_eye_is_which_does_not_matter():
    # A mirrored frame swaps the eyes' names; the eye line is kept within +-90 degrees.
    gray = np.random.default_rng(1).integers(0, 256, (200, 200), dtype=np.uint8)
    right, left = (70.3, 90.1), (120.8, 75.6)
    assert eye_line(right, left) == eye_line(left, right)
    assert np.array_equal(align_face(gray, [60, 60, 80, 80], (right, left), MARGIN),
                          align_face(gray, [60, 60, 80, 80], (left, right), MARGIN))
    assert eye_line((5, 5), (5, 5)) == (1.0, 0.0)


def test_without_align_in_the_metadata_the_crop_is_not_rotated():
    # Models whose JSON predates alignment keep their crops.
    gray = np.random.default_rng(2).integers(0, 256, (200, 200), dtype=np.uint8)
    old = {k: v for k, v in PREPROCESSING.items() if k != "align"}
    tilted = ((80, 80), (120, 110))
    assert np.array_equal(crop_face(gray, [60, 60, 80, 80], old, eyes=tilted), crop_face(gray, [60, 60, 80, 80], old))
    assert not np.array_equal(crop_face(gray, [60, 60, 80, 80], eyes=tilted), crop_face(gray, [60, 60, 80, 80]))


def _rotate(gray, centre, degrees):
    """gray rotated by `degrees` (counter-clockwise on screen) about centre, and the 2x3 matrix."""
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    size = (gray.shape[1], gray.shape[0])
    return cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE), matrix


@pytest.mark.parametrize("degrees", [-30, -12, 20, 35])
def test_a_known_rotation_is_undone(samples, degrees):
    # justin.jpg's face, with its eyes as BlazeFace gives them, rotated by a known angle:
    # aligning with the rotated eyes gives back the upright crop, up to two bilinear passes.
    from emoji_fer.detect import FaceDetector

    rgb, _ = load_rgb(samples / "justin.jpg")
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    face = FaceDetector("blazeface").detect_faces(rgb)[0]
    box, eyes = face["box"], (face["keypoints"]["right_eye"], face["keypoints"]["left_eye"])
    upright = align_face(gray, box, eyes, MARGIN)
    centre = (box[0] + box[2] / 2, box[1] + box[3] / 2)
    rotated, matrix = _rotate(gray, centre, degrees)
    moved = [tuple(matrix @ [x, y, 1]) for x, y in eyes]
    cos, sin = eye_line(*moved)
    assert np.degrees(np.arctan2(sin, cos)) == pytest.approx(np.degrees(np.arctan2(*eye_line(*eyes)[::-1])) - degrees)
    aligned = align_face(rotated, box, moved, MARGIN).astype(float)
    unaligned = rotated[box[1] - round(box[3] * MARGIN):, box[0] - round(box[2] * MARGIN):][:upright.shape[0], :upright.shape[1]]
    inner = (slice(10, -10), slice(10, -10))  # away from the corners that rotated in from outside
    error = np.abs(aligned - upright)[inner].mean()
    assert error < 4, error  # grey levels
    assert error < np.abs(unaligned.astype(float) - upright)[inner].mean() / 3


def test_predictor_straightens_a_tilted_face(predictor, samples):
    # justin.jpg rotated by 25 degrees in a larger canvas: the face is found, its crop is
    # close to the upright photo's crop, and the top-1 expression is the upright one.
    rgb, _ = load_rgb(samples / "justin.jpg")
    canvas = cv2.copyMakeBorder(rgb, 150, 150, 150, 150, cv2.BORDER_REPLICATE)
    centre = (canvas.shape[1] / 2, canvas.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, 25, 1.0)
    tilted = cv2.warpAffine(canvas, matrix, canvas.shape[1::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    upright, upright_inputs = predictor.predict_rgb_with_inputs(canvas)
    result, inputs = predictor.predict_rgb_with_inputs(tilted)
    assert len(result["faces"]) == 1 and len(upright["faces"]) == 1
    (rx, ry), (lx, ly) = result["faces"][0]["keypoints"]["right_eye"], result["faces"][0]["keypoints"]["left_eye"]
    (ux, uy), (vx, vy) = upright["faces"][0]["keypoints"]["right_eye"], upright["faces"][0]["keypoints"]["left_eye"]
    tilt = np.degrees(np.arctan2(ly - ry, lx - rx) - np.arctan2(vy - uy, vx - ux))
    assert tilt == pytest.approx(-25, abs=4)  # counter-clockwise on screen: the eye line rises
    gray = cv2.cvtColor(tilted, cv2.COLOR_RGB2GRAY)
    plain = crop_face(gray, result["faces"][0]["box"])  # the same box, not aligned
    # Closer, not equal: the box BlazeFace draws around a tilted face is smaller (174 px
    # upright, 160 px at 25 degrees), so the aligned crop is a little zoomed in.
    assert np.abs(inputs[0] - upright_inputs[0]).mean() < 0.75 * np.abs(plain - upright_inputs[0]).mean()
    assert result["faces"][0]["top"][0]["label"] == upright["faces"][0]["top"][0]["label"]
