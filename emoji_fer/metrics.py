"""Classification metrics for FER-2013 evaluation: accuracy, per-class precision/recall/F1,
macro-F1 and the confusion matrix (rows = true label, columns = predicted label),
computed with scikit-learn so the numbers match what the literature's tooling reports."""

import numpy as np

from emoji_fer.labels import LABELS


def classification_report(y_true, y_pred, split):
    """Metrics of integer predictions against integer labels (both (N,) in 0..6).

    Returns a JSON-ready dict: split, n, accuracy, macro_f1 (fractions in [0, 1]),
    per_class {label: {precision, recall, f1, support}}, confusion (7x7 list of counts).
    Raises ImportError, with the remedy, without scikit-learn (the `[train]` extra): the
    base install, which only predicts, does not need it.
    """
    try:
        from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    except ImportError as err:
        raise ImportError("evaluation needs scikit-learn: pip install 'emoji-fer[train]'") from err
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = list(range(len(LABELS)))
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=classes, zero_division=0)
    return {
        "split": split,
        "n": int(y_true.size),
        "accuracy": float(np.mean(y_true == y_pred)),
        "macro_f1": float(np.mean(f1)),
        "per_class": {
            name: {"precision": float(precision[i]), "recall": float(recall[i]),
                   "f1": float(f1[i]), "support": int(support[i])}
            for i, name in enumerate(LABELS)},
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }
