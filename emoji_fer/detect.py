"""Face detection: every face in an RGB image as a bounding box [x, y, w, h] in pixels,
with the eyes when the detector gives them (for eye-level alignment).

Four detectors that work offline from files in pip packages (no hub downloads).

- "blazeface": MediaPipe's BlazeFace "back" model in LiteRT (emoji_fer/blazeface.py),
  the same weights as the page's detector, with 6 keypoints (eyes, nose, mouth, ears).

The others (faces found and times per detector: docs/benchmarks.md, face detectors):

- "hog": dlib's HOG + linear SVM frontal-face detector (Dalal & Triggs 2005;
  King 2009, "Dlib-ml", JMLR), built into dlib. Fast, no false faces in
  no-faces.jpg, but misses turned faces; faces must be frontal-ish and at least
  ~80 px wide in the detected image.
- "mtcnn": the `mtcnn` package's MTCNN (Zhang et al. 2016, "Joint Face Detection and
  Alignment using Multi-task Cascaded Convolutional Networks", IEEE SPL), weights
  bundled in the wheel. Also finds smaller and turned faces, but is several times
  slower than the others (an eager TensorFlow pyramid).
- "haar": OpenCV's bundled frontal-face Haar cascade (Viola & Jones 2001): misses
  more faces and reports false ones (window blinds in sample6.jpg).

HOG, MTCNN and Haar see images at most `DETECT_SIDE` px on the longest side (BlazeFace
letterboxes every image to 256 px itself); boxes come back in the coordinates of the
image passed in.
"""

import math
import os

import cv2
import numpy as np

DETECT_SIDE = 1024  # px: group photos at 1920 px keep faces >= 40 px at this size
MIN_CONFIDENCE = 0.9  # MTCNN face probability below which a box is dropped
DETECTORS = ("blazeface", "hog", "mtcnn", "haar")
# BlazeFace is the default: on ../shared/samples it finds at least MTCNN's faces (HOG
# misses a turned face in sample2 and one in sample4), none in no-faces.jpg, gives the
# eyes for alignment, and predict() with it is no slower than with HOG (docs/benchmarks.md).
DEFAULT_DETECTOR = "blazeface"
HOG_UPSAMPLE = 0  # 1 would find faces down to ~40 px but scans an image with 4x the pixels


class DetectorUnavailable(ImportError):
    """A detector whose optional package is not installed; the message is one line that
    says what to install (the CLI prints it as it is)."""


class FaceDetector:
    """detect(rgb) -> boxes; detect_faces(rgb) -> boxes with scores and keypoints.

    backend: one of DETECTORS. spec: BlazeFace's postprocessing as the model's metadata
    records it ("detection"; default emoji_fer.blazeface.BLAZEFACE). Raises ValueError
    for an unknown backend, DetectorUnavailable (an ImportError) when MTCNN's extra is
    not installed."""

    def __init__(self, backend=DEFAULT_DETECTOR, spec=None):
        if backend not in DETECTORS:
            raise ValueError(f"unknown detector {backend!r}; choose one of {', '.join(DETECTORS)}")
        self.backend = backend
        if backend == "blazeface":
            from emoji_fer.blazeface import BLAZEFACE, BlazeFace

            self._impl = BlazeFace(spec or BLAZEFACE)
        else:
            self._impl = {"hog": _HOG, "mtcnn": _MTCNN, "haar": _Haar}[backend]()

    def detect(self, rgb):
        """rgb: (H, W, 3) uint8. Returns a list of [x, y, w, h] boxes (ints, pixels) sorted
        by area, descending."""
        return [face["box"] for face in self.detect_faces(rgb)]

    def detect_faces(self, rgb):
        """rgb: (H, W, 3) uint8. Returns [{"box": [x, y, w, h] ints clipped to the image,
        "score": float in [0, 1] or None (HOG, Haar), "keypoints": {name: [x, y] float px}
        or None (HOG, Haar)}], largest box first. BlazeFace's keypoints are named as in
        BLAZEFACE["keypoints"]; MTCNN gives "right_eye", "left_eye", "nose",
        "mouth_right", "mouth_left" (its own left/right: the image's)."""
        height, width = rgb.shape[:2]
        if self.backend == "blazeface":
            # Corners rounded half up and clipped, as the page's toIntBox does.
            faces = [{**f, "box": _clip(_corners_rounded(f["box"]), width, height)} for f in self._impl(rgb)]
        else:
            factor = min(1.0, DETECT_SIDE / max(height, width))
            small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else rgb
            faces = [{**f, "box": _clip([round(v / factor) for v in f["box"]], width, height),
                      "keypoints": f["keypoints"] and {k: [x / factor, y / factor] for k, (x, y) in f["keypoints"].items()}}
                     for f in self._impl(small)]
        faces = [f for f in faces if f["box"][2] > 0 and f["box"][3] > 0]
        return sorted(faces, key=lambda f: f["box"][2] * f["box"][3], reverse=True)


class _HOG:
    def __init__(self):
        import dlib

        self._detector = dlib.get_frontal_face_detector()

    def __call__(self, rgb):
        # Grayscale: dlib finds the same faces on ../shared/samples as on RGB, and faster
        # (docs/benchmarks.md).
        rects = self._detector(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), HOG_UPSAMPLE)
        return [_face([r.left(), r.top(), r.width(), r.height()]) for r in rects]


class _MTCNN:
    def __init__(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            from mtcnn import MTCNN  # imports TensorFlow; only when this backend is chosen
        except ImportError as err:
            message = "the mtcnn detector needs the [mtcnn] extra: pip install 'emoji-fer[mtcnn]'"
            # The package itself missing is all the user needs to hear; a broken install
            # under it (TensorFlow failing to import) also needs its own cause.
            raise DetectorUnavailable(message if err.name == "mtcnn" else f"{message} ({err})") from None

        self._mtcnn = MTCNN(device="CPU:0")

    def __call__(self, rgb):
        found = self._mtcnn.detect_faces(np.ascontiguousarray(rgb), box_format="xywh")
        # MTCNN's "left_eye" is on the image's left: the subject's right eye.
        names = {"left_eye": "right_eye", "right_eye": "left_eye", "nose": "nose",
                 "mouth_left": "mouth_right", "mouth_right": "mouth_left"}
        return [_face(list(map(int, f["box"])), float(f["confidence"]),
                      {names[k]: [float(x), float(y)] for k, (x, y) in f["keypoints"].items() if k in names})
                for f in found if f["confidence"] >= MIN_CONFIDENCE]


class _Haar:
    def __init__(self):
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")

    def __call__(self, rgb):
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        min_side = max(24, min(gray.shape) // 20)
        found = self._cascade.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=6, minSize=(min_side, min_side))
        return [_face(list(map(int, b))) for b in found]


def eyes_of(face):
    """(right eye, left eye) [x, y] of a `detect_faces` face, or None when the detector
    gives no eyes (HOG, Haar): what crop_face's `eyes` takes."""
    points = face.get("keypoints") or {}
    return (points["right_eye"], points["left_eye"]) if "right_eye" in points and "left_eye" in points else None


def _face(box, score=None, keypoints=None):
    return {"box": box, "score": score, "keypoints": keypoints}


def _corners_rounded(box):
    """Float [x, y, w, h] -> int box whose corners are rounded half up (JS Math.round)."""
    x, y, w, h = box
    x0, y0, x1, y1 = (math.floor(v + 0.5) for v in (x, y, x + w, y + h))
    return [x0, y0, x1 - x0, y1 - y0]


def _clip(box, width, height):
    x, y, w, h = box
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(width, x + w), min(height, y + h)
    return [x0, y0, x1 - x0, y1 - y0]
