"""Which SWA window to ship? For a model trained with --swa-epochs K, the accuracy of the
mean of each of the tails training kept sums of (the last K, 3K/4, K/2 and K/4 epochs,
`train.swa.tail_lengths`), batch norm re-estimated as training does, for every TTA, on
PublicTest (where the window is chosen) and PrivateTest (reported, never chosen on).
Keras float32.

    python -m train.research.swa_windows models/fer_300.keras --windows 84 63 42 21

Then `python -m train <the model's recipe> --swa-epochs k --resume` writes the model with
the chosen window (training is not repeated: the sums do not depend on which is shipped).
"""

import argparse
import sys
from pathlib import Path

import keras

from emoji_fer.inference import TTA_MODES, probabilities_by_tta
from emoji_fer.model_files import ModelFileError, model_tta, read_metadata
from emoji_fer.preprocessing import scale
from emoji_fer.fer2013 import DatasetError, load_fer2013
from train.swa import SNAPSHOT_DIR, swa_weights

SPLITS = ("PublicTest", "PrivateTest")


def window_accuracies(model_path, windows, data_dir=None):
    """{k: {split: {tta: accuracy in [0, 1]}}} for each window k (epochs), the model's
    architecture loaded from `model_path` and its recipe (work dir, epochs, seed, K) from
    its JSON. Raises ModelFileError (missing model or JSON), ValueError (a window longer
    than the run's --swa-epochs), FileNotFoundError (no sum kept for a window), DatasetError."""
    if not Path(model_path).is_file():
        raise ModelFileError(f"model {model_path} not found")
    metadata = read_metadata(model_path)
    recipe, served = metadata["recipe"], model_tta(metadata)
    too_long = [k for k in windows if not 0 < k <= recipe["swa_epochs"]]
    if too_long:
        raise ValueError(f"windows {too_long} are not within the {recipe['swa_epochs']} epochs "
                         f"whose weights the run summed (--swa-epochs)")
    snapshots = Path(recipe["work_dir"]) / recipe["name"] / SNAPSHOT_DIR
    model = keras.models.load_model(model_path, compile=False)
    data = load_fer2013(data_dir or recipe.get("data_dir"))
    train_faces = scale(data["Training"][0][..., None])
    results = {}
    for k in windows:
        swa_weights(model, snapshots, recipe["epochs"] - k + 1, recipe["epochs"], train_faces, seed=recipe["seed"])
        results[k] = {split: {tta: float((probs.argmax(1) == data[split][1]).mean())
                              for tta, probs in probabilities_by_tta(model, scale(data[split][0][..., None])).items()}
                      for split in SPLITS}
        print(f"window {k}: " + ", ".join(f"{s} {results[k][s][served]:.2%}" for s in SPLITS)
              + f" (TTA {served})", flush=True)
    return results


def table(results, epochs, served_tta):
    """Markdown table, one row per window; the best window on PublicTest with the served TTA is marked."""
    best = max(results, key=lambda k: results[k]["PublicTest"][served_tta])
    head = "| window | epochs | " + " | ".join(f"{s} {t}" for s in SPLITS for t in TTA_MODES) + " |"
    rows = [head, "|---|---" + "|---:" * (len(SPLITS) * len(TTA_MODES)) + "|"]
    for k, acc in results.items():
        mark = " (best on PublicTest, " + served_tta + ")" if k == best else ""
        rows.append(f"| {k}{mark} | {epochs - k + 1}-{epochs} | "
                    + " | ".join(f"{acc[s][t]:.2%}" for s in SPLITS for t in TTA_MODES) + " |")
    return "\n".join(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m train.research.swa_windows", description=__doc__.splitlines()[0])
    parser.add_argument("model", help="a .keras model trained with --swa-epochs, its JSON beside it")
    parser.add_argument("--windows", type=int, nargs="+", required=True, help="tail lengths in epochs")
    parser.add_argument("--data-dir", help="FER-2013 (default: the recipe's --data-dir, then $FER2013_DIR)")
    args = parser.parse_args(argv)
    try:
        results = window_accuracies(args.model, args.windows, args.data_dir)
    except (DatasetError, ModelFileError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metadata = read_metadata(args.model)
    print(table(results, metadata["recipe"]["epochs"], model_tta(metadata)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
