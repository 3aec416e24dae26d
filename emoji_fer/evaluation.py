"""Evaluate a model on a FER-2013 split through the same Predictor the product serves."""

from emoji_fer.metrics import classification_report
from emoji_fer.predictor import Predictor
from emoji_fer.preprocessing import scale


def evaluate_split(data_dir=None, split="PrivateTest", model_path=None):
    """Metrics of a model on one split (see emoji_fer.metrics.classification_report).

    data_dir: FER-2013 folder layout or fer2013.csv. Raises emoji_fer.fer2013.DatasetError if missing.
    """
    from emoji_fer.fer2013 import load_fer2013

    images, labels = load_fer2013(data_dir, splits=(split,))[split]
    predictor = Predictor(model_path, detector=None)
    probs = predictor.predict_faces(scale(images[..., None]))  # batched inside the classifier
    return classification_report(labels, probs.argmax(axis=1), split)
