"""Parity: does the TF.js export, run by TensorFlow.js itself, answer like the Keras model?

python -m convert.parity [--export web_tfjs/model] [--n 600] [--all]

Both sides see the same PrivateTest faces (FER-2013, the first N files in sorted order)
without TTA, so the comparison is of the networks alone. The TF.js side is
`convert/parity.mjs` under Node with the npm `@tensorflow/tfjs` packages (wasm backend),
installed by `npm ci --prefix convert`. `--all` exports float32, float16 and uint8
weights to temporary folders and reports each.
"""

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from convert.export import DEFAULT_OUT, QUANTIZE, ConvertError, export_tfjs
from convert import ROOT, SHIPPED_KERAS

NODE_SCRIPT = Path(__file__).resolve().parent / "parity.mjs"
NODE_MODULES = NODE_SCRIPT.parent / "node_modules"


def privatetest_faces(data_dir=None, n=600):
    """The first n PrivateTest faces: (n, 48, 48, 1) float32 in [0, 1]."""
    from emoji_fer.preprocessing import scale
    from emoji_fer.fer2013 import load_fer2013

    images, _ = load_fer2013(data_dir, splits=("PrivateTest",))["PrivateTest"]
    return scale(images[:n, ..., None])


def keras_probs(model_path, faces):
    """(N, 7) probabilities from the Keras model in this process (no TTA)."""
    import keras

    from emoji_fer.inference import make_classifier

    model = keras.models.load_model(model_path, compile=False)
    return make_classifier(model, faces.shape[1], "none")(faces)


def tfjs_probs(export_dir, faces, backend="wasm"):
    """(N, 7) probabilities from TensorFlow.js in Node, and its run info {backend, n, ms_per_face}."""
    if shutil.which("node") is None:
        raise ConvertError("Node.js not found on PATH (needed to run TensorFlow.js)")
    if not (NODE_MODULES / "@tensorflow" / "tfjs").is_dir():
        raise ConvertError(f"TensorFlow.js is not installed for the parity script: npm ci --prefix {NODE_SCRIPT.parent}")
    with tempfile.TemporaryDirectory() as tmp:
        faces_file, probs_file = Path(tmp) / "faces.f32", Path(tmp) / "probs.f32"
        np.ascontiguousarray(faces, dtype="<f4").tofile(faces_file)
        done = subprocess.run(["node", str(NODE_SCRIPT), str(export_dir), str(faces_file), str(probs_file), backend],
                              capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            raise ConvertError(f"TensorFlow.js run failed:\n{done.stderr.strip()[-2000:]}")
        info = json.loads(done.stdout.strip().splitlines()[-1])
        return np.fromfile(probs_file, dtype="<f4").reshape(len(faces), -1), info


def compare(reference, other):
    """{"n", "top1_agreement" (fraction), "max_abs_diff" (probability units)}."""
    return {"n": len(reference),
            "top1_agreement": float(np.mean(reference.argmax(1) == other.argmax(1))),
            "max_abs_diff": float(np.abs(reference - other).max())}


def export_size(export_dir):
    """Bytes the page downloads for the model: model.json + weight shards."""
    export_dir = Path(export_dir)
    return sum(p.stat().st_size for p in [export_dir / "model.json", *export_dir.glob("*.bin")])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", default=str(DEFAULT_OUT), help="a TF.js export folder (default: the shipped one)")
    parser.add_argument("--model", default=str(SHIPPED_KERAS), help="the Keras model it was exported from")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "fer2013"))
    parser.add_argument("--n", type=int, default=600, help="PrivateTest faces to compare")
    parser.add_argument("--all", action="store_true", help="export and compare every quantization")
    args = parser.parse_args()

    faces = privatetest_faces(args.data_dir, args.n)
    reference = keras_probs(args.model, faces)
    print(f"{'export':<28}{'bytes':>10}{'top-1 agreement':>17}{'max |diff|':>12}{'ms/face':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        exports = {args.export: args.export}
        if args.all:
            exports = {q: Path(tmp) / q for q in QUANTIZE}
            for q, out in exports.items():
                export_tfjs(args.model, out, q)
        for name, out in exports.items():
            probs, info = tfjs_probs(out, faces)
            result = compare(reference, probs)
            print(f"{str(name):<28}{export_size(out):>10,}{result['top1_agreement']:>16.2%} "
                  f"{result['max_abs_diff']:>11.2e}{info['ms_per_face']:>9.1f}")


if __name__ == "__main__":
    main()
