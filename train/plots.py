"""Plots written next to a trained model: the PrivateTest confusion matrix and the
training curves (loss and accuracy per epoch, Training vs PublicTest)."""

import matplotlib

matplotlib.use("Agg")  # headless: training runs in the background and in CI
import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from emoji_fer.labels import LABELS


def confusion_matrix_png(report, path):
    """Row-normalised confusion matrix (rows = true label) of a classification_report dict,
    or of an emoji_fer.ferplus.ferplus_report dict (rows = the FER+ majority)."""
    counts = np.asarray(report["confusion"], dtype=float)
    norm = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ConfusionMatrixDisplay(norm, display_labels=LABELS).plot(ax=ax, cmap="Blues", values_format=".2f",
                                                              colorbar=False)
    if "protocol_accuracy" in report:
        ax.set_title(f"FER+ {report['split']}: protocol accuracy {report['protocol_accuracy']:.1%} (n={report['n']})")
        ax.set_ylabel("FER+ majority")
    else:
        ax.set_title(f"FER-2013 {report['split']}: accuracy {report['accuracy']:.1%} (n={report['n']})")
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def training_curves_png(history, path):
    """history: list of per-epoch dicts with loss, accuracy, val_loss, val_accuracy."""
    if not history:
        return
    epochs = np.arange(1, len(history) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("loss", "accuracy")):
        ax.plot(epochs, [r[key] for r in history], label="Training (augmented)")
        ax.plot(epochs, [r["val_" + key] for r in history], label="PublicTest")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
