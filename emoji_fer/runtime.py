"""Which runtime classifies faces: LiteRT when the model has a fresh `.tflite` export,
else TensorFlow/Keras. Both run the same graph (the network and its TTA, see
emoji_fer/inference.py); the LiteRT export has int8 weights (convert/litert.py), so the
probabilities differ slightly (tests/test_runtime.py holds them to >= 99 % top-1
agreement on PrivateTest).

Why LiteRT (`ai-edge-litert`, Google's successor to `tf.lite.Interpreter`): at batch 1
TensorFlow spends more time per call on its own overhead than on the network, and
XNNPACK's int8 kernels use the CPU's dot-product units (figures in docs/benchmarks.md).
"""

import logging
import os
import threading
from pathlib import Path

from emoji_fer.inference import in_batches
from emoji_fer.model_files import ModelFileError, keras_path, model_tta, sha256

RUNTIMES = ("auto", "litert", "keras")
log = logging.getLogger(__name__)


def load_classifier(model_path, metadata, runtime="auto"):
    """classify(faces (N, S, S, 1) float32 in [0, 1]) -> (N, 7) float32 probabilities,
    with the model's TTA ("inference.tta" in its metadata).

    model_path: the model named by any of its files (emoji_fer.model_files).
    runtime: "litert" (the `.tflite` export recorded under "litert" in the metadata;
    ModelFileError if it is missing, broken or made from another `.keras` file,
    ImportError without `ai-edge-litert`), "keras" (the `.keras` file, with TensorFlow:
    ModelFileError if there is none, as in an installed wheel, ImportError without
    TensorFlow), or "auto" (LiteRT if its export is there and fresh, else Keras, with a
    warning for a stale export or a missing LiteRT).
    Returns (classify, runtime name used).
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown runtime {runtime!r}; expected one of {RUNTIMES}")
    tta = model_tta(metadata)
    keras_file = keras_path(model_path)
    if runtime != "keras":
        problem = litert_problem(model_path, metadata, tta)
        if problem is None:
            try:
                return LiteRTClassifier(Path(model_path).with_name(metadata["litert"]["file"])), "litert"
            except ImportError as err:  # no ai-edge-litert wheel for this platform
                if runtime == "litert" or not keras_file.is_file():
                    raise
                problem = f"LiteRT is not installed ({err})"
        elif runtime == "litert" or not keras_file.is_file():
            raise ModelFileError(f"{problem} (run: python -m convert --litert --model {keras_file})")
        if "litert" in metadata:
            log.warning("%s; using the Keras model instead", problem)
    if not keras_file.is_file():
        raise ModelFileError(f"{keras_file} not found: the Keras runtime needs the .keras file "
                             "(the installed package ships only the LiteRT export; use runtime='auto')")
    return keras_classifier(keras_file, metadata["preprocessing"]["input_size"], tta), "keras"


def litert_problem(model_path, metadata, tta):
    """Why the model's LiteRT export can't be used, or None if it can. Freshness (the
    export made from this `.keras` file) is checked only where the `.keras` file is there."""
    export = metadata.get("litert")
    if not export:
        return f"{model_path} has no LiteRT export"
    path = Path(model_path).with_name(export["file"])
    if not path.is_file():
        return f"LiteRT export {path} not found"
    if export.get("tta") != tta:
        return f"LiteRT export {path} has TTA {export.get('tta')!r}, the model's metadata says {tta!r}"
    keras_file = keras_path(model_path)
    if keras_file.is_file() and export.get("source_sha256") != sha256(keras_file):
        return f"LiteRT export {path} was made from another version of {keras_file.name}"
    return None


def keras_classifier(model_path, input_size, tta):
    """Load the Keras model (a `.keras` file) once and trace its classification function."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from emoji_fer.inference import make_classifier

    try:
        model = keras.models.load_model(keras_path(model_path), compile=False)
    except (OSError, ValueError) as err:
        raise ModelFileError(f"cannot load model {model_path}: {err}") from None
    return make_classifier(model, input_size, tta)


class LiteRTClassifier:
    """A LiteRT model (faces -> probabilities, TTA inside) in a LiteRT interpreter.

    model: a `.tflite` path, or the flatbuffer as bytes (convert/litert.py's to_litert).
    threads: CPU threads for XNNPACK (default: all cores, at most 4). Calls are serialised: an interpreter holds one set
    of tensors. Raises ModelFileError if the file is not a valid LiteRT model.
    """

    def __init__(self, model, threads=None):
        from ai_edge_litert.interpreter import Interpreter

        source = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
        try:
            self._interpreter = Interpreter(**source, num_threads=threads or min(os.cpu_count() or 1, 4))
        except (ValueError, RuntimeError) as err:
            name = source.get("model_path", "(bytes)")
            raise ModelFileError(f"cannot load LiteRT model {name}: {err}") from None
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._batch = None
        self._lock = threading.Lock()

    def __call__(self, faces, batch_size=256):
        with self._lock:
            return in_batches(self._run, faces, batch_size)

    def _run(self, batch):
        if self._batch != batch.shape:
            # Re-planning the tensors is not free: only when the batch shape changes.
            self._interpreter.resize_tensor_input(self._input, batch.shape)
            self._interpreter.allocate_tensors()
            self._batch = batch.shape
        self._interpreter.set_tensor(self._input, batch)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()
