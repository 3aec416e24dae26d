"""Stochastic weight averaging (SWA; Izmailov et al. 2018, "Averaging Weights Leads to
Wider Optima and Better Generalization", arXiv:1803.05407): the shipped weights are the
mean of the weights after each of the last K epochs, instead of the one best epoch.

The story: a callback saves the weights (not the optimizer state) after each epoch of
the averaging window -> `average_snapshots` loads and averages them ->
`reestimate_batchnorm` recomputes every BatchNormalization layer's moving mean and
variance for the averaged weights (the averaged statistics belong to none of the
averaged networks).

Why it pays here: in the low-learning-rate tail of the cosine schedule the PublicTest
accuracy of single epochs swings by about a point from one epoch to the next (label
noise); their average lies nearer the centre of the flat region they all sit in.
"""

from pathlib import Path

import keras
import numpy as np


SNAPSHOT_DIR = "snapshots"  # in a run's work dir (checkpoints/<name>/)


def snapshot_path(snapshot_dir, epoch):
    """The weights file after `epoch` (1-based) in a run's snapshot folder."""
    return Path(snapshot_dir) / f"epoch{epoch:03d}.weights.npz"


def save_snapshot(model, path):
    """The model's weights alone, in `model.get_weights()` order, as an uncompressed `.npz`.
    Not `model.save_weights`: that also stores the optimizer's state, twice the size, and
    a resumable run's snapshots are committed with its checkpoint."""
    np.savez(path, *model.get_weights())


class WeightSnapshots(keras.callbacks.Callback):
    """Saves the model's weights after each epoch from `first_epoch` (1-based) on, as
    `snapshot_path(folder, epoch)`: the inputs of `average_snapshots`. About 7.3 MB per
    epoch for 1.82 M parameters (float32)."""

    def __init__(self, folder, first_epoch):
        super().__init__()
        self.folder, self.first_epoch = Path(folder), first_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.first_epoch:
            self.folder.mkdir(parents=True, exist_ok=True)
            save_snapshot(self.model, snapshot_path(self.folder, epoch + 1))


def average_snapshots(model, paths):
    """Set `model`'s weights to the element-wise mean of the snapshot files `paths` (each
    written by `save_snapshot` from the same architecture). Raises FileNotFoundError naming
    a missing file, ValueError naming a file whose weights do not fit the model."""
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise FileNotFoundError(f"SWA snapshots missing: {', '.join(missing)}")
    shapes = [w.shape for w in model.get_weights()]
    total = [np.zeros(shape, np.float64) for shape in shapes]
    for path in paths:
        with np.load(path) as snapshot:
            weights = [snapshot[f"arr_{i}"] for i in range(len(snapshot.files))]
        if [w.shape for w in weights] != shapes:
            raise ValueError(f"SWA snapshot {path} does not fit the model (other architecture)")
        total = [t + w for t, w in zip(total, weights)]
    model.set_weights([(t / len(paths)).astype(np.float32) for t in total])


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
    faces, so the network saw both orientations. Raises what `average_snapshots` raises."""
    average_snapshots(model, [snapshot_path(snapshot_dir, e) for e in range(first, last + 1)])
    reestimate_batchnorm(model, np.concatenate([faces, faces[:, :, ::-1]]), seed=seed)
