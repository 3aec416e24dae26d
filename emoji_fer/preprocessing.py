"""The one preprocessing definition shared by training, evaluation, serving and the browser.

`PREPROCESSING` is written into every model's JSON metadata; consumers read it back
from there (`Predictor`, `python -m convert`, `web_tfjs/`), so none of them re-types it.

FER-2013 images are 48x48 grayscale face crops (Goodfellow et al., 2013); a detected
face box is widened by `face_margin` on each side so that a detector's tight box
looks like a FER-2013 crop (forehead and chin included).
"""

import numpy as np
from PIL import Image

PREPROCESSING = {
    "input_size": 48,  # pixels, square
    "channels": 1,  # grayscale
    "grayscale": "ITU-R 601-2 luma (L = 0.299 R + 0.587 G + 0.114 B), as PIL convert('L')",
    "resize": "bilinear",
    "scale": 1.0 / 255.0,  # uint8 [0, 255] -> float32 [0, 1]
    "face_margin": 0.15,  # fraction of the box's width/height added on each side
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


def crop_face(gray, box, prep=PREPROCESSING):
    """Cut one face out of a grayscale image and turn it into model input.

    gray: (H, W) uint8 array. box: [x, y, w, h] in pixels, before the margin.
    Returns (S, S, 1) float32 in [0, 1], S = prep["input_size"] (48).
    """
    height, width = gray.shape
    x, y, w, h = expand_box(box, width, height, prep["face_margin"])
    patch = Image.fromarray(gray[y:y + h, x:x + w])
    return to_input(patch, prep)


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
