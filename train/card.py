"""Write a model card (Markdown) from a model's JSON metadata, so the card's numbers are
always the ones training measured: python -m train.card models/emoji_fer.json

Format after Mitchell et al. 2019, "Model Cards for Model Reporting" (FAT*).
"""

import json
import sys
from pathlib import Path

from emoji_fer.labels import LABELS

# train/model.py's HEADS, in words; Keras-free, so the card and `python -m train --help` need not
# import it (a test keeps the keys equal)
HEAD_NAMES = {"gap": "global average pooling",
              "gdconv": "global depthwise conv (MobileFaceNets, Chen et al. 2018)"}

LIMITS = """\
## Limits and intended use

- **Label noise.** FER-2013 was collected by Google image search and labelled
  quickly; human agreement on it is about 65 % (Goodfellow et al. 2013). Some
  PrivateTest labels are arguably wrong, so accuracy above ~75 % is rare for any model.
- **Dataset bias.** FER-2013 faces are mostly frontal, adult and skewed towards
  light-skinned people; posed expressions from web images dominate. Expect worse
  results on children, elderly people, darker skin tones, profile views, occlusion
  (masks, hands, glasses) and subtle, spontaneous expressions.
- **Seven basic categories.** The labels follow Ekman's basic emotions plus neutral.
  A facial expression is not a feeling: the model reads faces, not minds.
- **Not for** decisions about people: hiring, education, policing, health, credit,
  or any surveillance. It is a toy and a teaching tool for showing expressions as emoji.
"""


def render(meta):
    private, public = meta["metrics"]["PrivateTest"], meta["metrics"]["PublicTest"]
    recipe, training = meta["recipe"], meta["training"]
    lines = [
        f"# Model card: `{meta['name']}`",
        "",
        "A VGG-style CNN (`train/model.py`) that classifies a 48x48 grayscale face into the "
        "seven FER-2013 expressions. Input " + meta["input"] + "; output " + meta["output"] + ".",
        "",
        "## Data",
        "",
        "FER-2013 (Goodfellow et al. 2013, arXiv:1307.0414), Kaggle folder layout: fitted on "
        "Training (28,709 faces), choices (epoch or SWA window, TTA) made on PublicTest (3,589), "
        "reported on PrivateTest (3,589)." + targets_data(meta) + feedback_data(meta),
        "",
        "## Recipe",
        "",
        f"- {meta['parameters']:,} parameters; widths {recipe['widths']}; {HEAD_NAMES[recipe.get('head', 'gap')]} "
        f"before the classifier; dropout {recipe['dropout']}",
        f"- {recipe['epochs']} epochs, batch {recipe['batch_size']}, "
        f"{'AdamW' if recipe.get('optimizer') == 'adamw' else 'SGD + Nesterov'}, peak learning rate "
        f"{recipe['lr']} with {recipe['warmup_epochs']} warm-up epochs then cosine decay, weight decay "
        f"{recipe['weight_decay']}, label smoothing {recipe['label_smoothing']}, class weights "
        f"(n_max/n_c)^{recipe['class_weight_power']}, {precision(meta)}",
        "- augmentation: shift, rotation, zoom, horizontal flip, brightness, contrast, random erasing"
        + (f", CutMix (factor {recipe['cutmix']})" if recipe.get("cutmix") else ""),
        *([f"- distilled (train/distill.py) from {', '.join(t['file'] for t in meta['teachers'])}: targets = "
           f"{1 - recipe['distill_weight']:g} x label + {recipe['distill_weight']:g} x the teachers' mean probabilities"]
          if meta.get("teachers") else []),
        f"- test-time augmentation: {meta['inference']['tta']}",
        *([f"- temperature {meta['calibration']['temperature']:g}, fitted on PublicTest to the FER+ vote shares "
           f"(train/calibrate.py): cross-entropy against the votes {meta['calibration']['cross_entropy_before']:.3f}"
           f" -> {meta['calibration']['cross_entropy_after']:.3f} (Keras)"] if meta.get("calibration") else []),
        *([f"- weights: {training['weights']} (stochastic weight averaging, Izmailov et al. 2018, "
           "arXiv:1803.05407; train/swa.py)"] if recipe.get("swa_epochs") else []),
        f"- best PublicTest epoch: {training['best_epoch']} of {training['epochs_run']}; "
        f"{training['seconds_per_epoch_median']:.0f} s per epoch (median), "
        f"{training['seconds_total'] / 60:.0f} min in total on a 2-core CPU",
        *init_lines(meta),
        "",
        "## Metrics",
        "",
        *ferplus_lines(meta),
        f"{'Against the original FER-2013 labels, as' if meta.get('ferplus') else 'As'} served (Predictor: "
        f"{serving(meta)}, TTA {meta['inference']['tta']}): PrivateTest accuracy "
        + (f"{private['accuracy']:.2%}" if meta.get("ferplus") else f"**{private['accuracy']:.2%}**") + f", macro-F1 {private['macro_f1']:.3f} (PublicTest {public['accuracy']:.2%}"
        + (f"; held-out feedback FeedbackTest {meta['metrics']['FeedbackTest']['accuracy']:.2%} of "
           f"{meta['metrics']['FeedbackTest']['n']}" if "FeedbackTest" in meta["metrics"] else "") + ").",
        "",
        *tta_table(meta),
        *ferplus_table(meta),
        *(["Against the original FER-2013 labels, PrivateTest:", ""] if meta.get("ferplus") else []),
        "| label | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|",
    ]
    for label in LABELS:
        m = private["per_class"][label]
        lines.append(f"| {meta['emoji'][label]} {label} | {m['precision']:.3f} | {m['recall']:.3f} | "
                     f"{m['f1']:.3f} | {m['support']} |")
    lines += ["", "Confusion matrix, PrivateTest (rows = FER-2013 label, columns = predicted):", "",
              "| true \\ predicted | " + " | ".join(LABELS) + " |", "|---" * (len(LABELS) + 1) + "|"]
    for label, row in zip(LABELS, private["confusion"]):
        lines.append(f"| {label} | " + " | ".join(str(n) for n in row) + " |")
    lines += ["", f"![confusion matrix]({meta['name']}_confusion.png)",
              f"![training curves]({meta['name']}_curves.png)", "", LIMITS]
    return "\n".join(lines)


def targets_data(meta):
    """The Data section's sentence on FER+ (what the model learnt from), or ""."""
    if meta["recipe"].get("labels") != "ferplus":
        return ""
    return (" Targets: the FER+ crowd votes for the same faces (Barsoum et al. 2016, arXiv:1608.01041; "
            f"10 annotators a face), training mode \"{meta['recipe']['ferplus_mode']}\", epochs chosen on "
            "FER+'s PublicTest protocol (emoji_fer/ferplus.py).")


def ferplus_lines(meta):
    """The FER+ figures first (what people say), with the original labels beside them."""
    figures = meta.get("ferplus")
    if not figures:
        return []
    private, public = figures["PrivateTest"], figures["PublicTest"]
    return [
        f"FER+ as served (Predictor: {serving(meta)}, TTA {meta['inference']['tta']}), PrivateTest: protocol "
        f"accuracy **{private['protocol_accuracy']:.2%}** of {private['n']:,} faces (the {private['contempt']} "
        f"with a contempt majority count as wrong), human agreement **{private['human_agreement']:.3f}**, "
        f"cross-entropy against the votes {private['cross_entropy']:.3f} (the votes' own entropy, its floor: "
        f"{private['vote_entropy']:.3f}); PublicTest {public['protocol_accuracy']:.2%}, "
        f"{public['human_agreement']:.3f}. On the original FER-2013 labels: {private['original']['accuracy']:.2%} "
        f"of {private['original']['n']:,} faces.",
        "",
        "The two differ because the original label is one person's guess, which is the FER+ majority on "
        f"only {private['original']['agrees_with_majority']:.0%} of these faces: "
        + ("a model that agrees with people disagrees with that guess." if meta["recipe"].get("labels") == "ferplus"
           else "this model learnt that guess."),
        "",
    ]


def ferplus_table(meta):
    """Per-class recall and the confusion matrix on FER+'s PrivateTest protocol faces."""
    figures = meta.get("ferplus")
    if not figures:
        return []
    private = figures["PrivateTest"]
    lines = ["Confusion matrix on FER+'s PrivateTest protocol faces (rows = FER+ majority, columns = predicted; "
             "the contempt-majority faces left out), with each row's recall:", "",
             "| FER+ majority \\ predicted | " + " | ".join(LABELS) + " | recall |",
             "|---" * (len(LABELS) + 2) + "|"]
    for label, row in zip(LABELS, private["confusion"]):
        lines.append(f"| {meta['emoji'][label]} {label} | " + " | ".join(str(n) for n in row)
                     + f" | {private['per_class_recall'][label]:.3f} |")
    return lines + [""]


def feedback_data(meta):
    """The Data section's sentence on --extra-data (faces users confirmed or corrected), or ""."""
    extra = meta["recipe"].get("extra_data")
    if not extra:
        return ""
    return (f" Also fitted on {extra['Feedback']:,} faces that users of the demo confirmed or corrected "
            f"(`{extra['path']}`, each repeated {meta['recipe']['extra_weight']} times per epoch); "
            f"{extra['FeedbackTest']:,} more were held out (FeedbackTest).")


def precision(meta):
    """The recipe's precision, or which epochs ran in which when a resumed run switched."""
    ranges = meta["training"].get("precision", [])
    if len(ranges) > 1:
        return "precision " + ", ".join(f"{r['policy']} in epochs {r['epochs']}" for r in ranges)
    if ranges:
        return f"precision {ranges[0]['policy']} in all epochs"
    return "precision " + ("mixed_bfloat16" if meta["recipe"]["bf16"] else "float32")


def init_lines(meta):
    """One line per earlier stage (--init, JSON "init"): the weights each stage started
    from and how they were trained; then the training time of all stages together."""
    chain = list(stages(meta))
    lines = [stage_line(stage) for stage in chain[1:]]
    if lines:
        total = sum(stage["training"]["seconds_total"] for stage in chain if stage.get("training"))
        lines.append(f"- all stages together: {total / 60:.0f} min of training on a 2-core CPU")
    return lines


def stages(meta):
    """The model's own metadata, then each "init" it started from, newest first."""
    while meta:
        yield meta
        meta = meta.get("init")


def stage_line(init):
    line = f"- started from the weights of `{init['file']}` (SHA-256 {init['sha256'][:12]}…)"
    recipe, training = init.get("recipe"), init.get("training")
    if recipe and training:
        line += (f", trained with widths {recipe['widths']}, {recipe['epochs']} epochs, peak learning rate "
                 f"{recipe['lr']}, seed {recipe['seed']}" + (f", CutMix {recipe['cutmix']}" if recipe.get("cutmix") else "")
                 + f"; weights: {training['weights']}; {training['seconds_total'] / 60:.0f} min")
    return line


def serving(meta):
    litert = meta.get("litert")
    return f"LiteRT, {litert['quantize']} quantization" if litert else "Keras, float32"


def tta_table(meta):
    """What each test-time augmentation buys (Keras float32), if training measured it."""
    by_tta = meta.get("keras_accuracy_by_tta")
    if not by_tta:
        return []
    modes = list(by_tta["PrivateTest"])
    return ["Accuracy on FER-2013's labels by test-time augmentation (Keras, float32 weights):", "",
            "| split | " + " | ".join(modes) + " |", "|---" * (len(modes) + 1) + "|",
            *(f"| {split} | " + " | ".join(f"{by_tta[split][m]:.2%}" for m in modes) + " |" for split in by_tta),
            ""]


def main(argv=None):
    argv = argv if argv is not None else sys.argv[1:]
    meta_path = Path(argv[0] if argv else "models/emoji_fer.json")
    card = meta_path.with_name("MODEL_CARD.md")
    card.write_text(render(json.loads(meta_path.read_text())))
    print(f"wrote {card}")


if __name__ == "__main__":
    main()
