"""The Predictor: load a trained model once, then classify faces in images.

Results follow the convention of the `fer` package, which users of `fer` and DeepFace
know: a list of faces, each with a `box` [x, y, w, h] in pixels and a `scores` dict
{label: probability} over the seven FER-2013 labels (summing to 1), plus `top`, the
top-k labels with their emoji. `detect_emotions` and `top_emotion` return exactly what
the `fer` package's methods of the same names return, so a `fer` user switches by
changing the import (fer 25.10.3, `fer/classes.py`).
"""

import functools
import threading

import numpy as np

from emoji_fer.detect import DEFAULT_DETECTOR, eyes_of
from emoji_fer.images import CHANNELS, ImageError, load_rgb
from emoji_fer.labels import EMOJI
from emoji_fer.model_files import (SHIPPED_MODELS, ModelFileError, keras_path, metadata_path, model_tta,
                                   read_metadata, resolve_model, sha256)
from emoji_fer.preprocessing import crop_face, to_gray, to_input
from emoji_fer.runtime import load_classifier

# px: an image this small is taken as one face crop (a FER-2013-style headshot), without
# detection: BlazeFace, upscaling a 48 px crop to 256 px, finds "faces" inside the face.
WHOLE_IMAGE_MAX_SIDE = 96
# The version of the result dict that `predict` returns and the CLI and the demo's
# /predict print as JSON. Raised when a key is removed or changes meaning (adding one
# does not change it).
SCHEMA_VERSION = 1
# Faces per model call in `predict_batch`: the runtimes' own default batch (in_batches),
# large enough that a call's overhead is small beside its work.
BATCH_FACES = 256


class Predictor:
    """A trained FER-2013 model, loaded once, with the face detector.

    model_path: a shipped model's name (emoji_fer.model_files.SHIPPED_MODELS: "emoji_fer",
    trained on the FER+ crowd votes, or "emoji_fer_fer2013", on FER-2013's labels), or a
    model named by any of its files (`x.json`, `x.tflite` or `x.keras`, side by side);
    default: $EMOJI_FER_MODEL, else "emoji_fer". detector:
    "blazeface" (default: the page's detector, with the eyes for alignment), "hog"
    (dlib, frontal faces, no eyes), "mtcnn" (several times slower; needs the [mtcnn] extra),
    "haar" (see emoji_fer/detect.py), or None to classify every image as one face crop. runtime: "auto" (LiteRT when the model's `.tflite` export is there
    and fresh, else Keras), "litert" or "keras" (see emoji_fer/runtime.py); the one in
    use is `self.runtime`. Raises ModelFileError if the model or its metadata is missing.
    """

    def __init__(self, model_path=None, detector=DEFAULT_DETECTOR, runtime="auto"):
        model_path = resolve_model(model_path)
        if not model_path.is_file() or not metadata_path(model_path).is_file():
            raise ModelFileError(f"model {model_path} not found: give a shipped model's name "
                                 f"({', '.join(SHIPPED_MODELS)}) or a model's file (its .json with its .tflite "
                                 "and/or .keras beside it)")
        self.model_path = model_path
        self.metadata = read_metadata(model_path)
        self.preprocessing = self.metadata["preprocessing"]
        self.labels = tuple(self.metadata["labels"])
        self.tta = model_tta(self.metadata)
        self._classify, self.runtime = load_classifier(model_path, self.metadata, runtime)
        self._detector = None
        self._detector_name = detector
        # A server calls the Predictor from several threads (photo, webcam and video
        # events run side by side); neither the detector (a LiteRT interpreter, or dlib)
        # nor the classifier's interpreter may be used concurrently.
        self._lock = threading.Lock()

    @property
    def input_shape(self):
        """(48, 48, 1): one face as the model takes it."""
        return (self.preprocessing["input_size"],) * 2 + (1,)

    @property
    def detector(self):
        # Built on first use: the CLI's --no-detect and `evaluate` never pay for it.
        if self._detector is None and self._detector_name:
            from emoji_fer.detect import FaceDetector

            # BlazeFace's postprocessing as the model's metadata records it (the page reads
            # the same entry); a model trained before it was recorded uses the package's.
            self._detector = FaceDetector(self._detector_name, spec=self.metadata.get("detection"))
        return self._detector

    def warm_up(self):
        """Build the face detector and trace the model now (the slow part of a first call),
        so that a server's first request is as fast as the others."""
        self.predict_rgb(np.full((120, 120, 3), 128, np.uint8))
        return self

    def predict_faces(self, faces):
        """Probabilities for a batch of preprocessed faces.

        faces: (N, 48, 48, 1) float32 in [0, 1] (see emoji_fer.preprocessing).
        Returns (N, 7) float32 probabilities in FER-2013 label order; rows sum to 1.
        Applies the model's test-time augmentation (metadata "inference.tta").
        """
        faces = np.asarray(faces, dtype=np.float32)
        if faces.ndim != 4 or faces.shape[1:] != self.input_shape:
            raise ValueError(f"faces must be (N, 48, 48, 1) float32, got {faces.shape}")
        if len(faces) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        return self._classify(faces)

    def predict(self, image, detect=True, top_k=3, channels="RGB"):
        """Find and classify every face in one image.

        image: path, bytes, PIL image, or an (H, W[, 3|4]) uint8 array in RGB order
        (channels="BGR" for OpenCV frames: cv2.imread, cv2.VideoCapture).
        detect: False treats the whole image as one face crop.
        Returns {"schema_version": 1, "faces": [face, ...], "whole_image": bool,
        "message": str or None}, each face {"box": [x, y, w, h] in original pixels,
        "scores": {label: p}, "top": [{"label", "emoji", "score"}] * top_k, and, when the
        detector gives them (BlazeFace, MTCNN), "keypoints": {name: [x, y] float px}},
        largest face first; p in [0, 1], summing to 1 over the seven labels. With eyes,
        each crop is first rotated so that they are level (preprocessing "align").
        Raises emoji_fer.images.ImageError for unusable images, ValueError for an
        unknown `channels`.
        """
        rgb, factor = load_rgb(image, channels=channels)
        return self.predict_rgb(rgb, factor, detect, top_k)

    def predict_batch(self, images, detect=True, top_k=3, channels="RGB", batch_size=BATCH_FACES, errors="return"):
        """`predict` for many images, with the faces of all of them classified together.

        images: an iterable of what `predict` takes (paths, bytes, PIL images, uint8
        arrays; `channels` as there). Each image is decoded, its faces found and cropped
        in turn, and only the crops are kept (one 48x48 float32 array, 9 KB, a face), so
        memory grows with the number of faces, not with the images' size; then every
        face goes through the model in calls of at most `batch_size` faces (each call
        runs the model's TTA views of its faces: 8 network inputs a face for
        "flip_scales"), and the answers are split back per image.
        errors: what an image that cannot be read (emoji_fer.images.ImageError: missing,
        not an image, a video, corrupt, too small or too large) does:
        "return" (default) puts an entry in its place, {"schema_version": 1, "faces": [],
        "whole_image": False, "message": None, "error": "<why, one line>"}, and the other
        images are still classified; "raise" raises the first such error (nothing is
        returned), as `predict` does.
        Returns a list with one dict per image, in input order: `predict`'s result
        dict plus "error": None (or the entry above). The faces are `predict`'s: the same
        boxes, crops and keypoints, and with the LiteRT runtime the same probabilities
        bit for bit (each face's activations are quantized on their own and summed in
        integers, so the other faces in a call change nothing: tests/test_batch.py); with
        Keras they may differ in the last bits of float32.
        Raises ValueError for an unknown `channels` or `errors`, before any image is
        read; ImageError with errors="raise". Thread-safe: a server's other calls wait
        while an image is detected and while the model runs, not while images decode.
        """
        if channels not in CHANNELS:
            raise ValueError(f"channels must be one of {', '.join(CHANNELS)}, got {channels!r}")
        if errors not in ("return", "raise"):
            raise ValueError(f"errors must be 'return' or 'raise', got {errors!r}")
        prepared, crops = [], []
        for image in images:
            try:
                rgb, factor = load_rgb(image, channels=channels)
            except ImageError as err:
                if errors == "raise":
                    raise
                prepared.append(" ".join(line.strip() for line in str(err).splitlines() if line.strip()))
                continue
            with self._lock:
                found, batch, whole = self._crops(rgb, factor, detect)
            prepared.append((found, factor, whole))
            crops.append(batch)
        faces = np.concatenate(crops) if crops else np.zeros((0, *self.input_shape), np.float32)
        with self._lock:
            probs = self._classify(faces, batch_size) if len(faces) else np.zeros((0, len(self.labels)), np.float32)
        results, start = [], 0
        for item in prepared:
            if isinstance(item, str):
                results.append({"schema_version": SCHEMA_VERSION, "faces": [], "whole_image": False, "message": None,
                                "error": item})
                continue
            found, factor, whole = item
            result = self._result(found, probs[start:start + len(found)], factor, top_k, whole, detect)
            results.append({**result, "error": None})
            start += len(found)
        return results

    def detect_emotions(self, image, channels="RGB"):
        """The `fer` package's result: [{"box": [x, y, w, h], "emotions": {label: p}}],
        one dict per face, largest first; box in pixels (ints), p float in [0, 1] over
        the seven FER-2013 labels (`fer` rounds them to 2 decimals; these are not
        rounded). [] when no face is found. image and channels as in `predict`
        (`fer` takes OpenCV's BGR arrays: pass channels="BGR" for those).
        Raises emoji_fer.images.ImageError for unusable images."""
        faces = self.predict(image, channels=channels)["faces"]
        return [{"box": face["box"], "emotions": face["scores"]} for face in faces]

    def top_emotion(self, image, channels="RGB"):
        """(label, score) of the largest face's most likely expression, as the `fer`
        package's `top_emotion` returns it; (None, None) when no face is found.
        score: float in [0, 1]. Raises emoji_fer.images.ImageError for unusable images."""
        faces = self.predict(image, top_k=1, channels=channels)["faces"]
        if not faces:
            return None, None
        best = faces[0]["top"][0]
        return best["label"], best["score"]

    def predict_rgb(self, rgb, factor=1.0, detect=True, top_k=3):
        """`predict` for an already decoded (H, W, 3) uint8 RGB image that was downscaled
        by `factor` (>= 1) from the original; boxes come back in original pixels.
        Thread-safe: concurrent calls run one at a time."""
        return self.predict_rgb_with_inputs(rgb, factor, detect, top_k)[0]

    def predict_rgb_with_inputs(self, rgb, factor=1.0, detect=True, top_k=3):
        """(result, inputs): `predict_rgb`'s result and the model inputs it classified,
        inputs (N, 48, 48, 1) float32 in [0, 1], row i being result["faces"][i]'s crop
        exactly as the model saw it (what the feedback store keeps). Thread-safe."""
        with self._lock:
            return self._predict_rgb(rgb, factor, detect, top_k)

    @functools.cached_property
    def model_sha256(self):
        """Hex SHA-256 of the file the runtime serves (the `.tflite` for LiteRT, the
        `.keras` for Keras): the model's version in the feedback store."""
        served = (self.model_path.with_name(self.metadata["litert"]["file"]) if self.runtime == "litert"
                  else keras_path(self.model_path))
        return sha256(served)

    def _predict_rgb(self, rgb, factor, detect, top_k):
        found, batch, whole = self._crops(rgb, factor, detect)
        return self._result(found, self.predict_faces(batch), factor, top_k, whole, detect), batch

    def _crops(self, rgb, factor, detect):
        """The faces of one image and their model inputs: (found, batch (N, 48, 48, 1)
        float32, whole), found as the detector gives them (N = 0: no face), whole when
        the image itself is the one face crop. Not thread-safe: call under self._lock."""
        height, width = rgb.shape[:2]
        small = max(width, height) * factor <= WHOLE_IMAGE_MAX_SIDE
        found = self.detector.detect_faces(rgb) if detect and self.detector and not small else []
        whole = not found and (not detect or small)
        if whole:
            batch = to_input(_pil(rgb), self.preprocessing)[None]
            found = [{"box": [0, 0, width, height], "keypoints": None}]
        elif found:
            gray = to_gray(rgb)
            batch = np.stack([crop_face(gray, f["box"], self.preprocessing, eyes=eyes_of(f)) for f in found])
        else:
            batch = np.zeros((0, *self.input_shape), np.float32)
        return found, batch, whole

    def _result(self, found, probs, factor, top_k, whole, detect):
        """predict's result dict from one image's faces (`_crops`) and their probabilities."""
        if not found:
            return {"schema_version": SCHEMA_VERSION, "faces": [], "whole_image": False, "message": "no face found"}
        faces = [self._face(f, p, factor, top_k) for f, p in zip(found, probs)]
        message = (f"an image of at most {WHOLE_IMAGE_MAX_SIDE} px: classified the whole image as one face crop"
                   if whole and detect else None)
        return {"schema_version": SCHEMA_VERSION, "faces": faces, "whole_image": whole, "message": message}

    def _face(self, found, probs, factor, top_k):
        scores = {label: float(p) for label, p in zip(self.labels, probs)}
        order = np.argsort(-probs)[:top_k]
        face = {
            "box": [int(round(v * factor)) for v in found["box"]],
            "scores": scores,
            "top": [{"label": self.labels[i], "emoji": EMOJI[self.labels[i]], "score": float(probs[i])}
                    for i in order],
        }
        if found["keypoints"]:
            face["keypoints"] = {name: [x * factor, y * factor] for name, (x, y) in found["keypoints"].items()}
        return face


def _pil(rgb):
    from PIL import Image

    return Image.fromarray(rgb)
