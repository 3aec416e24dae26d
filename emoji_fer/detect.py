"""Face detection: every face in an RGB image as a bounding box [x, y, w, h] in pixels.

Three well-kept detectors that work offline from pip packages (no hub downloads).
Faces found in ../shared/samples sample1..6 (`python scripts/bench.py`, 2026-11-22):

- "hog" (default): dlib's HOG + linear SVM frontal-face detector (Dalal & Triggs 2005;
  King 2009, "Dlib-ml", JMLR), built into dlib. 3, 1, 3, 3, 5, 4 faces, none in
  no-faces.jpg; about 20 ms on a 381 px photo. Faces must be frontal-ish and at
  least ~80 px wide in the detected image.
- "mtcnn": the `mtcnn` package's MTCNN (Zhang et al. 2016, "Joint Face Detection and
  Alignment using Multi-task Cascaded Convolutional Networks", IEEE SPL), weights
  bundled in the wheel. 3, 2, 3, 4, 5, 4: also finds smaller and turned faces, but
  costs ~200 ms on a 381 px photo and ~1 s on a group photo (eager TensorFlow pyramid).
- "haar": OpenCV's bundled frontal-face Haar cascade (Viola & Jones 2001): misses
  more faces and reports false ones (window blinds in sample6.jpg).

Images are detected at most `DETECT_SIDE` px on the longest side; boxes come back in
the coordinates of the image passed in.
"""

import os

import cv2
import numpy as np

DETECT_SIDE = 1024  # px: group photos at 1920 px keep faces >= 40 px at this size
MIN_CONFIDENCE = 0.9  # MTCNN face probability below which a box is dropped
DETECTORS = ("hog", "mtcnn", "haar")
HOG_UPSAMPLE = 0  # 1 would find faces down to ~40 px but costs 4x the time


class FaceDetector:
    """detect(rgb) -> list of boxes [x, y, w, h] (ints, pixels), largest face first."""

    def __init__(self, backend="hog"):
        if backend not in DETECTORS:
            raise ValueError(f"unknown detector {backend!r}; choose one of {', '.join(DETECTORS)}")
        self.backend = backend
        self._impl = {"hog": _HOG, "mtcnn": _MTCNN, "haar": _Haar}[backend]()

    def detect(self, rgb):
        """rgb: (H, W, 3) uint8. Returns a list of [x, y, w, h] boxes sorted by area, descending."""
        height, width = rgb.shape[:2]
        factor = min(1.0, DETECT_SIDE / max(height, width))
        small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else rgb
        boxes = [_clip([round(v / factor) for v in box], width, height) for box in self._impl(small)]
        boxes = [b for b in boxes if b[2] > 0 and b[3] > 0]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


class _HOG:
    def __init__(self):
        import dlib

        self._detector = dlib.get_frontal_face_detector()

    def __call__(self, rgb):
        # Grayscale: same faces found on ../shared/samples, ~25 % faster than on RGB.
        rects = self._detector(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), HOG_UPSAMPLE)
        return [[r.left(), r.top(), r.width(), r.height()] for r in rects]


class _MTCNN:
    def __init__(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            from mtcnn import MTCNN  # imports TensorFlow; only when this backend is chosen
        except ImportError as err:
            raise ImportError(f"the mtcnn detector needs the [mtcnn] extra: pip install 'emoji-fer[mtcnn]' ({err})") \
                from None

        self._mtcnn = MTCNN(device="CPU:0")

    def __call__(self, rgb):
        found = self._mtcnn.detect_faces(np.ascontiguousarray(rgb), box_format="xywh")
        return [list(map(int, f["box"])) for f in found if f["confidence"] >= MIN_CONFIDENCE]


class _Haar:
    def __init__(self):
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def __call__(self, rgb):
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        min_side = max(24, min(gray.shape) // 20)
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side))
        return [list(map(int, b)) for b in found]


def _clip(box, width, height):
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    return [x0, y0, x1 - x0, y1 - y0]
