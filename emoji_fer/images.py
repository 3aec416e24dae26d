"""Read any user image into an RGB uint8 array, safely.

Decoding is Pillow's; this module adds what users' files need: EXIF orientation
(phones store portrait photos sideways), every mode (RGBA, palette, 16-bit, CMYK),
bounded memory for huge images (JPEG DCT-domain downscaling via `Image.draft`,
then a thumbnail), and one clear `ImageError` for anything that is not a usable image.
"""

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 2048  # px: larger images are downscaled before detection (boxes are scaled back)
MAX_PIXELS = 150_000_000  # refuse to decode more than this (decompression-bomb guard)
MIN_SIDE = 16  # px: smaller images hold no classifiable face


class ImageError(ValueError):
    """The input is not a usable image; the message says why in words a user understands."""


CHANNELS = ("RGB", "BGR")


def load_rgb(source, max_side=MAX_SIDE, channels="RGB"):
    """Decode an image file, bytes or PIL image into RGB.

    source: path (str/Path), bytes, PIL.Image, or (H, W[, 1|3|4]) uint8 array whose
    colour channels are in `channels` order: "RGB" (Pillow, imageio, Gradio) or "BGR"
    (OpenCV: cv2.imread, cv2.VideoCapture; BGRA for 4 channels). Files and PIL images
    carry their own colour mode, so `channels` applies to arrays only.
    Returns (rgb, scale): rgb (H', W', 3) uint8 with max(H', W') <= max_side, and
    scale = original size / returned size (>= 1.0) to map boxes back to the original.
    Raises ImageError for missing, empty, non-image, truncated, corrupt, tiny or
    absurdly large inputs; ValueError for a `channels` other than "RGB" or "BGR".
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels must be one of {', '.join(CHANNELS)}, got {channels!r}")
    if isinstance(source, np.ndarray):
        image = _from_array(source, channels)
    elif isinstance(source, Image.Image):
        image = source
    else:
        image = _open(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return _to_rgb(image, max_side)
    except ImageError as err:
        raise ImageError(f"{_name(source)}: {err}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{_name(source)}: corrupt or truncated image ({err})") from None


def _open(source):
    name = _name(source)
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    else:
        path = Path(source)
        if not path.exists():
            raise ImageError(f"{name}: no such file")
        if path.is_dir():
            raise ImageError(f"{name}: is a folder, not an image")
        data = path.read_bytes()
    if not data:
        raise ImageError(f"{name}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Our own MAX_PIXELS check (in _to_rgb) decides; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (the content is no format Pillow can read)") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name}: image too large to decode safely (over {MAX_PIXELS:,} pixels)") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name}: corrupt or truncated image ({err})") from None


def _to_rgb(image, max_side):
    w, h = image.size
    if w * h > MAX_PIXELS:
        raise ImageError(f"image too large to decode safely ({w}x{h} px)")
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"image too small ({w}x{h} px); a face needs at least {MIN_SIDE} px")
    if image.format == "JPEG" and max(w, h) > max_side:
        image.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale: bounded memory
    image.load()
    image = ImageOps.exif_transpose(image)
    image = _as_rgb(image)
    image.thumbnail((max_side, max_side), Image.BILINEAR)
    # The longest side does not change under EXIF rotation, so it gives the scale.
    return np.asarray(image, dtype=np.uint8), max(w, h) / max(image.size)


def _as_rgb(image):
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: map the actual range to 0..255 instead of clipping to white.
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels onto white, as a browser shows them.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _from_array(arr, channels):
    if arr.dtype != np.uint8 or arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ImageError(f"array of shape {arr.shape} and dtype {arr.dtype} is not an (H, W[, 1|3|4]) uint8 image")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    elif arr.ndim == 3 and channels == "BGR":
        # BGR -> RGB (BGRA -> RGBA): a copy, so the caller's frame is left as it was.
        arr = np.ascontiguousarray(arr[..., [2, 1, 0, 3][:arr.shape[2]]])
    return Image.fromarray(arr)


def _name(source):
    if isinstance(source, (str, Path)):
        return str(source)
    return "image"
