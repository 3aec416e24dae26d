"""Train the expression CNN on FER-2013: Training to fit, PublicTest to select the
epoch, PrivateTest to report (the standard protocol, Goodfellow et al. 2013).

The story: load the splits (with --extra-data, also the faces users confirmed or corrected,
repeated --extra-weight times) -> tf.data pipelines (augmentation in the pipeline) ->
build and compile the CNN (SGD + Nesterov, cosine decay, label smoothing, class
weights) -> fit with a backup every epoch (resumable), the best-on-PublicTest checkpoint
and, with --swa-epochs K, the weights of the last K epochs -> take the best epoch or the
average of the last K (SWA, train/swa.py) -> evaluate on PrivateTest (and the held-out
FeedbackTest faces) -> write model, metadata, LiteRT export and plots.
"""

import csv
import json
import math
import os
import shutil
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from convert.litert import export_litert
from emoji_fer.inference import TTA_SUBSETS, probabilities_by_tta, view_probabilities
from emoji_fer.labels import EMOJI, LABELS, NUM_CLASSES
from emoji_fer.metrics import classification_report
from emoji_fer.model_files import ModelFileError, read_metadata, sha256, write_metadata
from emoji_fer.predictor import Predictor
from emoji_fer.blazeface import BLAZEFACE
from emoji_fer.preprocessing import PREPROCESSING, scale
from train.augment import build_augmenter
from train.calibrate import bake_temperature, fit_temperature
from emoji_fer import ferplus
from emoji_fer.fer2013 import DatasetError, load_feedback, load_fer2013, load_ferplus
from train.distill import describe_teachers, soft_targets, teacher_probabilities
from train.model import build_model
from train.swa import SNAPSHOT_DIR, TailSums, swa_weights
from train import plots

PRECISION_LOG = "precision.csv"  # in the work dir, beside log.csv and the backup


def train(args):
    """Run one training job from parsed CLI arguments (see train/__main__.py). Returns the report dict."""
    strategy = make_strategy(args.strategy)  # first: multi-worker set-up must precede other TF ops
    chief = is_chief(strategy)
    work = Path(args.work_dir) / (args.name if chief else f"{args.name}.worker{task_id(strategy)}")
    prepare_work_dir(work, args.resume)
    configure_precision(args.bf16)
    seed = stream_seed(args.seed, work)
    keras.utils.set_random_seed(seed)

    data, votes = load_data(args)
    if args.extra_data:
        data.update(load_feedback(args.extra_data))
        print(describe_extra_data(args.extra_data, data, args.extra_weight)["summary"], flush=True)
    x_train, t_train = subsample(*training_faces(data, votes, args), args.limit, args.seed)  # the same on resume
    x_train, t_train = with_feedback(x_train, t_train, data, args.extra_weight)
    y_train = t_train.argmax(axis=1)  # for the class weights
    train_ds = make_dataset(x_train, t_train, args.batch_size,
                            weights=sample_weights(y_train, args.class_weight_power),
                            training=True, seed=seed, cutmix=args.cutmix,
                            draw_labels=args.labels == "ferplus" and args.ferplus_mode == "probability")
    val_ds = make_dataset(*selection_faces(data, votes, args), args.batch_size, training=False)

    steps = math.ceil(len(x_train) / args.batch_size)
    with strategy.scope():
        model = model_from_args(args)
        if args.init:
            start_from(model, args.init)
        model.compile(optimizer=make_optimizer(args, steps),
                      loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing),
                      metrics=["accuracy"])
    print(f"model: {model.count_params():,} parameters; {len(x_train):,} training images, "
          f"{steps} steps/epoch of {args.batch_size} (global batch) on {strategy.num_replicas_in_sync} "
          f"replica(s), strategy {args.strategy}", flush=True)

    start = time.time()
    if finished(work, args.epochs):
        print(f"{work} already ran {args.epochs} epochs: writing the outputs again", flush=True)
    else:
        model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=make_callbacks(work, args),
                  verbose=2 if chief else 0)
    if not chief:
        # Workers other than the chief only help compute the gradients; the chief writes the outputs.
        shutil.rmtree(work, ignore_errors=True)
        return None
    return finish(args, work, data, time.time() - start, votes)


def model_from_args(args):
    """The CNN of --widths, --dropout and --head, for the input that PREPROCESSING defines:
    the faces every consumer crops are its size, so the model is built from it, not from
    build_model's default."""
    model = build_model(stem=args.widths[0], widths=tuple(args.widths[1:]), dropout=args.dropout,
                        input_size=PREPROCESSING["input_size"], head=args.head)
    check_input_shape(model)
    return model


def input_shape(prep=PREPROCESSING):
    """(size, size, channels): one face as PREPROCESSING makes it."""
    return (prep["input_size"], prep["input_size"], prep["channels"])


def check_input_shape(model, prep=PREPROCESSING):
    """Raise ValueError unless `model` takes the faces PREPROCESSING makes: a model of
    another shape would train, then fail (or silently differ) in every consumer."""
    got, want = tuple(model.input_shape[1:]), input_shape(prep)
    if got != want:
        raise ValueError(f"the model takes {got} inputs, but emoji_fer.preprocessing.PREPROCESSING makes "
                         f"{want} faces (input_size, channels); build the model for that size")


def start_from(model, path):
    """Copy the weights of a trained model, layer by layer by name (--init): fine-tuning,
    e.g. with a teacher's targets, or with a new head (layers the trained model lacks keep
    their initial weights). A resumed run then restores its own backup over them.
    Raises ModelFileError if the file is missing; exits with a message if a layer's
    shapes differ (other --widths)."""
    if not Path(path).is_file():
        raise ModelFileError(f"--init model {path} not found")
    trained = {layer.name: layer for layer in keras.models.load_model(path, compile=False).layers if layer.weights}
    new = []
    for layer in (layer for layer in model.layers if layer.weights):
        if layer.name not in trained:
            new.append(layer.name)
            continue
        try:
            layer.set_weights(trained.pop(layer.name).get_weights())
        except ValueError as err:
            raise SystemExit(f"--init model {path} does not have the architecture of --widths "
                             f"(layer {layer.name}): {err}") from None
    dropped = sorted(trained)  # what is left: trained layers this architecture has no place for
    if new or dropped:
        print(f"--init {path}: new layers (initial weights): {new or 'none'}; "
              f"trained layers not used: {dropped or 'none'}", flush=True)


def make_strategy(name):
    """The tf.distribute strategy for --strategy: "default" (this process's devices, no
    replication), "mirrored" (synchronous data parallelism over this machine's GPUs, or
    its CPU), "multiworker" (synchronous over the workers that $TF_CONFIG lists; every
    worker runs the same command). --batch-size stays the global batch."""
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise SystemExit("--strategy multiworker needs $TF_CONFIG (the cluster's workers and this worker's index)")
        return NestedReduceMultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {name!r}")


class NestedReduceMultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """MultiWorkerMirroredStrategy whose `reduce` accepts what Keras 3.15's `fit` passes it
    (keras-team/keras#20585: `fit` fails with the stock class):
    - a nested structure (the first (x, y, sample_weight) batch), as other strategies do;
    - per-replica scalars (the step's loss and metrics) with axis=0: the mean over
      replicas, which is what Keras means (the stock class has no axis 0 to reduce)."""

    def reduce(self, reduce_op, value, axis):
        parent = super(NestedReduceMultiWorkerMirroredStrategy, self)

        def one(v):
            scalar = all(t.shape.rank == 0 for t in self.experimental_local_results(v))
            return parent.reduce(reduce_op, v, None if scalar else axis)

        return tf.nest.map_structure(one, value)


def task_id(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    return getattr(resolver, "task_id", None) or 0


def is_chief(strategy):
    """Worker 0 (or the "chief" task) writes checkpoints, logs and the model; single-process runs always do."""
    resolver = getattr(strategy, "cluster_resolver", None)
    task_type = getattr(resolver, "task_type", None)
    return task_type in (None, "chief") or (task_type == "worker" and resolver.task_id == 0)


def finished(work, epochs):
    """A run whose log has all its epochs and no backup left: only `finish` remains."""
    return not (work / "backup").exists() and len(read_log(work / "log.csv")) >= epochs


def prepare_work_dir(work, resume):
    backup = work / "backup"
    if backup.exists() and not resume:
        raise SystemExit(f"{work} holds an unfinished run; pass --resume to continue it, "
                         f"or delete {work} to start over.")
    if not resume and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)


def stream_seed(seed, work):
    """The seed of the random streams (shuffle order, augmentation, dropout) for a run that
    starts after the epochs already in `work`'s log: `seed` for a new run, another one for
    each resume. tf.data iterators restart with the process, so with one seed every resumed
    run would replay the shuffle order and augmentation draws of epoch 1."""
    return seed + 1000 * len(read_log(work / "log.csv"))


def configure_precision(bf16):
    # bfloat16 matmuls/convs run on AMX/AVX512-BF16 units, about twice as fast as float32
    # on an Intel CPU with AMX (docs/training.md; the step times are in docs/benchmarks.md,
    # "Figures behind design choices"); weights stay float32.
    if bf16 and not tf.config.list_physical_devices("GPU") and cpu_has_bf16() is False:
        print("warning: this CPU has no bfloat16 units (neither amx_bf16 nor avx512_bf16 in "
              "/proc/cpuinfo), so mixed_bfloat16 is emulated: 6.6x slower than float32 per "
              "training step on such a CPU (7,265 vs 1,105 ms per batch of 128). Pass --no-bf16 "
              "to train in float32.", file=sys.stderr, flush=True)
    keras.mixed_precision.set_global_policy("mixed_bfloat16" if bf16 else "float32")


def cpu_has_bf16(cpuinfo="/proc/cpuinfo"):
    """Whether the CPU has bfloat16 units (flags amx_bf16 or avx512_bf16, Linux's names).

    Returns True or False, or None where the file cannot be read (not Linux)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return None
    flags = set(text.split())
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def load_data(args):
    """({split: (images (N, 48, 48) uint8, labels (N,) int64)}, {split: FER+ votes (N, 10)}
    or None): FER-2013 with the FER+ votes of the same faces. With --labels fer2013 the
    votes are optional (they only add FER+'s figures to the report, which the promotion
    of a model judged by FER+ needs): None when they are not found."""
    try:
        loaded = load_ferplus(args.data_dir, args.votes)
    except DatasetError as err:
        if args.labels == "ferplus":
            raise
        data = load_fer2013(args.data_dir)  # raises the dataset's own error if that is what is missing
        print(f"no FER+ figures: {str(err).splitlines()[0]}", flush=True)
        return data, None
    return {s: (x, y) for s, (x, y, _) in loaded.items()}, {s: v for s, (_, _, v) in loaded.items()}


def training_faces(data, votes, args):
    """(images (N, 48, 48) uint8, targets (N, 7) float32) of the Training split.

    --labels fer2013: the one-hot labels, mixed with the teachers' probabilities with
    --teacher (train/distill.py). --labels ferplus, by FER+'s training modes (Barsoum et
    al. 2016, section 3): "majority", the one-hot majority label, on the faces that have
    one among the seven expressions; "crossentropy", the vote distribution (single votes
    dropped, emoji_fer/ferplus.py), on the faces with votes; "probability", the same
    faces and distribution, from which each epoch draws one label (make_dataset).
    """
    x, y = data["Training"]
    if args.labels == "fer2013":
        return x, training_targets(x, y, args)
    v = votes["Training"]
    if args.ferplus_mode == "majority":
        return majority_faces(x, v)
    keep = ferplus.has_votes(v)
    return x[keep], ferplus.vote_distribution(v)[keep]


def selection_faces(data, votes, args):
    """(images, one-hot targets) of PublicTest that choose the epoch by `val_accuracy`:
    every face with its FER-2013 label, or for --labels ferplus the faces FER+'s protocol
    scores with their majority label (the few contempt-majority faces, wrong for any
    seven-class model, left out: the same ranking of epochs as protocol accuracy)."""
    x, y = data["PublicTest"]
    if args.labels == "fer2013":
        return x, soft_targets(y)
    return majority_faces(x, votes["PublicTest"])


def majority_faces(images, votes):
    """(images, one-hot targets) of the faces with a FER+ majority among the seven expressions."""
    labels = ferplus.majority_labels(votes)
    keep = labels != ferplus.DROPPED
    return images[keep], soft_targets(labels[keep])


def subsample(x, targets, limit, seed):
    if not limit or limit >= len(x):
        return x, targets
    idx = np.random.default_rng(seed).permutation(len(x))[:limit]
    return x[idx], targets[idx]


def with_feedback(images, targets, data, weight):
    """The training faces with data's "Feedback" split (load_feedback) appended, each of its
    faces `weight` times (--extra-weight) with its one-hot label: a few hundred faces among
    28,709 would hardly move the weights in a short fine-tune. The copies differ in
    training, as each batch goes through the augmentation. Returns (images (N, 48, 48)
    uint8, targets (N, 7) float32), the inputs unchanged when there is no Feedback split."""
    if "Feedback" not in data:
        return images, targets
    x, y = data["Feedback"]
    return (np.concatenate([images, np.repeat(x, weight, axis=0)]),
            np.concatenate([targets, soft_targets(np.repeat(y, weight))]))


def describe_extra_data(path, data, weight):
    """What the recipe records about --extra-data: {"path" (as given), "Feedback" and
    "FeedbackTest" (face counts), "per_label" {split: {label: count}}, "summary" (one line
    for the log)}; `weight` (--extra-weight, in the recipe already) only goes into the summary."""
    counts = {s: len(data[s][1]) for s in ("Feedback", "FeedbackTest")}
    per_label = {s: dict(zip(LABELS, np.bincount(data[s][1], minlength=NUM_CLASSES).tolist()))
                 for s in ("Feedback", "FeedbackTest")}
    summary = (f"--extra-data {path}: {counts['Feedback']} Feedback faces (each {weight} times per epoch), "
               f"{counts['FeedbackTest']} held-out FeedbackTest faces")
    return {"path": str(path), **counts, "per_label": per_label, "summary": summary}


def training_targets(images, labels, args):
    """(N, 7) float32 targets: one-hot labels, mixed with the teachers' probabilities when
    --teacher is given (train/distill.py)."""
    if not args.teacher:
        return soft_targets(labels)
    print(f"distilling from {', '.join(args.teacher)} (weight {args.distill_weight})", flush=True)
    return soft_targets(labels, teacher_probabilities(args.teacher, scale(images[..., None])), args.distill_weight)


def make_dataset(images, targets, batch_size, training, seed=0, weights=None, cutmix=0.0, draw_labels=False):
    """tf.data pipeline of ((B, 48, 48, 1) float32 in [0, 1], (B, 7) float32 targets
    [, (B,) float32 sample weights]). With `draw_labels` (training only), each face's
    target is a one-hot label drawn from its target distribution, anew each epoch (FER+'s
    "probability" mode). With `cutmix` > 0 (training only), every batch goes
    through CutMix (Yun et al. 2019, arXiv:1905.04899; keras.layers.CutMix, mixing
    factor drawn from [0, cutmix]): a patch of another face of the batch is pasted in and
    the targets are mixed by area."""
    x = scale(images[..., None])
    columns = (x, targets) if weights is None else (x, targets, weights)
    ds = tf.data.Dataset.from_tensor_slices(columns)
    if training:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)
    if training:
        augment = build_augmenter(seed)
        # Back to float32 (the augmentation layers compute in bfloat16 under mixed_bfloat16):
        # the batches match the model's float32 input, and the multi-worker collectives that
        # Keras runs on the first batch do not take bfloat16.
        ds = ds.map(lambda a, *rest: (tf.cast(augment(a, training=True), tf.float32), *rest),
                    num_parallel_calls=tf.data.AUTOTUNE)
        if draw_labels:
            ds = ds.map(draw_one_hot(seed), num_parallel_calls=tf.data.AUTOTUNE)
        if cutmix:
            ds = ds.map(cutmix_batch(cutmix, seed), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def draw_one_hot(seed):
    """A tf.data map function: each row of the targets replaced by a one-hot label drawn
    from it (a distribution over the 7 classes); images and sample weights kept."""
    generator = tf.random.Generator.from_seed(seed + 11)

    def draw(images, targets, *rest):
        logits = tf.math.log(tf.maximum(targets, 1e-12))
        drawn = tf.random.stateless_categorical(logits, 1, generator.make_seeds(1)[:, 0])[:, 0]
        return (images, tf.one_hot(drawn, NUM_CLASSES, dtype=targets.dtype), *rest)

    return draw


def cutmix_batch(factor, seed):
    """A tf.data map function: CutMix on the images and targets of a batch, sample weights kept."""
    # float32: under mixed_bfloat16 the layer would compute in bfloat16 and fail on its own casts.
    layer = keras.layers.CutMix(factor=factor, seed=seed + 7, dtype="float32")

    def mix(images, targets, *rest):
        out = layer({"images": images, "labels": targets}, training=True)
        return (tf.cast(out["images"], tf.float32), tf.cast(out["labels"], tf.float32), *rest)

    return mix


def make_optimizer(args, steps_per_epoch):
    # Linear warm-up then cosine decay to 0, as a schedule of optimizer.iterations, so a
    # resumed run continues exactly where the interrupted one stopped.
    total = args.epochs * steps_per_epoch
    warmup = min(args.warmup_epochs * steps_per_epoch, total // 2)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total - warmup, warmup_target=args.lr, warmup_steps=warmup)
    if args.optimizer == "adamw":  # fine-tuning on FER+ (docs/experiments.md)
        opt = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay)
    else:
        opt = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    opt.exclude_from_weight_decay(var_names=["_bn", "bias"])
    return opt


def sample_weights(labels, power):
    """Per-face weights (n_max / n_c) ** power for its class c, normalised to mean 1.

    power 0 = no weighting, 1 = full inverse frequency. FER-2013's disgust class has 436
    training images against 7,215 happy; a mild power keeps its recall up without
    trading away much overall accuracy. (Given per face rather than as Keras's
    `class_weight`, which would read the class off the argmax of soft targets.)
    """
    counts = np.bincount(labels, minlength=NUM_CLASSES).astype(np.float64)
    w = (counts.max() / np.maximum(counts, 1)) ** power
    w /= (w * counts).sum() / counts.sum()
    return w[labels].astype(np.float32)


class EpochTimer(keras.callbacks.Callback):
    """Adds `epoch_seconds` (wall time) to each epoch's logs, so the CSV log records it."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = round(time.time() - self._start, 1)


class PrecisionLog(keras.callbacks.Callback):
    """Appends `first_epoch,policy` (1-based epoch, Keras policy name) to a CSV file when a
    run, or each resumed run, starts its first epoch. A long run resumed on another machine
    may switch precision (--no-bf16 where bfloat16 is emulated); the JSON says which epochs
    ran in which (`precision_by_epochs`)."""

    def __init__(self, path):
        super().__init__()
        self.path, self._written = Path(path), False

    def on_epoch_begin(self, epoch, logs=None):
        if self._written:
            return
        self._written = True
        header = "" if self.path.exists() else "first_epoch,policy\n"
        with open(self.path, "a") as f:
            f.write(f"{header}{epoch + 1},{keras.mixed_precision.global_policy().name}\n")


def precision_by_epochs(path, last_epoch):
    """Epoch ranges per precision policy from a `PrecisionLog` file, e.g.
    [{"epochs": "1-82", "policy": "mixed_bfloat16"}, {"epochs": "83-200", "policy": "float32"}]:
    consecutive starts under one policy are merged. [] where the file does not exist."""
    if not Path(path).exists():
        return []
    with open(path) as f:
        starts = [(int(r["first_epoch"]), r["policy"]) for r in csv.DictReader(f)]
    ranges = []
    for first, policy in sorted(starts):
        if ranges and ranges[-1]["policy"] == policy:
            continue
        if ranges:
            ranges[-1]["last"] = first - 1
        ranges.append({"first": first, "policy": policy})
    if ranges:
        ranges[-1]["last"] = last_epoch
    return [{"epochs": f"{r['first']}-{r['last']}", "policy": r["policy"]} for r in ranges]


def make_callbacks(work, args):
    log = work / "log.csv"
    snapshots = [TailSums(work / SNAPSHOT_DIR, args.epochs, args.swa_epochs)] if args.swa_epochs else []
    return snapshots + [
        EpochTimer(),
        PrecisionLog(work / PRECISION_LOG),
        keras.callbacks.BackupAndRestore(str(work / "backup")),
        keras.callbacks.ModelCheckpoint(str(work / "best.keras"), monitor="val_accuracy", mode="max",
                                        save_best_only=True,
                                        initial_value_threshold=best_so_far(log)),
        keras.callbacks.CSVLogger(str(log), append=True),
    ]


def best_so_far(log):
    """Best PublicTest accuracy in an existing CSV log, so a resumed run keeps the true best."""
    history = read_log(log)
    return max(r["val_accuracy"] for r in history) if history else None


def swa_window(args):
    """(first, last) 1-based epochs whose weights --swa-epochs averages: the last K."""
    return args.epochs - args.swa_epochs + 1, args.epochs


def finish(args, work, data, seconds, votes=None):
    """Write the shipped files for the final weights (the best-on-PublicTest epoch, or the
    SWA average with --swa-epochs) as float32 `.keras`, its JSON, the LiteRT export and
    plots, and evaluate it as the product serves it (Predictor: LiteRT, the model's TTA) on
    PublicTest and PrivateTest; also each TTA in Keras float32, so the card can show what
    TTA buys. With FER+ `votes` ({split: (N, 10)}), also FER+'s figures ("ferplus" in the
    JSON, emoji_fer.ferplus.ferplus_report), after fitting the temperature with
    --temperature fit (train/calibrate.py)."""
    # Save in float32 so serving and the exports do not depend on the bf16 policy.
    keras.mixed_precision.set_global_policy("float32")
    model = model_from_args(args)
    if args.swa_epochs:
        first, last = swa_window(args)
        print(f"SWA: averaging the weights of epochs {first}-{last}, re-estimating batch norm", flush=True)
        # On FER-2013 Training alone, also with --extra-data: the few feedback faces would barely
        # move the statistics, and python -m train.research.swa_windows re-estimates them the same way.
        swa_weights(model, work / SNAPSHOT_DIR, first, last, scale(data["Training"][0][..., None]), seed=args.seed)
    else:
        model.set_weights(keras.models.load_model(work / "best.keras").get_weights())
    calibration = fit_calibration(model, data, votes, args) if args.temperature == "fit" else None
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"{args.name}.keras"
    history = read_log(work / "log.csv")
    # Described before saving: --init or --teacher may name the file this run overwrites.
    description = describe(args, model, history, seconds,
                           precision_by_epochs(work / PRECISION_LOG, len(history)), data)
    model.save(model_path)
    write_metadata(model_path, description)
    export_litert(model_path)  # what the Predictor serves; records itself in the JSON
    predictor = Predictor(model_path, detector=None, runtime="litert")
    reports, by_tta, ferplus_reports = {}, {}, {}
    for split in ("PublicTest", "PrivateTest", *held_out_feedback(data)):
        x, y = data[split]
        faces = scale(x[..., None])
        probs = predictor.predict_faces(faces)
        reports[split] = classification_report(y, probs.argmax(1), split)
        if votes is not None and split in votes:
            ferplus_reports[split] = ferplus.ferplus_report(votes[split], probs, y, split)
        if split != "FeedbackTest":  # TTA is chosen on PublicTest: the few feedback faces add noise, not a choice
            by_tta[split] = {tta: float((probs.argmax(1) == y).mean())
                             for tta, probs in probabilities_by_tta(model, faces).items()}
    metadata = {**read_metadata(model_path), "metrics": reports, "keras_accuracy_by_tta": by_tta,
                **({"ferplus": ferplus_reports} if ferplus_reports else {}),
                **({"calibration": calibration} if calibration else {})}
    write_metadata(model_path, metadata)
    plots.confusion_matrix_png(ferplus_reports.get("PrivateTest", reports["PrivateTest"]),
                               out_dir / f"{args.name}_confusion.png")
    plots.training_curves_png(history, out_dir / f"{args.name}_curves.png")
    shutil.rmtree(work / "backup", ignore_errors=True)
    print(json.dumps({"tta": args.tta, "runtime": predictor.runtime,
                      **{s: round(r["accuracy"], 4) for s, r in reports.items()},
                      **{f"{s} FER+": {k: round(r[k], 4) for k in ("protocol_accuracy", "human_agreement",
                                                                   "cross_entropy")}
                         for s, r in ferplus_reports.items()},
                      "keras_accuracy_by_tta": by_tta}), flush=True)
    print(f"wrote {model_path} and {model_path.with_suffix('.json')}", flush=True)
    return metadata


def fit_calibration(model, data, votes, args):
    """Fit the temperature on PublicTest (the served TTA's views, in Keras) and bake it into
    the model's logits (train/calibrate.py). Returns what the JSON records."""
    faces = scale(data["PublicTest"][0][..., None])
    views = view_probabilities(model, faces)[:, list(TTA_SUBSETS[args.tta])]
    temperature, before, after = fit_temperature(views, votes["PublicTest"])
    bake_temperature(model, temperature)
    print(f"temperature {temperature:.3f}: PublicTest cross-entropy against the votes {before:.4f} -> "
          f"{after:.4f} (Keras)", flush=True)
    return {"temperature": round(temperature, 4), "fitted_on": "PublicTest",
            "cross_entropy_before": before, "cross_entropy_after": after}


def held_out_feedback(data):
    """("FeedbackTest",) when --extra-data gave held-out faces, else (): the extra split to report."""
    return ("FeedbackTest",) if len(data.get("FeedbackTest", ((), ()))[1]) else ()


def describe(args, model, history, seconds, precision, data=None):
    """The model's JSON metadata before evaluation: what every consumer reads, and the recipe.
    `precision` is `precision_by_epochs`' list: `recipe.bf16` is only the last start's flag.
    `data` (the loaded splits) gives the counts of `recipe.extra_data` with --extra-data."""
    recipe = {k: v for k, v in vars(args).items() if k not in ("func",)}
    if args.extra_data:
        recipe["extra_data"] = {k: v for k, v in describe_extra_data(args.extra_data, data, args.extra_weight).items()
                                if k != "summary"}
    return {
        "name": args.name,
        "labels": list(LABELS),
        "emoji": EMOJI,
        "input": f"(N, {', '.join(map(str, input_shape()))}) float32 in [0, 1]",
        "output": "(N, 7) float32 probabilities (softmax), FER-2013 label order",
        "preprocessing": PREPROCESSING,
        "detection": BLAZEFACE,  # the face detector's postprocessing, read by Predictor and the page
        "inference": {"tta": args.tta},
        "parameters": model.count_params(),
        "recipe": recipe,
        **({"teachers": describe_teachers(args.teacher)} if args.teacher else {}),
        **({"init": describe_init(args.init)} if args.init else {}),
        "training": {
            "epochs_run": len(history),
            "best_epoch": int(np.argmax([r["val_accuracy"] for r in history])) + 1 if history else None,
            "weights": (f"SWA: mean of epochs {'-'.join(map(str, swa_window(args)))}, batch norm re-estimated"
                        if args.swa_epochs else "the best epoch on PublicTest"),
            "seconds_this_run": round(seconds, 1),
            "seconds_per_epoch_median": float(np.median([r["epoch_seconds"] for r in history])) if history else None,
            "seconds_total": round(float(sum(r["epoch_seconds"] for r in history)), 1),
            "precision": precision,
        },
    }


def describe_init(path):
    """What the JSON records about the model --init started from: file name, SHA-256 and,
    from its own JSON when there is one, its recipe, training and own "init", so a
    fine-tuned model's JSON holds every stage of the recipe that made it."""
    record = {"file": Path(path).name, "sha256": sha256(path)}
    try:
        earlier = read_metadata(path)
    except ModelFileError:
        return record
    return {**record, **{k: earlier[k] for k in ("recipe", "training", "init") if k in earlier}}


def read_log(log):
    if not log.exists():
        return []
    rows = np.genfromtxt(log, delimiter=",", names=True)
    rows = np.atleast_1d(rows)
    return [{k: float(r[k]) for k in rows.dtype.names} for r in rows]
