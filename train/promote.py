"""Ship a trained model: copy it over the product's model, with its JSON renamed, its
LiteRT export, plots, training log and model card, once it beats the shipped model on
PublicTest as served (the split every choice is made on; PrivateTest is only reported).

Since the shipped model learns from the FER+ crowd votes, "beats" is judged by FER+: a
candidate must score higher on both FER+ protocol accuracy and human agreement on
PublicTest (emoji_fer/ferplus.py; the "ferplus" figures training writes into the JSON
when the votes are there). Against a shipped model without FER+ figures, FER-2013
PublicTest accuracy decides, as it did before.

A refit on users' feedback (trained with --extra-data) is judged otherwise: it may lose at
most 0.3 points on PublicTest, and must do better than the shipped model on the held-out
feedback faces (FeedbackTest of its --extra-data folder, both models run as served).
Refused promotions exit with status 2 and change nothing.

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
# A refit on a few hundred feedback faces may cost a little on FER-2013: the feedback loop
# (docs/feedback.md) accepts 0.003 (0.3 points, about 11 of PublicTest's 3,589 faces) for a
# model that does better on the users' own faces; more is a real loss on the split every
# other choice was made on.
PUBLIC_DROP_ALLOWED = 0.003


def served_accuracy(metadata, split="PublicTest", ferplus=False):
    """Top-1 accuracy in [0, 1] on `split` as the model is served (its runtime and TTA):
    FER+ protocol accuracy with `ferplus`, else against FER-2013's labels."""
    if ferplus:
        return metadata["ferplus"][split]["protocol_accuracy"]
    return metadata["metrics"][split]["accuracy"]


def check_ferplus(source, metadata, shipped):
    """Raise ValueError unless the candidate's FER+ PublicTest figures beat the shipped
    model's on both protocol accuracy and human agreement (both JSONs, as served)."""
    if "ferplus" not in metadata:
        raise ValueError(f"{Path(source).name} has no FER+ figures in its JSON (train where the FER+ votes "
                         "are, see docs/training.md), so it cannot be shown to agree with people better than "
                         "the shipped model: not promoted (--force to ship it anyway)")
    new, old = metadata["ferplus"]["PublicTest"], shipped["ferplus"]["PublicTest"]
    print(f"FER+ PublicTest as served ({new['n']} faces): protocol accuracy shipped {old['protocol_accuracy']:.2%}, "
          f"candidate {new['protocol_accuracy']:.2%}; human agreement shipped {old['human_agreement']:.3f}, "
          f"candidate {new['human_agreement']:.3f}", flush=True)
    losses = [what for what in ("protocol_accuracy", "human_agreement") if new[what] <= old[what]]
    if losses:
        raise ValueError(f"{Path(source).name} is not better on FER+ PublicTest ({' and '.join(losses).replace('_', ' ')}"
                         "): not promoted (--force to ship it anyway)")


def check_candidate(source, target, force=False):
    """(metadata, LiteRT path) of the candidate, after the checks that keep a promotion
    from losing anything. Raises ModelFileError (a file missing) or ValueError (same file as the
    shipped one, or without `force`: not better on PublicTest, or for a refit with
    --extra-data, see `check_refit`; DatasetError, a ValueError, if its feedback folder is gone)."""
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
    if force or not target.is_file():
        return metadata, litert
    shipped = read_metadata(target)
    if metadata["recipe"].get("extra_data"):
        check_refit(source, target, metadata)
    elif "ferplus" in shipped:
        check_ferplus(source, metadata, shipped)
    else:
        new, old = served_accuracy(metadata), served_accuracy(shipped)
        if new <= old:
            raise ValueError(f"{source.name} scores {new:.2%} on PublicTest as served, the shipped "
                             f"model {old:.2%}: not better, not promoted (--force to ship it anyway)")
    return metadata, litert


def check_refit(source, target, metadata):
    """The rule for a candidate trained with --extra-data: prints the shipped model's and the
    candidate's PublicTest accuracy (from their JSONs, as served) and their accuracy on the
    held-out feedback faces of the candidate's folder (both run now, as served), then raises
    ValueError unless PublicTest dropped by at most PUBLIC_DROP_ALLOWED and the feedback
    accuracy rose. Raises DatasetError (a ValueError) if the folder cannot be read."""
    from emoji_fer.fer2013 import load_feedback

    folder = metadata["recipe"]["extra_data"]["path"]
    images, labels = load_feedback(folder)["FeedbackTest"]
    shipped = read_metadata(target)
    ferplus = "ferplus" in shipped  # the shipped model is judged by FER+: so is its refit
    if ferplus and "ferplus" not in metadata:
        raise ValueError(f"{Path(source).name} has no FER+ figures, the shipped model is judged by them: "
                         "not promoted (--force to ship it anyway)")
    public = served_accuracy(shipped, ferplus=ferplus), served_accuracy(metadata, ferplus=ferplus)
    correct = feedback_correct(target, images, labels), feedback_correct(source, images, labels)
    n = (metadata["ferplus"] if ferplus else metadata["metrics"])["PublicTest"]["n"]
    print(f"{'FER+ protocol ' if ferplus else ''}PublicTest as served ({n} faces): shipped {public[0]:.2%}, "
          f"candidate {public[1]:.2%} ({100 * (public[1] - public[0]):+.2f} points; "
          f"a drop of at most {100 * PUBLIC_DROP_ALLOWED:.1f} allowed)")
    trained_with = metadata["recipe"]["extra_data"].get("FeedbackTest")
    changed = (f"; it held {trained_with} when the candidate was trained"
               if trained_with is not None and trained_with != len(labels) else "")
    print(f"FeedbackTest as served ({len(labels)} held-out faces in {folder}{changed}): "
          + ", ".join(f"{who} {n / max(len(labels), 1):.2%} ({n}/{len(labels)})"
                      for who, n in zip(("shipped", "candidate"), correct)), flush=True)
    problems = refit_problems(public, correct, len(labels))
    if problems:
        raise ValueError(f"{Path(source).name} is a refit on feedback (--extra-data {folder}): "
                         + "; ".join(problems) + ": not promoted (--force to ship it anyway)")


def refit_problems(public, correct, n_feedback):
    """Why a refit must not ship: [] or reasons (str). public: (shipped, candidate) PublicTest
    accuracy in [0, 1]; correct: (shipped, candidate) held-out feedback faces right, of n_feedback."""
    problems = []
    # Rounded: a drop of exactly 0.3 points is allowed, whatever the floats' last bits say.
    if round(public[0] - public[1], 9) > PUBLIC_DROP_ALLOWED:
        problems.append(f"PublicTest drops by {100 * (public[0] - public[1]):.2f} points, more than "
                        f"{100 * PUBLIC_DROP_ALLOWED:.1f}")
    if n_feedback == 0:
        problems.append("its folder has no held-out feedback faces (test/<class>/FeedbackTest_<id>.png) "
                        "to show that the refit helps")
    elif correct[1] <= correct[0]:
        problems.append(f"held-out feedback accuracy does not rise ({correct[0]} right before, {correct[1]} after, "
                        f"of {n_feedback})")
    return problems


def feedback_correct(model_path, images, labels):
    """How many of the faces (images (N, 48, 48) uint8, labels (N,) int64) the model at
    `model_path` gets right, run as served (Predictor: its runtime and TTA)."""
    from emoji_fer.predictor import Predictor
    from emoji_fer.preprocessing import scale

    if len(labels) == 0:
        return 0
    probs = Predictor(model_path, detector=None).predict_faces(scale(images[..., None]))
    return int((probs.argmax(1) == labels).sum())


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
    p.add_argument("--force", action="store_true",
                   help="ship even if not better on PublicTest (for a refit: whatever PublicTest and FeedbackTest say)")
    args = p.parse_args(argv)
    try:
        written = promote(args.model, args.to, args.force)
    except (ModelFileError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    print("wrote " + ", ".join(str(w) for w in written))
    print("next: python -m convert --quantize mixed && python -m convert.parity --all --n 3589")


if __name__ == "__main__":
    main()
