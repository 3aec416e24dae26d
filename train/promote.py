"""Ship a trained model: copy it over the product's model, with its JSON renamed, its
LiteRT export, plots, training log and model card, once it beats the shipped model on
PublicTest as served (the split every choice is made on; PrivateTest is only reported).

    python -m train.promote models/fer_300.keras

Then re-export for the browser and check it: `python -m convert --quantize mixed` and
`python -m convert.parity --all --n 3589` (see the README).
"""

import argparse
import shutil
import sys
from pathlib import Path

from convert import SHIPPED_KERAS
from emoji_fer.model_files import ModelFileError, read_metadata, write_metadata
from train.card import main as write_card

PLOTS = ("_confusion.png", "_curves.png")


def served_accuracy(metadata, split="PublicTest"):
    """Top-1 accuracy in [0, 1] on `split` as the model is served (its runtime and TTA)."""
    return metadata["metrics"][split]["accuracy"]


def check_candidate(source, target, force=False):
    """(metadata, LiteRT path) of the candidate, after the checks that keep a promotion
    from losing anything. Raises ModelFileError (a file missing) or ValueError (same file as the
    shipped one, or not better on PublicTest without `force`)."""
    source, target = Path(source), Path(target)
    if not source.is_file():
        raise ModelFileError(f"model {source} not found")
    metadata = read_metadata(source)
    litert = source.with_name(metadata.get("litert", {}).get("file", source.stem + ".tflite"))
    if not litert.is_file():
        raise ModelFileError(f"LiteRT export {litert} not found: the Predictor serves it "
                             f"(python -m convert --litert --model {source} writes it)")
    if source.resolve() == target.resolve():
        raise ValueError(f"{source} is already the shipped model")
    if target.is_file() and not force:
        new, old = served_accuracy(metadata), served_accuracy(read_metadata(target))
        if new <= old:
            raise ValueError(f"{source.name} scores {new:.2%} on PublicTest as served, the shipped "
                             f"model {old:.2%}: not better, not promoted (--force to ship it anyway)")
    return metadata, litert


def promote(source, target=SHIPPED_KERAS, force=False):
    """Copy model `source` (.keras beside its .json and .tflite) to `target`; returns the
    Paths written. The JSON takes the target's name; the weights are byte-identical, so
    the LiteRT export's recorded source SHA-256 still matches. Raises as check_candidate."""
    source, target = Path(source), Path(target)
    metadata, litert = check_candidate(source, target, force)
    metadata["name"] = target.stem
    metadata.setdefault("litert", {})["file"] = target.stem + ".tflite"
    written = [Path(shutil.copyfile(source, target)),
               Path(shutil.copyfile(litert, target.with_suffix(".tflite")))]
    written += [Path(shutil.copyfile(source.with_name(source.stem + p), target.with_name(target.stem + p)))
                for p in PLOTS if source.with_name(source.stem + p).is_file()]
    log = Path(metadata["recipe"]["work_dir"]) / metadata["recipe"]["name"] / "log.csv"
    if log.is_file():  # the per-epoch log, kept with the model once checkpoints/ is gone
        written.append(Path(shutil.copyfile(log, target.with_name(target.stem + "_log.csv"))))
    written.append(write_metadata(target, metadata))
    write_card([str(target.with_suffix(".json"))])
    return written + [target.with_name("MODEL_CARD.md")]


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m train.promote", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="the trained model, e.g. models/fer_300.keras")
    p.add_argument("--to", default=str(SHIPPED_KERAS), help="the shipped model's path (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="ship even if not better on PublicTest")
    args = p.parse_args(argv)
    try:
        written = promote(args.model, args.to, args.force)
    except (ModelFileError, ValueError) as err:
        sys.exit(f"error: {err}")
    print("wrote " + ", ".join(str(w) for w in written))
    print("next: python -m convert --quantize mixed && python -m convert.parity --all --n 3589")


if __name__ == "__main__":
    main()
