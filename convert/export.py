"""Export a trained Keras model to a TensorFlow.js graph model for the browser page.

The story: load the `.keras` model -> Keras `model.export` to a TF SavedModel ->
`tensorflowjs_converter --input_format=tf_saved_model --output_format=tfjs_graph_model`
(optionally quantizing the weights) -> `metadata.json` beside it with the labels, emoji,
preprocessing and TTA that the page reads.

Why a graph model: TF.js 4.22 cannot load the layers-model configs that Keras 3 writes
(it fails with "An InputLayer should be passed either a `batchInputShape` or an
`inputShape`", then "Corrupted configuration"); the graph model carries plain TF ops
(fused conv + batch norm + ReLU) that TF.js runs as they are.

The converter lives in its own virtual environment (see requirements-convert.txt):
`$TFJS_CONVERTER`, else `.venv-convert/bin/tensorflowjs_converter`, else one on PATH.
"""

import json
import math
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from convert import ROOT
from emoji_fer.model_files import read_metadata, sha256

DEFAULT_OUT = ROOT / "web_tfjs" / "model"
QUANTIZE = ("none", "float16", "uint8", "mixed")
MAX_BYTES = 2_000_000  # the page's model download budget, for "mixed"
# Copied from the model's JSON into metadata.json: everything the page needs.
METADATA_KEYS = ("name", "labels", "emoji", "input", "output", "preprocessing", "detection", "inference")
INSTALL_HINT = ("python3 -m venv .venv-convert && "
                ".venv-convert/bin/pip install -r requirements-convert.txt")


class ConvertError(RuntimeError):
    """The converter is missing or failed; the message says what to do."""


def find_converter():
    """Path of the `tensorflowjs_converter` executable. Raises ConvertError if none is found."""
    candidates = [os.environ.get("TFJS_CONVERTER"),
                  ROOT / ".venv-convert" / "bin" / "tensorflowjs_converter",
                  shutil.which("tensorflowjs_converter")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ConvertError("tensorflowjs_converter not found (set $TFJS_CONVERTER or install it: "
                       f"{INSTALL_HINT})")


def export_tfjs(model_path, out_dir=DEFAULT_OUT, quantize="mixed", max_bytes=MAX_BYTES):
    """Write `out_dir/model.json`, its weight shards and `metadata.json`.

    model_path: a `.keras` file with its `.json` beside it. quantize: how weights are
    stored; TF.js dequantizes them to float32 at load time and computes in float32.
    "none": float32 (4 bytes per weight); "float16": 2 bytes; "uint8": 1 byte (affine,
    one min/scale per tensor); "mixed": float16, except the largest tensors, largest
    first, in uint8 until the weights fit in `max_bytes`. Per-tensor uint8 is coarse for
    kernels with batch norm folded in: all-uint8 loses agreement with Keras, "mixed"
    keeps nearly float16's (`python -m convert.parity --all --n 3589`; the figures are
    in docs/web.md, "Export to TensorFlow.js").
    Returns {"files": {name: bytes}, "bytes": total, "uint8": [tensor names]}.
    Raises ConvertError.
    """
    if quantize not in QUANTIZE:
        raise ValueError(f"unknown quantization {quantize!r}; choose one of {', '.join(QUANTIZE)}")
    model_path, out_dir = Path(model_path), Path(out_dir)
    read_metadata(model_path)  # a missing or bad JSON fails here, before the slow conversion
    converter = find_converter()
    with tempfile.TemporaryDirectory() as tmp:
        saved_model, tfjs = Path(tmp) / "saved_model", Path(tmp) / "tfjs"
        _export_saved_model(model_path, saved_model)
        uint8 = []
        if quantize == "mixed":
            _run_converter(converter, saved_model, Path(tmp) / "float32", [])
            uint8 = _largest_first_until(Path(tmp) / "float32" / "model.json", max_bytes)
            flags = ["--quantize_float16"] + ([f"--quantize_uint8={','.join(uint8)}"] if uint8 else [])
        else:
            flags = [] if quantize == "none" else [f"--quantize_{quantize}=*"]
        _run_converter(converter, saved_model, tfjs, flags)
        _replace_export(out_dir, tfjs)
    write_web_metadata(model_path, out_dir, quantize, uint8)
    files = {p.name: p.stat().st_size for p in sorted(out_dir.iterdir()) if p.is_file()}
    return {"files": files, "bytes": sum(files.values()), "uint8": uint8}


def write_web_metadata(model_path, out_dir, quantize=None, uint8=None):
    """Write `out_dir/metadata.json` for the graph model already in `out_dir`: the keys the
    page reads from the model's JSON, the export's settings, and the classifier's head
    (head_nodes). quantize/uint8: as export_tfjs chose them; None keeps those of the
    metadata.json already there (`python -m convert --metadata-only`: the model files
    stay byte for byte as they are). Raises ValueError if the graph has no such head."""
    model_path, out_dir = Path(model_path), Path(out_dir)
    metadata = read_metadata(model_path)
    if quantize is None:
        previous = json.loads((out_dir / "metadata.json").read_text())["export"]
        quantize, uint8 = previous["quantize"], previous["uint8_tensors"]
    head = head_nodes(json.loads((out_dir / "model.json").read_text()))
    (out_dir / "metadata.json").write_text(json.dumps(
        {**{k: metadata[k] for k in METADATA_KEYS if k in metadata},
         "head": head,
         "export": {"format": "tfjs_graph_model", "quantize": quantize, "uint8_tensors": uint8,
                    "source": model_path.name,
                    "source_sha256": sha256(model_path)}},
        indent=2, ensure_ascii=False) + "\n")


def head_nodes(model_json):
    """The graph's classifier head, which the page's personal model replaces (js/personal.js):
    output <- Softmax <- the logits, a MatMul with bias (_FusedMatMul once converted) of the
    penultimate features. Returns {"features": node, "logits": node, "kernel": weight
    [F, C], "bias": weight [C], "size": F}; the page runs the graph to `features` and reads
    the two weights from the model it already downloaded. Raises ValueError otherwise."""
    nodes = {n["name"]: n for n in model_json["modelTopology"]["node"]}
    output = model_json["signature"]["outputs"]
    name = next(iter(output.values()))["name"].split(":")[0]
    node = nodes[name]
    while node["op"] in ("Identity", "Softmax"):
        node = nodes[node["input"][0].split(":")[0]]
    if node["op"] != "_FusedMatMul" or len(node["input"]) != 3:
        raise ValueError(f"the graph's output does not come from a dense layer with bias (found {node['op']})")
    features, kernel, bias = (i.split(":")[0] for i in node["input"])
    shapes = {w["name"]: w["shape"] for group in model_json["weightsManifest"] for w in group["weights"]}
    if kernel not in shapes or bias not in shapes or len(shapes[kernel]) != 2:
        raise ValueError(f"the logits' weights {kernel}, {bias} are not stored weights of the graph")
    return {"features": features, "logits": node["name"], "kernel": kernel, "bias": bias,
            "size": shapes[kernel][0]}


def _export_saved_model(model_path, out):
    import keras

    model = keras.models.load_model(model_path, compile=False)
    model.export(str(out), format="tf_saved_model", verbose=False)


def _largest_first_until(float32_model_json, max_bytes):
    """Names of the weight tensors to store in uint8, largest first, so that the rest in
    float16 brings the weights under max_bytes."""
    manifest = json.loads(float32_model_json.read_text())["weightsManifest"]
    sizes = sorted(((math.prod(w["shape"]), w["name"]) for group in manifest for w in group["weights"]),
                   reverse=True)
    total = 2 * sum(n for n, _ in sizes)
    chosen = []
    for n, name in sizes:
        if total <= max_bytes:
            break
        chosen.append(name)
        total -= n
    return chosen


def _run_converter(converter, saved_model, out, flags):
    # Flags before the two positional paths: a bare --quantize_float16 (the fallthrough
    # for every tensor not listed elsewhere) would otherwise swallow the input path.
    cmd = [str(converter), "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
           "--signature_name=serve", *flags]
    done = subprocess.run(cmd + [str(saved_model), str(out)], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    if done.returncode != 0 or not (out / "model.json").is_file():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise ConvertError(f"tensorflowjs_converter failed (exit {done.returncode}):\n{tail}")


def _replace_export(out_dir, new):
    # Remove only what an earlier export wrote, then move the new files in.
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("group*-shard*of*.bin"), out_dir / "model.json", out_dir / "metadata.json"]:
        old.unlink(missing_ok=True)
    for path in new.iterdir():
        shutil.move(str(path), out_dir / path.name)
