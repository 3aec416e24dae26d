"""Evaluate a model on a FER-2013 split through the same Predictor the product serves:
against FER-2013's own labels (`evaluate_split`) or, as the field reports it, against
the FER+ crowd votes of the same faces (`evaluate_ferplus`, emoji_fer.ferplus)."""

from emoji_fer.metrics import classification_report
from emoji_fer.predictor import Predictor
from emoji_fer.preprocessing import scale


def served_probabilities(predictor, images):
    """(N, 7) float32 probabilities in LABELS order (rows sum to 1) of (N, 48, 48) uint8
    face crops in [0, 255], as the product serves them (the model's own TTA included)."""
    return predictor.predict_faces(scale(images[..., None]))  # batched inside the classifier


def evaluate_split(data_dir=None, split="PrivateTest", model_path=None):
    """Metrics of a model on one split (see emoji_fer.metrics.classification_report).

    data_dir: FER-2013 folder layout or fer2013.csv. Raises emoji_fer.fer2013.DatasetError if missing.
    """
    from emoji_fer.fer2013 import load_fer2013

    images, labels = load_fer2013(data_dir, splits=(split,))[split]
    probs = served_probabilities(Predictor(model_path, detector=None), images)
    return classification_report(labels, probs.argmax(axis=1), split)


def evaluate_ferplus(data_dir=None, split="PrivateTest", model_path=None, votes=None):
    """FER+ metrics of a model on one split: emoji_fer.ferplus.ferplus_report (protocol
    accuracy, human agreement, cross-entropy against the votes, per-class recall,
    confusion, accuracy on the original labels), JSON-ready.

    data_dir: FER-2013 folder layout or fer2013.csv; votes: the FER+ votes file (default:
    $FERPLUS_VOTES, else beside the data; see emoji_fer.fer2013.load_ferplus). model_path:
    a shipped model's name or a model's file. Raises emoji_fer.fer2013.DatasetError for
    missing or mismatched data or votes (or no face to score), ModelFileError for a missing model.
    """
    from emoji_fer.fer2013 import DatasetError, load_ferplus
    from emoji_fer.ferplus import ferplus_report

    # The model first: a mistyped name fails at once, not after the dataset is decoded.
    predictor = Predictor(model_path, detector=None)
    images, labels, counts = load_ferplus(data_dir, votes, splits=(split,))[split]
    try:
        return ferplus_report(counts, served_probabilities(predictor, images), labels, split)
    except ValueError as err:  # no face to score: the data, not the code, is at fault
        raise DatasetError(str(err)) from None
