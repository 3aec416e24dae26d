"""Latency benchmark (a script, not a test): python -m emoji_fer.bench [--runs 30]

Prints the median warm latency, in ms, of
- classifying one preprocessed 48x48 face (batch 1, with the model's TTA),
- the whole `Predictor.predict` on ../shared/samples/justin.jpg (one face) and
  sample6.jpg (a group photo), for each face detector,
and the ratio of each to the 50 ms per single-face photo target (issue 2).
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--model")
    args = parser.parse_args()

    rows = []
    for detector in ("mtcnn", "haar"):
        predictor = Predictor(args.model, detector=detector)
        if not rows:
            face = np.random.default_rng(0).random((1, 48, 48, 1), dtype=np.float32)
            rows.append((f"classify 1 face (batch 1, TTA {predictor.tta})", "-",
                         median_ms(lambda: predictor.predict_faces(face), args.runs * 10)))
        for name in ("justin.jpg", "sample6.jpg"):
            rgb, factor = load_rgb(args.samples / name)
            n = len(predictor.predict_rgb(rgb, factor)["faces"])
            ms = median_ms(lambda: predictor.predict_rgb(rgb, factor), args.runs)
            rows.append((f"predict {name} ({rgb.shape[1]}x{rgb.shape[0]}), detector {detector}", n, ms))

    print(f"{'what':<62}{'faces':>6}{'median ms':>11}{'/ 50 ms':>9}")
    for what, n, ms in rows:
        print(f"{what:<62}{n!s:>6}{ms:>11.1f}{ms / TARGET_MS:>9.2f}")


if __name__ == "__main__":
    main()
