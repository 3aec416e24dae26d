"""Temperature scaling (Guo, Pleiss, Sun & Weinberger 2017, "On Calibration of Modern Neural
Networks", arXiv:1706.04599), fitted to the FER+ crowd votes: one scalar T divides the
logits so that a face's seven scores estimate the share of people who would pick each
expression (the cross-entropy against the vote distribution, emoji_fer/ferplus.py).

T is fitted on PublicTest, on the probabilities as served (every TTA view tempered, then
averaged), and baked into the model: the logits layer's kernel and bias are divided by T,
so every runtime (LiteRT, TF.js, the page's personal head) serves the tempered scores
with nothing new to apply. Dividing the logits keeps each view's top-1, and so almost
always the served top-1.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from emoji_fer import ferplus

BOUNDS = (0.25, 4.0)  # T outside this would mean the model is broken, not miscalibrated


def tempered(view_probs, temperature):
    """Served probabilities (N, 7) from per-view probabilities (N, V, 7) at temperature T:
    softmax(logits / T) of each view (p ** (1/T), renormalised: the same thing), averaged."""
    logp = np.log(np.clip(view_probs, 1e-12, 1)) / temperature
    p = np.exp(logp - logp.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)).mean(axis=1)


def fit_temperature(view_probs, votes):
    """The T in `BOUNDS` that minimises the cross-entropy of `tempered(view_probs, T)`
    against the FER+ vote distribution. view_probs: (N, V, 7) float probabilities of the
    served TTA's V views; votes: (N, 10) FER+ votes. Returns (T, cross-entropy at T=1, at T)."""
    loss = lambda t: ferplus.vote_cross_entropy(votes, tempered(view_probs, t))  # noqa: E731
    best = minimize_scalar(loss, bounds=BOUNDS, method="bounded", options={"xatol": 1e-3})
    return float(best.x), loss(1.0), float(best.fun)


def bake_temperature(model, temperature, layer="logits"):
    """Divide the logits layer's kernel and bias by T, in place (train/model.py names it)."""
    dense = model.get_layer(layer)
    dense.set_weights([w / temperature for w in dense.get_weights()])
