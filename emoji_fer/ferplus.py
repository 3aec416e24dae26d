"""FER+ crowd votes: what ten people said about each FER-2013 face, as training targets
and as the judge of a seven-class model.

FER+ (Barsoum, Zhang, Canton Ferrer & Zhang, ICMI 2016, arXiv:1608.01041; labels under
the MIT licence) had every FER-2013 face labelled again by 10 annotators. Each face has
ten vote counts, in FER+'s column order `VOTE_COLUMNS`: eight expressions (FER-2013's
seven and contempt), `unknown` and `NF` (not a face).

What this module does with them, for a model with FER-2013's seven labels:
- Single votes are dropped first (a count of 1 becomes 0), as FER+'s reference code
  (`src/ferplus.py`) does: one annotator alone is taken as noise.
- **Protocol label** (`protocol_labels`): a face is kept when one of the eight
  expressions then holds more than half of its remaining votes (unknown and NF count in
  the total); FER+ scores top-1 accuracy on those faces. A face whose majority is
  contempt is kept and counts as wrong for a seven-class model (`CONTEMPT`); a face with
  no majority, or whose top is unknown or NF, is dropped (`DROPPED`).
- **Vote distribution** (`vote_distribution`): the seven expressions' votes, renormalised
  to sum to 1, in `LABELS` order; as a training target with single votes dropped (FER+'s
  reference code), as the judge of the scores with every vote (the share of people who
  picked each expression). Contempt, unknown and NF votes are left out: the model cannot
  answer them, and a target must be a distribution over what it can answer. A face with
  none of the seven has no distribution (`has_votes` False).
- **Faces FER+ dropped** (175 of 35,887, not a face in its judgement) have no votes: NaN
  rows in the loaders (`emoji_fer.fer2013.load_ferplus`); they are left out of
  training and of every figure here.
- **Human agreement** (`human_agreement`): on the protocol faces, the share of the eight
  expressions' remaining votes that went to the model's top-1 (1.0 when every annotator
  picked it).
- **Cross-entropy** against the vote distribution (every vote): how well the seven scores
  estimate the share of people who pick each expression (its floor is the votes' own
  entropy, `vote_entropy`: 0.48 nats on PrivateTest).
"""

import numpy as np

from emoji_fer.labels import LABELS, NUM_CLASSES

VOTE_COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt",
                "unknown", "NF")
EXPRESSIONS = 8  # the first eight columns: FER-2013's seven and contempt
# FER+'s names for FER-2013's labels, in LABELS order.
FERPLUS_NAMES = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
                 "sad": "sadness", "surprise": "surprise", "neutral": "neutral"}
TO_LABELS = np.array([VOTE_COLUMNS.index(FERPLUS_NAMES[name]) for name in LABELS])  # LABELS index -> column
CONTEMPT = NUM_CLASSES  # protocol label of a contempt-majority face: no seven-class answer is right
DROPPED = -1  # protocol label of a face FER+'s protocol does not score
# The protocol label of each vote column: a LABELS index, CONTEMPT, or DROPPED (unknown, NF).
COLUMN_TO_LABEL = np.full(len(VOTE_COLUMNS), DROPPED, np.int64)
COLUMN_TO_LABEL[TO_LABELS] = np.arange(NUM_CLASSES)
COLUMN_TO_LABEL[VOTE_COLUMNS.index("contempt")] = CONTEMPT
EPS = 1e-7  # probabilities are clipped to [EPS, 1] in the cross-entropy


def kept_votes(votes):
    """(N, 10) float32 votes with single votes dropped (1 -> 0); NaN rows (no FER+ label) stay NaN."""
    votes = np.asarray(votes, np.float32)
    if votes.ndim != 2 or votes.shape[1] != len(VOTE_COLUMNS):
        raise ValueError(f"votes must be (N, {len(VOTE_COLUMNS)}) in FER+'s column order, got {votes.shape}")
    return np.where(votes <= 1, 0, votes).astype(np.float32)  # NaN <= 1 is False: NaN stays


def protocol_labels(votes):
    """FER+'s test label of each face: (N,) int64, an index into LABELS (0..6), `CONTEMPT`
    (7) or `DROPPED` (-1). votes: (N, 10) vote counts in `VOTE_COLUMNS` order (NaN rows:
    no FER+ label, dropped). A tie for the top is never a majority, so it is dropped."""
    kept = np.nan_to_num(kept_votes(votes))
    expressions = kept[:, :EXPRESSIONS]
    total = kept.sum(axis=1)
    majority = (expressions.max(axis=1) > total / 2) & (total > 0)
    return np.where(majority, COLUMN_TO_LABEL[expressions.argmax(axis=1)], DROPPED)


def _seven(votes, drop_single):
    return np.nan_to_num(kept_votes(votes) if drop_single else np.asarray(votes, np.float32))[:, TO_LABELS]


def vote_distribution(votes, drop_single=True):
    """(N, 7) float32 share of the seven expressions' votes, in LABELS order (rows sum to 1,
    or are all 0 for a face without any: see `has_votes`); with `drop_single`, single votes
    are dropped first (FER+'s training targets)."""
    seven = _seven(votes, drop_single)
    total = seven.sum(axis=1, keepdims=True)
    return np.divide(seven, total, out=np.zeros_like(seven), where=total > 0).astype(np.float32)


def has_votes(votes, drop_single=True):
    """(N,) bool: the face has at least one vote (with `drop_single`: two votes) for one of
    the seven expressions."""
    return _seven(votes, drop_single).sum(axis=1) > 0


def majority_labels(votes):
    """(N,) int64 training label of FER+'s "majority" mode: the protocol label where it is
    one of the seven expressions, else `DROPPED` (no majority, or contempt)."""
    labels = protocol_labels(votes)
    return np.where(labels == CONTEMPT, DROPPED, labels)


def human_agreement(votes, probs):
    """Mean, over the protocol faces, of the share of the eight expressions' kept votes
    that went to the model's top-1. probs: (N, 7) probabilities in LABELS order. In [0, 1]."""
    return column_agreement(votes, TO_LABELS[np.asarray(probs).argmax(axis=1)])


def column_agreement(votes, columns):
    """`human_agreement` of answers given as vote columns: columns (N,) int, an index into
    VOTE_COLUMNS per face (so an eight-class model's contempt answer can be scored too)."""
    kept = np.nan_to_num(kept_votes(votes))
    scored = protocol_labels(votes) != DROPPED
    chosen = kept[scored][np.arange(scored.sum()), np.asarray(columns)[scored]]
    return float(np.mean(chosen / kept[scored, :EXPRESSIONS].sum(axis=1)))


def vote_cross_entropy(votes, probs):
    """Mean cross-entropy (nats) of the probabilities (N, 7) against the distribution of
    every vote for the seven expressions, over the faces with any; probabilities are
    clipped to [1e-7, 1]."""
    target, mask = vote_distribution(votes, drop_single=False), has_votes(votes, drop_single=False)
    p = np.clip(np.asarray(probs, np.float64)[mask], EPS, 1)
    return float(-(target[mask] * np.log(p)).sum(axis=1).mean())


def vote_entropy(votes):
    """Mean entropy (nats) of the vote distribution over the faces with votes: the floor of
    `vote_cross_entropy` (reached by predicting the votes exactly)."""
    target = vote_distribution(votes, drop_single=False)[has_votes(votes, drop_single=False)].astype(np.float64)
    return float(-(target * np.log(np.where(target > 0, target, 1))).sum(axis=1).mean())


def ferplus_report(votes, probs, labels, split):
    """FER+ metrics of a model's probabilities, as the field reports them (JSON-ready).

    votes: (N, 10) vote counts (NaN rows: no FER+ label). probs: (N, 7) float probabilities
    in LABELS order. labels: (N,) int original FER-2013 labels (0..6). Returns
    {split, n (protocol faces), protocol_accuracy, contempt (protocol faces with a
    contempt majority, counted wrong), human_agreement, cross_entropy, vote_entropy (its
    floor), per_class_recall {label: recall on the protocol faces of that label},
    confusion (7x7 counts, rows = FER+ majority, columns = prediction, contempt faces left
    out), original {n, accuracy: the original FER-2013 labels on the faces FER+ labelled,
    agrees_with_majority: share of the protocol faces whose original label is the FER+
    majority}}. Raises ValueError when no face has a FER+ majority.
    """
    from emoji_fer.metrics import classification_report

    probs = np.asarray(probs)
    protocol = protocol_labels(votes)
    scored = protocol != DROPPED
    if not scored.any():
        raise ValueError(f"{split}: no face has a FER+ majority for one expression: nothing to score")
    predicted = probs.argmax(axis=1)
    seven = scored & (protocol != CONTEMPT)
    report = classification_report(protocol[seven], predicted[seven], split)
    labelled = ~np.isnan(np.asarray(votes, np.float32)).any(axis=1)
    return {
        "split": split,
        "n": int(scored.sum()),
        "protocol_accuracy": float(np.mean(predicted[scored] == protocol[scored])),
        "contempt": int((protocol == CONTEMPT).sum()),
        "human_agreement": human_agreement(votes, probs),
        "cross_entropy": vote_cross_entropy(votes, probs),
        "vote_entropy": vote_entropy(votes),
        "per_class_recall": {name: r["recall"] for name, r in report["per_class"].items()},
        "confusion": report["confusion"],
        "original": {"n": int(labelled.sum()),
                     "accuracy": float(np.mean(predicted[labelled] == np.asarray(labels)[labelled])),
                     "agrees_with_majority": float(np.mean(np.asarray(labels)[scored] == protocol[scored]))},
    }
