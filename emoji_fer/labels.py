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

