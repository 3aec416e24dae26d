"""Export a trained Keras model to LiteRT (the TensorFlow Lite format) for Python serving.

Why: at batch 1 the TensorFlow runtime spends more time per call on its own overhead
than on the network itself. LiteRT's XNNPACK kernels with dynamic-range quantization
(int8 weights; activations quantized per batch at run time, so no calibration data)
use the CPU's int8 dot-product units: several times faster than float32 LiteRT at
batch 1, with top-1 agreement with Keras above 99 % (the shipped model's figures are in
docs/benchmarks.md, "Accuracy and speed", and docs/web.md, "LiteRT, for Python serving";
the first measurements behind the choice in docs/benchmarks.md, "Figures behind design
choices").
The Predictor uses the `.tflite` file when it is there and was made from the `.keras`
file beside it.

The story: load the `.keras` model -> the same tf.function the Keras runtime calls
(`emoji_fer.inference.tta_function`: the model's TTA views, one batched network call,
the mean of the probabilities) -> a SavedModel -> `tf.lite.TFLiteConverter` ->
`<name>.tflite` beside the model -> its file name, TTA, quantization and the `.keras`
file's SHA-256 recorded under "litert" in the model's JSON.
"""

import os
import tempfile
from pathlib import Path

from emoji_fer.model_files import model_tta, read_metadata, sha256, write_metadata

QUANTIZE = ("dynamic", "none")


def export_litert(model_path, quantize="dynamic"):
    """Write `<name>.tflite` next to `model_path` (a `.keras` file with its `.json`) and
    record it in the JSON. Returns the `.tflite` path. The file maps faces
    (N, 48, 48, 1) float32 in [0, 1] -> (N, 7) float32 probabilities, TTA included, for
    any N. quantize: "dynamic" (int8 weights, dynamic-range) or "none" (float32).
    Raises emoji_fer.model_files.ModelFileError if the metadata is missing."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    model_path = Path(model_path)
    metadata = read_metadata(model_path)
    tta = model_tta(metadata)
    model = keras.models.load_model(model_path, compile=False)
    flatbuffer = to_litert(model, metadata["preprocessing"]["input_size"], tta, quantize)
    out = model_path.with_suffix(".tflite")
    out.write_bytes(flatbuffer)
    metadata["litert"] = {"file": out.name, "tta": tta, "quantize": quantize, "source_sha256": sha256(model_path)}
    write_metadata(model_path, metadata)
    return out


def to_litert(model, input_size=48, tta="none", quantize="dynamic"):
    """The LiteRT flatbuffer (bytes) of a Keras model with its TTA: faces
    (N, S, S, 1) float32 -> (N, classes) float32 probabilities; weights as `quantize` says."""
    import keras
    import tensorflow as tf

    from emoji_fer.inference import tta_function

    infer = tta_function(model, input_size, tta)
    with tempfile.TemporaryDirectory() as tmp:
        # Through a SavedModel, as Keras's own LiteRT export does: the converter then
        # freezes the model's variables into the file.
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", infer)
        archive.write_out(tmp, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=["serve"])
        if quantize == "dynamic":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]  # without representative data: dynamic range
        elif quantize != "none":
            raise ValueError(f"unknown quantization {quantize!r}; expected one of {QUANTIZE}")
        return converter.convert()
