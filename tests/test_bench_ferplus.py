"""scripts/bench.py's FER+ helpers for an eight-class FER+ model (vicksam/fer-model):
mapping its outputs to our seven labels and FER+'s eight-class scoring. Pure functions on
made-up numbers; the benchmark's figures come from running the script."""

import sys

import numpy as np

from conftest import ROOT
from emoji_fer.ferplus import VOTE_COLUMNS
from emoji_fer.labels import LABELS

sys.path.insert(0, str(ROOT / "scripts"))
import bench  # noqa: E402

FERPLUS_NAMES = {"angry": "anger", "happy": "happiness", "sad": "sadness"}


def votes(**counts):
    """One row of ten vote counts in FER+'s column order."""
    return [counts.get(c, 0) for c in VOTE_COLUMNS]


def test_logits_to_labels_drops_contempt_and_renormalises():
    logits = np.random.default_rng(0).normal(size=(5, 8)) * 3
    logits[0, 7] = 50.0  # contempt way ahead: the seven still sum to 1
    probs = bench.ferplus_logits_to_labels(logits)
    assert probs.shape == (5, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-6)
    eight = np.exp(logits[1:]) / np.exp(logits[1:]).sum(axis=1, keepdims=True)
    for i, label in enumerate(LABELS):  # = the eight-way softmax without contempt, rescaled
        column = VOTE_COLUMNS.index(FERPLUS_NAMES.get(label, label))
        np.testing.assert_allclose(probs[1:, i], eight[:, column] / eight[:, :7].sum(axis=1), rtol=1e-5)


def test_eight_class_protocol_counts_a_contempt_answer():
    v = np.array([votes(contempt=8, neutral=2),  # contempt majority
                  votes(happiness=9, surprise=1),  # happiness
                  votes(neutral=4, sadness=4, anger=2),  # no majority: dropped
                  votes(anger=6, disgust=4)], np.float32)  # anger
    logits = np.zeros((4, 8))
    logits[0, 7] = logits[1, 1] = logits[2, 0] = 1  # contempt, happiness, neutral: right
    logits[3, 5] = 1  # disgust for an anger face: wrong, 4 of its 10 votes
    got = bench.eight_class_protocol(v, logits)
    assert got["protocol_accuracy"] == 2 / 3
    np.testing.assert_allclose(got["human_agreement"], (8 / 10 + 9 / 9 + 4 / 10) / 3)


def test_spread():
    assert list(bench.spread(10, None)) == list(range(10))
    assert list(bench.spread(10, 20)) == list(range(10))
    assert list(bench.spread(10, 3)) == [0, 4, 9]
