"""The seven FER-2013 expression labels, in the dataset's own order, with one emoji each.

Source of the order: the `emotion` column of the original `fer2013.csv`
(Goodfellow et al., 2013, arXiv:1307.0414): 0 angry, 1 disgust, 2 fear, 3 happy,
4 sad, 5 surprise, 6 neutral. Model outputs (logits/probabilities) follow it.
"""

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")

EMOJI = {
    "angry": "😠",
    "disgust": "🤢",
    "fear": "😨",
    "happy": "😄",
    "sad": "😢",
    "surprise": "😲",
    "neutral": "😐",
}

NUM_CLASSES = len(LABELS)


def label_index(name):
    """Index 0..6 of a label name (case-insensitive). Raises ValueError for unknown names."""
    key = name.strip().lower()
    if key not in LABELS:
        raise ValueError(f"unknown FER-2013 label {name!r}; expected one of {', '.join(LABELS)}")
    return LABELS.index(key)
