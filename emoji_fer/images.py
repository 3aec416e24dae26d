"""Read any user image into an RGB uint8 array, safely.

Decoding is Pillow's; this module adds what users' files need: EXIF orientation
(phones store portrait photos sideways), every mode (RGBA, palette, 16-bit, CMYK),
bounded memory for huge images, and one clear `ImageError` for anything that is not a
usable image. It is the one decoder of every image a user sends (the CLI, the library,
every endpoint of the demo), so its guards hold everywhere:

- only the common photo formats are parsed (`FORMATS`), so no rarely used decoder (or
  Ghostscript, which Pillow runs for EPS) ever sees a stranger's bytes;
- the size is read from the header and checked before anything is decoded: at most
  `MAX_PIXELS` are decoded in full. A JPEG is first scaled in the DCT domain
  (`Image.draft`: 1/2, 1/4 or 1/8), so a large photo costs what its reduced size costs;
- right after decoding, the image is shrunk to `MAX_SIDE` in its own mode, and only
  then rotated and converted, so no full-size copy is made; a path is read as it is
  decoded, never held in memory whole;
- a server bounds the memory of its concurrent decodes with a `DecodeBudget`, from what
  each one costs (`decode_cost`, measured per format: docs/security.md).

Arrays and PIL images that are already decoded skip the pixel cap (their memory is
spent) but are shrunk and converted the same way.
"""

import contextlib
import io
import math
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIDE = 2048  # px: larger images are downscaled before detection (boxes are scaled back)
# Refuse to decode more pixels than this in full (the decompression-bomb guard). It holds
# an 8K frame, and every phone photo as its JPEG is decoded (at a reduced DCT scale);
# docs/security.md gives what it costs and the demo's memory budget built on it.
MAX_PIXELS = 40_000_000
# The formats Pillow may parse (Pillow's names): photos, screenshots and GIFs. JPEG's
# parser also reads MPO, the multi-picture JPEG some cameras write.
FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")
MIN_SIDE = 16  # px: smaller images hold no classifiable face


class ImageError(ValueError):
    """The input is not a usable image; the message says why in words a user understands."""


class VideoNotImage(ImageError):
    """The input is a video file (its container's magic bytes), where an image belongs."""


# Peak memory of decoding, bytes per decoded pixel, rounded up from the peak RSS of
# load_rgb on files of each kind and size (docs/security.md): WebP's decoder holds its
# own copy of the pixels besides Pillow's; of the others an RGBA PNG costs the most (an
# image at most MAX_SIDE costs more a pixel than a larger one, shrunk before it is
# converted).
DECODE_BYTES_PER_PIXEL = {"WEBP": 20}
DECODE_BYTES_PER_PIXEL_OTHER = 15


def decode_cost(width, height, image_format):
    """Peak bytes of decoding a `width` x `height` image of a Pillow format name."""
    return width * height * DECODE_BYTES_PER_PIXEL.get(image_format, DECODE_BYTES_PER_PIXEL_OTHER)


class DecodeBudget:
    """A bound on the memory that concurrent decodes take in one process (a server's).

    capacity: bytes. `with budget(cost):` waits until the decodes in progress and this one
    (cost in bytes, decode_cost) fit within capacity; a cost over the capacity waits for
    every other decode to end and then runs alone. Decodes start in the order they
    asked (first come, first served), so a large one is not starved by a stream of small
    ones; small ones start at once while nothing large waits ahead of them.
    """

    def __init__(self, capacity):
        self.capacity = capacity
        self.used = 0
        self._changed = threading.Condition()
        self._next_ticket = self._now_serving = 0

    @contextlib.contextmanager
    def __call__(self, cost):
        with self._changed:
            ticket, self._next_ticket = self._next_ticket, self._next_ticket + 1
            self._changed.wait_for(lambda: self._now_serving == ticket
                                   and (self.used == 0 or self.used + cost <= self.capacity))
            self._now_serving += 1
            self.used += cost
            self._changed.notify_all()  # the next in line may fit beside this one
        try:
            yield
        finally:
            with self._changed:
                self.used -= cost
                self._changed.notify_all()


CHANNELS = ("RGB", "BGR")


def load_rgb(source, max_side=MAX_SIDE, channels="RGB", budget=None):
    """Decode an image file, bytes or PIL image into RGB.

    source: path (str/Path), bytes, PIL.Image, or (H, W[, 1|3|4]) uint8 array whose
    colour channels are in `channels` order: "RGB" (Pillow, imageio, Gradio) or "BGR"
    (OpenCV: cv2.imread, cv2.VideoCapture; BGRA for 4 channels). Files and PIL images
    carry their own colour mode, so `channels` applies to arrays only.
    Returns (rgb, scale): rgb (H', W', 3) uint8 with max(H', W') <= max_side, and
    scale = original size / returned size (>= 1.0) to map boxes back to the original.
    budget: a DecodeBudget that the decoding waits for (a server's bound on the memory
    its concurrent decodes take), or None.
    Raises ImageError for missing, empty, non-image, truncated, corrupt, tiny or
    absurdly large inputs (over MAX_PIXELS decoded); ValueError for a `channels` other
    than "RGB" or "BGR".
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
            return _to_rgb(image, max_side, budget)
    except ImageError as err:
        raise ImageError(f"{_name(source)}: {err}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{_name(source)}: corrupt or truncated image ({err})") from None


def _open(source):
    """A PIL image (not yet decoded) of a path or bytes. Raises ImageError for a path that
    is missing, a folder, not a regular file (a device or pipe: reading one would never
    end) or cannot be read (any OSError: name too long, permissions, ...); for empty
    data, a video file, or content that is none of FORMATS. A path is read by Pillow as
    it decodes: the file's bytes are never held in memory besides the pixels."""
    import stat

    name = _name(source)
    if isinstance(source, (bytes, bytearray)):
        data = head = bytes(source)
    else:
        path = Path(source)
        try:
            mode = path.stat().st_mode
            if stat.S_ISDIR(mode):
                raise ImageError(f"{name}: is a folder, not an image")
            if not stat.S_ISREG(mode):
                raise ImageError(f"{name}: not a regular file (a device, pipe or socket), not an image")
            with path.open("rb") as file:
                head = file.read(16)
        except FileNotFoundError:
            raise ImageError(f"{name}: no such file") from None
        except OSError as err:
            raise ImageError(f"{name}: cannot read the file ({err.strerror or err})") from None
        data = path
    if not head:
        raise ImageError(f"{name}: empty file (0 bytes)")
    if _is_video(head):
        raise VideoNotImage(f"{name}: a video file, not an image")
    try:
        with warnings.catch_warnings():
            # Our own MAX_PIXELS check (in _to_rgb) decides; Pillow's warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data) if isinstance(data, bytes) else data, formats=FORMATS)
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (the content is none of "
                         f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]})") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name}: image too large to decode safely (at most {MAX_PIXELS / 1e6:g} megapixels)") \
            from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{name}: corrupt or truncated image ({err})") from None


# ISO-BMFF brands of images (HEIF, AVIF): an "ftyp" box with one of these is no video.
_IMAGE_BRANDS = (b"avif", b"avis", b"avci", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2",
                 b"msf1")


def _is_video(head):
    """Whether a file's first 12 bytes are a video container's: ISO-BMFF (MP4, MOV, M4V:
    "ftyp" at offset 4), EBML (WebM, MKV) or RIFF AVI. Pillow would only say "not an
    image"; the user needs to hear that it is a video."""
    return ((head[4:8] == b"ftyp" and head[8:12] not in _IMAGE_BRANDS) or head[:4] == b"\x1a\x45\xdf\xa3"
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI "))


def _to_rgb(image, max_side, budget=None):
    w, h = image.size
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"image too small ({w}x{h} px); a face needs at least {MIN_SIDE} px")
    if image.format in ("JPEG", "MPO") and max(w, h) > max_side:
        # Decode at the smallest DCT scale that still covers max_side on the longest side
        # (draft keeps each side at least the size asked, so ask in the image's aspect).
        scale = max_side / max(w, h)
        image.draft("RGB", (math.ceil(w * scale), math.ceil(h * scale)))
    decoded_w, decoded_h = image.size  # what load() will allocate, before it does
    still_encoded = bool(getattr(image, "tile", None))  # Pillow's pending decoder tiles
    if still_encoded and decoded_w * decoded_h > MAX_PIXELS:
        raise ImageError(f"image too large to decode safely ({w}x{h} px; at most {MAX_PIXELS / 1e6:g} megapixels)")
    with budget(decode_cost(decoded_w, decoded_h, image.format)) if budget else contextlib.nullcontext():
        return _decode(image, max_side, max(w, h))


def _decode(image, max_side, longest):
    image.load()
    if max(image.size) > max_side:
        # Shrunk in its own mode first: every step after this one handles at most max_side.
        # reducing_gap 1: a box reduction by an integer factor first, then bilinear, so the
        # filter's intermediate images are of the reduced size, not of the decoded one.
        if image.mode == "1":  # resized by nearest neighbour only
            image = image.convert("L")
        elif image.mode.startswith("I;16"):  # no box reduction in Pillow for these
            image = image.convert("I")
        image.thumbnail((max_side, max_side), Image.BILINEAR, reducing_gap=1.0)
    ImageOps.exif_transpose(image, in_place=True)  # no copy when the photo is upright
    image = _as_rgb(image)
    # The longest side does not change under EXIF rotation, so it gives the scale.
    return np.asarray(image, dtype=np.uint8), longest / max(image.size)


def _as_rgb(image):
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit grayscale: map the actual range to 0..255 instead of clipping to white.
        arr = np.asarray(image, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
        return Image.fromarray(arr.astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        # Transparent pixels onto white, as a browser shows them (paste through the alpha
        # channel: one RGB image, no RGBA copies).
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return image if image.mode == "RGB" else image.convert("RGB")


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
