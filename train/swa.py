"""Stochastic weight averaging (SWA; Izmailov et al. 2018, "Averaging Weights Leads to
Wider Optima and Better Generalization", arXiv:1803.05407): the shipped weights are the
mean of the weights after each of the last K epochs, instead of the one best epoch.

The story: a callback adds the weights (not the optimizer state) after each epoch of
the averaging window to running sums, one per candidate window -> `average_tail` sets
the model to one sum divided by its count -> `reestimate_batchnorm` recomputes every
BatchNormalization layer's moving mean and variance for the averaged weights (the
averaged statistics belong to none of the averaged networks).

Why it pays here: in the low-learning-rate tail of the cosine schedule the PublicTest
accuracy of single epochs swings by about a point from one epoch to the next (label
noise); their average lies nearer the centre of the flat region they all sit in.

Why sums and not one file per epoch: the window is chosen afterwards on PublicTest among
a few tails of the run (`python -m train.research.swa_windows`), and a run of several sessions
must carry what SWA needs in its committed checkpoint. One snapshot per epoch grows with K
(hundreds of MB for a long window, docs/experiments.md); the sums of four tails are four
models' weights whatever K is.
"""

import os
from pathlib import Path

import keras
import numpy as np


SNAPSHOT_DIR = "snapshots"  # in a run's work dir (checkpoints/<name>/)
TAIL_FRACTIONS = (1.0, 0.75, 0.5, 0.25)  # of --swa-epochs K: the windows swa_windows can compare


def tail_lengths(swa_epochs):
    """The windows (epochs, each the last k of the run) whose sums a run keeps for
    --swa-epochs K: K, 3K/4, K/2 and K/4, rounded, at least 1, without repeats."""
    return sorted({max(1, round(swa_epochs * f)) for f in TAIL_FRACTIONS}, reverse=True)


def tail_path(snapshot_dir, first_epoch):
    """The running sum of the weights after epochs `first_epoch`, `first_epoch` + 1, ...
    (1-based) in a run's snapshot folder."""
    return Path(snapshot_dir) / f"sum_from_epoch{first_epoch:03d}.npz"


class TailSums(keras.callbacks.Callback):
    """After each epoch e (1-based) of a run of `epochs` epochs, adds the model's weights
    (`get_weights()` order, float32) to the sum of every window in `tail_lengths(swa_epochs)`
    that contains e, each file holding the sum, the number of epochs in it and the last
    one. Files are replaced atomically, so a run killed mid-write keeps the previous sum.
    An epoch already in a sum is not added again: a run resumed from the backup before
    that epoch repeats it, and the sum keeps the first pass's weights of it."""

    def __init__(self, folder, epochs, swa_epochs):
        super().__init__()
        self.folder = Path(folder)
        self.firsts = [epochs - k + 1 for k in tail_lengths(swa_epochs)]

    def on_epoch_end(self, epoch, logs=None):
        due = [first for first in self.firsts if epoch + 1 >= first]
        if due:
            weights = self.model.get_weights()
            for first in due:
                add_to_tail(tail_path(self.folder, first), weights, epoch + 1)


def add_to_tail(path, weights, epoch):
    """Add `weights` (a list of arrays), the weights after `epoch`, to the sum in `path`
    (created if missing); nothing if the sum already holds `epoch`."""
    total, count = [w.astype(np.float32) for w in weights], 1
    if path.is_file():
        old, summed, last = read_tail(path)
        if epoch <= last:
            return
        total, count = [t + w for t, w in zip(old, total)], summed + 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, *total, count=count, last=epoch)
    os.replace(tmp, path)


def read_tail(path):
    """(sum as a list of arrays, number of epochs summed, last epoch summed) from a tail file."""
    with np.load(path) as f:
        n = len(f.files) - 2
        return [f[f"arr_{i}"] for i in range(n)], int(f["count"]), int(f["last"])


def average_tail(model, snapshot_dir, first, last):
    """Set `model`'s weights to the mean of its weights after epochs `first`-`last`
    (1-based, inclusive) from the sum `TailSums` kept. Raises FileNotFoundError when no sum
    starts at `first` (naming the windows there are), ValueError when the sum does not hold
    exactly epochs `first`-`last` (the run has not reached `last`) or does not fit the model."""
    path = tail_path(snapshot_dir, first)
    if not path.is_file():
        kept = sorted(Path(snapshot_dir).glob("sum_from_epoch*.npz"))
        raise FileNotFoundError(f"no SWA sum from epoch {first} ({path}); kept: "
                                f"{', '.join(p.name for p in kept) or 'none'}")
    total, count, last_summed = read_tail(path)
    if (count, last_summed) != (last - first + 1, last):
        raise ValueError(f"SWA sum {path} holds {count} epochs up to {last_summed}, "
                         f"not epochs {first}-{last}")
    if [t.shape for t in total] != [w.shape for w in model.get_weights()]:
        raise ValueError(f"SWA sum {path} does not fit the model (other architecture)")
    model.set_weights([t / count for t in total])


def reestimate_batchnorm(model, faces, batch_size=256, seed=0):
    """Recompute the moving mean and variance of every BatchNormalization layer of `model`
    as the running average over batches of `faces` ((N, 48, 48, 1) float32 in [0, 1],
    shuffled with `seed`), as SWA requires (Izmailov et al. 2018, section 3.2)."""
    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    momenta = [layer.momentum for layer in layers]
    order = np.random.default_rng(seed).permutation(len(faces))
    for i, start in enumerate(range(0, len(faces), batch_size)):
        for layer in layers:
            # moving = momentum * moving + (1 - momentum) * batch: with momentum i / (i + 1),
            # after batch i the moving statistic is the mean of the i + 1 batch statistics.
            layer.momentum = i / (i + 1)
        model(faces[order[start:start + batch_size]], training=True)
    for layer, momentum in zip(layers, momenta):
        layer.momentum = momentum


def swa_weights(model, snapshot_dir, first, last, faces, seed=0):
    """Set `model`'s weights to the SWA of epochs `first`-`last` (1-based, inclusive) from
    `snapshot_dir`, with batch norm re-estimated on `faces` ((N, 48, 48, 1) float32 in
    [0, 1], the Training faces) and their mirror images: the training augmentation flips
    faces, so the network saw both orientations. Raises what `average_tail` raises."""
    average_tail(model, snapshot_dir, first, last)
    reestimate_batchnorm(model, np.concatenate([faces, faces[:, :, ::-1]]), seed=seed)
