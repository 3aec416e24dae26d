"""The one preprocessing definition shared by training, evaluation, serving and the browser.

`PREPROCESSING` is written into every model's JSON metadata; consumers read it back
from there (`Predictor`, `python -m convert`, `web_tfjs/`), so none of them re-types it.

FER-2013 images are 48x48 grayscale face crops (Goodfellow et al., 2013); a detected
face box is widened by `face_margin` on each side so that a detector's tight box
looks like a FER-2013 crop (forehead and chin included).

FER-2013's faces are registered upright, so when the detector gives the eyes, the crop
is rotated first so that they are level (`align`, "align" in the metadata): the widened
box, turned about the box's centre by the angle of the eye line, sampled bilinearly at
its own size, then resized as any crop. The page ports it bit for bit
(web_tfjs/js/preprocess.js, tested against this file).
"""

import math

import numpy as np
from PIL import Image

PREPROCESSING = {
    "input_size": 48,  # pixels, square
    "channels": 1,  # grayscale
    "grayscale": "ITU-R 601-2 luma (L = 0.299 R + 0.587 G + 0.114 B), as PIL convert('L')",
    "resize": "bilinear",
    "scale": 1.0 / 255.0,  # uint8 [0, 255] -> float32 [0, 1]
    "face_margin": 0.15,  # fraction of the box's width/height added on each side
    # Eye-level alignment when the detector gives the eyes (BlazeFace, MTCNN; not HOG).
    "align": {
        "keypoints": ["right_eye", "left_eye"],
        "method": "rotate the widened box about the box centre by the eye line's angle (kept within +-90 deg)",
        "interpolation": "bilinear at pixel centres, edge pixels repeated, floor(v + 0.5)",
    },
}


def expand_box(box, image_width, image_height, margin):
    """Widen a face box by `margin` of its size on each side, clipped to the image.

    box: [x, y, w, h] in pixels (ints). Returns [x, y, w, h] ints, w and h >= 1.
    """
    x, y, w, h = box
    dx, dy = int(round(w * margin)), int(round(h * margin))
    x0, y0 = max(0, x - dx), max(0, y - dy)
    x1, y1 = min(image_width, x + w + dx), min(image_height, y + h + dy)
    return [x0, y0, max(1, x1 - x0), max(1, y1 - y0)]


def to_gray(rgb):
    """(H, W, 3) uint8 RGB -> (H, W) uint8 luma, as PIL convert('L') (the "grayscale" entry)."""
    return np.asarray(Image.fromarray(rgb).convert("L"))


def crop_face(gray, box, prep=PREPROCESSING, eyes=None):
    """Cut one face out of a grayscale image and turn it into model input.

    gray: (H, W) uint8 array. box: [x, y, w, h] in pixels (ints), before the margin.
    eyes: ((x, y) right eye, (x, y) left eye) in pixels, or None; with eyes and an
    "align" entry in `prep`, the crop is rotated so that they are level (`align_face`).
    Returns (S, S, 1) float32 in [0, 1], S = prep["input_size"] (48).
    """
    if eyes is not None and prep.get("align"):
        return to_input(Image.fromarray(align_face(gray, box, eyes, prep["face_margin"])), prep)
    height, width = gray.shape
    x, y, w, h = expand_box(box, width, height, prep["face_margin"])
    patch = Image.fromarray(gray[y:y + h, x:x + w])
    return to_input(patch, prep)


def eye_line(right_eye, left_eye):
    """(cos, sin) of the eye line's angle in image coordinates (y down), pointing to the
    image's right, so within +-90 degrees whichever eye is which (a mirrored frame gives
    the same angle). (1.0, 0.0) when the eyes coincide. No trigonometry: sqrt and
    division are correctly rounded in numpy and JavaScript alike, so the page matches."""
    vx, vy = left_eye[0] - right_eye[0], left_eye[1] - right_eye[1]
    if vx < 0:
        vx, vy = -vx, -vy
    norm = math.sqrt(vx * vx + vy * vy)
    return (1.0, 0.0) if norm == 0 else (vx / norm, vy / norm)


def align_face(gray, box, eyes, margin):
    """The widened face box, rotated about the box's centre so that the eyes are level.

    gray: (H, W) uint8. box: [x, y, w, h] ints, before the margin. eyes: ((x, y), (x, y))
    right then left eye, pixels. Returns (h + 2 dy, w + 2 dx) uint8, dx = round(w *
    margin) as in `expand_box`. Output pixel (i, j) samples the source at its centre's
    rotated position, bilinearly; outside the image the edge pixels repeat. At angle 0
    it is exactly the widened box's pixels (away from the image's edges).
    """
    x, y, w, h = box
    cos, sin = eye_line(*eyes)
    out_w, out_h = w + 2 * round(w * margin), h + 2 * round(h * margin)
    cx, cy = x + w / 2, y + h / 2
    u = np.arange(out_w, dtype=np.float64) + 0.5 - out_w / 2
    v = (np.arange(out_h, dtype=np.float64) + 0.5 - out_h / 2)[:, None]
    # The same operations in the same order as preprocess.js's alignFace (bit-exact).
    sx = cx + u * cos - v * sin - 0.5
    sy = cy + u * sin + v * cos - 0.5
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - x0, sy - y0
    height, width = gray.shape
    xa, xb = np.clip(x0, 0, width - 1).astype(np.intp), np.clip(x0 + 1, 0, width - 1).astype(np.intp)
    ya, yb = np.clip(y0, 0, height - 1).astype(np.intp), np.clip(y0 + 1, 0, height - 1).astype(np.intp)
    g = gray.astype(np.float64)
    value = (1 - fy) * ((1 - fx) * g[ya, xa] + fx * g[ya, xb]) + fy * ((1 - fx) * g[yb, xa] + fx * g[yb, xb])
    return np.clip(np.floor(value + 0.5), 0, 255).astype(np.uint8)


def to_input(image, prep=PREPROCESSING):
    """Resize a whole image (a pre-cropped face) to model input.

    image: PIL image of any mode. Returns (S, S, 1) float32 in [0, 1].
    """
    size = prep["input_size"]
    gray = image.convert("L") if image.mode != "L" else image
    if gray.size != (size, size):
        gray = gray.resize((size, size), Image.BILINEAR)
    return scale(np.asarray(gray)[..., None], prep)


def scale(pixels, prep=PREPROCESSING):
    """uint8 pixels of any shape -> float32 in [0, 1] (same shape)."""
    return pixels.astype(np.float32) * np.float32(prep["scale"])
