"""Knowledge distillation from trained teachers into the network being trained
(Hinton, Vinyals & Dean 2015, "Distilling the Knowledge in a Neural Network",
arXiv:1503.02531), offline: the teachers classify every Training face once, before
training, and the student fits a mix of the FER-2013 label and the teachers' mean
probabilities.

Why offline: a teacher forward pass per training step would cost a large share of each
step per teacher on a 2-core CPU (docs/benchmarks.md, "Figures behind design choices");
the mix of labels is fixed per face, and the
augmentations (flip, small shifts and rotations, erasing) mostly keep the expression.
Why it can help on FER-2013: many of its faces are ambiguous (human accuracy on it is
about 65 %, Goodfellow et al. 2013); the teachers' probabilities say how ambiguous each
face is, which a one-hot label cannot.
"""

from pathlib import Path

import numpy as np

from emoji_fer.labels import NUM_CLASSES
from emoji_fer.model_files import sha256


def teacher_probabilities(model_paths, faces):
    """Mean probabilities of the teachers, each run as the product serves it (its own
    TTA and runtime, emoji_fer.predictor.Predictor).

    model_paths: `.keras` files with their `.json`. faces: (N, 48, 48, 1) float32 in [0, 1].
    Returns (N, 7) float32 probabilities. Raises ModelFileError for a missing teacher.
    """
    from emoji_fer.predictor import Predictor

    probs = [Predictor(path, detector=None).predict_faces(faces) for path in model_paths]
    return np.mean(probs, axis=0).astype(np.float32)


def soft_targets(labels, teacher_probs=None, weight=0.0):
    """Training targets (N, 7) float32, rows summing to 1: the one-hot FER-2013 labels
    (N,) int in 0..6, mixed with the teachers' probabilities (N, 7) at `weight` in [0, 1]."""
    one_hot = np.eye(NUM_CLASSES, dtype=np.float32)[labels]
    if teacher_probs is None or weight == 0:
        return one_hot
    if not 0 <= weight <= 1:
        raise ValueError(f"distillation weight must be in [0, 1], got {weight}")
    return ((1 - weight) * one_hot + weight * teacher_probs).astype(np.float32)


def describe_teachers(model_paths):
    """What the model's JSON records about its teachers: file names and SHA-256."""
    return [{"file": Path(p).name, "sha256": sha256(p)} for p in model_paths]
