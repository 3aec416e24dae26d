"""Would an ensemble of trained models be worth distilling? Each model's accuracy and
that of their mean probabilities, on PublicTest and PrivateTest, every model run as the
Predictor serves it (its own TTA; LiteRT if its `.tflite` is beside it, else Keras),
like the teachers of train/distill.py.

Why before distilling: a student passes on at most about what its teachers' ensemble
gains (Hinton et al. 2015, arXiv:1503.02531, recovered most, not all, of an ensemble's
gain in one network), so teachers whose ensemble does not beat the shipped model on
PublicTest are not worth a fine-tune.

    python -m train.research.ensemble models/emoji_fer.keras models/fer_cutmix.keras
"""

import argparse
import sys

import numpy as np

from emoji_fer.model_files import ModelFileError
from emoji_fer.predictor import Predictor
from emoji_fer.preprocessing import scale
from emoji_fer.fer2013 import DatasetError, load_fer2013

SPLITS = ("PublicTest", "PrivateTest")


def accuracies(labels, probs_per_model):
    """Top-1 accuracy, fractions in [0, 1], of each model and of their mean probabilities.

    labels: (N,) int in 0..6. probs_per_model: list of (N, 7) float probabilities.
    Returns {"models": [float per model], "ensemble": float}.
    """
    def accuracy(probs):
        return float((np.asarray(probs).argmax(axis=1) == labels).mean())

    return {"models": [accuracy(p) for p in probs_per_model],
            "ensemble": accuracy(np.mean(probs_per_model, axis=0))}


def compare(model_paths, data_dir=None, splits=SPLITS):
    """Accuracies of the models (`.keras` files with their `.json`) on each split.

    Returns (report, runtimes): report = {split: accuracies(...)}, runtimes = one
    "<runtime>, TTA <mode>" per model, as its Predictor ran it. Raises
    emoji_fer.fer2013.DatasetError for a missing dataset, ModelFileError for a missing model.
    """
    predictors = [Predictor(path, detector=None) for path in model_paths]  # a wrong path fails first
    data = load_fer2013(data_dir, splits=splits)
    report = {}
    for split in splits:
        images, labels = data[split]
        faces = scale(images[..., None])
        report[split] = accuracies(labels, [p.predict_faces(faces) for p in predictors])
    return report, [f"{p.runtime}, TTA {p.tta}" for p in predictors]


def table(model_paths, runtimes, report):
    """The report as a Markdown table, one row per model and one for their ensemble."""
    splits = list(report)
    rows = ["| model | runs as | " + " | ".join(splits) + " |", "|---|---" + "|---:" * len(splits) + "|"]
    for i, (path, runtime) in enumerate(zip(model_paths, runtimes)):
        rows.append(f"| {path} | {runtime} | " + " | ".join(f"{report[s]['models'][i]:.2%}" for s in splits) + " |")
    rows.append("| ensemble (mean probabilities) | | "
                + " | ".join(f"{report[s]['ensemble']:.2%}" for s in splits) + " |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.research.ensemble", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help=".keras files, each with its .json beside it")
    parser.add_argument("--data-dir", help="FER-2013 folder layout or fer2013.csv (default: $FER2013_DIR)")
    parser.add_argument("--splits", nargs="+", choices=SPLITS, default=list(SPLITS))
    args = parser.parse_args(argv)
    try:
        report, runtimes = compare(args.models, args.data_dir, tuple(args.splits))
    except (DatasetError, ModelFileError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(table(args.models, runtimes, report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
