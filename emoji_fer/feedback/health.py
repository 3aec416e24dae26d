"""Model health: how the model does on real users' faces, from the rows of
the feedback store (emoji_fer.feedback). The demo's "Model health" tab and
`emoji-fer feedback stats` show the same figures, computed here.

Every figure treats the user's label as the truth: a confirmation counts as correct, a
correction as wrong. Users choose which faces to give feedback on, so these figures
describe the faces they chose, not a random sample.
"""

import math
from collections import defaultdict

import numpy as np

from emoji_fer.labels import LABELS

CALIBRATION_BINS = 10  # equal-width bins of top-1 confidence in [0, 1] (Guo et al. 2017)
PERIODS = ("day", "week")


def report(rows, reference_mix=None, by="day"):
    """Figures for one set of feedback rows (dicts as FeedbackStore.rows gives them:
    predicted, label, probabilities (7 floats in LABELS order), created_at (datetime)).

    reference_mix: {label: share} of the model's predicted labels on FER-2013
    PrivateTest (see `reference_mix`), for the drift signal; None leaves it out.
    by: "day" or "week" (ISO weeks) for the figures over time.
    Returns {"n", "accuracy", "correction_rate", "confusion" (7x7 list of counts, rows
    = given label, columns = predicted, LABELS order), "per_class" {label: {"precision",
    "recall", "support"}} (None where undefined: no predictions or no rows of a label),
    "calibration" (see `calibration`), "mix" {"feedback", "reference", "js_distance"},
    "over_time" [{"period", "n", "accuracy", "correction_rate", "mean_confidence"}]}.
    accuracy and the rates are in [0, 1], None with no rows.
    """
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}, got {by!r}")
    given = np.array([LABELS.index(r["label"]) for r in rows], np.int64)
    predicted = np.array([LABELS.index(r["predicted"]) for r in rows], np.int64)
    probs = np.array([r["probabilities"] for r in rows], np.float64).reshape(-1, len(LABELS))
    n = len(rows)
    correct = given == predicted
    confusion = np.zeros((len(LABELS), len(LABELS)), np.int64)
    np.add.at(confusion, (given, predicted), 1)
    feedback_mix = {label: float(c) / n if n else 0.0 for label, c in zip(LABELS, confusion.sum(axis=0))}
    return {
        "n": n,
        "accuracy": float(correct.mean()) if n else None,
        "correction_rate": float(1 - correct.mean()) if n else None,
        "confusion": confusion.tolist(),
        "per_class": per_class(confusion),
        "calibration": calibration(probs.max(axis=1) if n else np.zeros(0), correct),
        "mix": {"feedback": feedback_mix, "reference": reference_mix,
                "js_distance": js_distance(feedback_mix, reference_mix) if reference_mix and n else None},
        "over_time": over_time(rows, correct, probs, by),
    }


def report_by_model(rows, reference_mix=None, by="day"):
    """{"all": report of every row, "models": {model_sha256: report of its rows}}, the
    models in order of their latest row, newest first."""
    groups = defaultdict(list)
    for row in rows:
        groups[row["model_sha256"]].append(row)
    newest = sorted(groups, key=lambda sha: max(r["created_at"] for r in groups[sha]), reverse=True)
    return {"all": report(rows, reference_mix, by), "models": {sha: report(groups[sha], reference_mix, by)
                                                                for sha in newest}}


def per_class(confusion):
    """{label: {"precision", "recall", "support"}} of a confusion matrix (rows = given,
    columns = predicted); precision None for a label never predicted, recall None for a
    label never given."""
    confusion = np.asarray(confusion)
    out = {}
    for i, label in enumerate(LABELS):
        predicted, given = confusion[:, i].sum(), confusion[i, :].sum()
        out[label] = {"precision": float(confusion[i, i] / predicted) if predicted else None,
                      "recall": float(confusion[i, i] / given) if given else None,
                      "support": int(given)}
    return out


def calibration(confidence, correct, bins=CALIBRATION_BINS):
    """Top-1 confidence against observed accuracy.

    confidence: (N,) top-1 probabilities in [0, 1]; correct: (N,) bool.
    Returns {"mean_confidence", "accuracy", "ece", "bins": [{"low", "high", "n",
    "confidence", "accuracy"}] * bins}: equal-width bins [k/bins, (k+1)/bins) (the last
    one closed); ECE = sum over bins of n_b / N * |accuracy_b - confidence_b| (expected
    calibration error, Guo et al. 2017, "On Calibration of Modern Neural Networks").
    Empty bins have n 0 and None for their means; with N = 0 every figure is None.
    """
    confidence, correct = np.asarray(confidence, np.float64), np.asarray(correct, bool)
    index = np.minimum((confidence * bins).astype(np.int64), bins - 1)
    out, ece = [], 0.0
    for k in range(bins):
        mask = index == k
        m = int(mask.sum())
        conf = float(confidence[mask].mean()) if m else None
        acc = float(correct[mask].mean()) if m else None
        if m:
            ece += m / len(confidence) * abs(acc - conf)
        out.append({"low": k / bins, "high": (k + 1) / bins, "n": m, "confidence": conf, "accuracy": acc})
    n = len(confidence)
    return {"mean_confidence": float(confidence.mean()) if n else None,
            "accuracy": float(correct.mean()) if n else None,
            "ece": float(ece) if n else None, "bins": out}


def js_distance(p, q):
    """Jensen-Shannon distance (base 2, so in [0, 1]; 0 for equal mixes) between two
    label mixes {label: share}: sqrt of the JS divergence, as
    scipy.spatial.distance.jensenshannon(p, q, base=2) computes it."""
    p = np.array([p.get(label, 0.0) for label in LABELS], np.float64)
    q = np.array([q.get(label, 0.0) for label in LABELS], np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = (p + q) / 2

    def kl(a, b):
        nz = a > 0
        return float(np.sum(a[nz] * np.log2(a[nz] / b[nz])))

    return math.sqrt(max(0.0, (kl(p, m) + kl(q, m)) / 2))


def reference_mix(metadata, split="PrivateTest"):
    """{label: share} of a model's predicted labels on a FER-2013 split, from the
    confusion matrix its metadata records (columns = predicted); None if it has none."""
    confusion = metadata.get("metrics", {}).get(split, {}).get("confusion")
    if not confusion:
        return None
    columns = np.asarray(confusion, np.float64).sum(axis=0)
    return {label: float(c / columns.sum()) for label, c in zip(metadata.get("labels", LABELS), columns)}


def period_of(created_at, by="day"):
    """The period a UTC datetime falls in: "2026-12-05" by day, "2026-W49" by ISO week."""
    if by == "week":
        year, week, _ = created_at.isocalendar()
        return f"{year}-W{week:02d}"
    return created_at.date().isoformat()


def over_time(rows, correct, probs, by="day"):
    """[{"period", "n", "accuracy", "correction_rate", "mean_confidence"}], oldest first."""
    groups = defaultdict(list)
    for i, row in enumerate(rows):
        groups[period_of(row["created_at"], by)].append(i)
    out = []
    for period in sorted(groups):
        idx = np.array(groups[period])
        acc = float(correct[idx].mean())
        out.append({"period": period, "n": len(idx), "accuracy": acc, "correction_rate": 1 - acc,
                    "mean_confidence": float(probs[idx].max(axis=1).mean())})
    return out


def report_text(rep):
    """A few human lines of one report (the CLI's text output)."""
    if not rep["n"]:
        return "no feedback yet"
    cal = rep["calibration"]
    lines = [f"feedback rows: {rep['n']}  accuracy {rep['accuracy']:.1%}  correction rate {rep['correction_rate']:.1%}",
             f"calibration: mean top-1 confidence {cal['mean_confidence']:.1%} against accuracy "
             f"{cal['accuracy']:.1%}, ECE {cal['ece']:.3f} ({CALIBRATION_BINS} bins)"]
    if rep["mix"]["js_distance"] is not None:
        lines.append(f"predicted-label mix against FER-2013 PrivateTest: Jensen-Shannon distance "
                     f"{rep['mix']['js_distance']:.3f}")
    lines += ["", f"{'label':<10}{'precision':>10}{'recall':>8}{'support':>9}"]
    for label, m in rep["per_class"].items():
        fmt = lambda v: f"{v:.3f}" if v is not None else "-"  # noqa: E731
        lines.append(f"{label:<10}{fmt(m['precision']):>10}{fmt(m['recall']):>8}{m['support']:>9}")
    lines += ["", "confusion matrix (rows = given, columns = predicted): " + " ".join(l[:3] for l in LABELS)]
    lines += [f"{label[:3]:>4} " + " ".join(f"{n:>4}" for n in row) for label, row in zip(LABELS, rep["confusion"])]
    lines += ["", f"{'period':<12}{'n':>6}{'accuracy':>10}{'confidence':>12}"]
    lines += [f"{p['period']:<12}{p['n']:>6}{p['accuracy']:>10.1%}{p['mean_confidence']:>12.1%}" for p in rep["over_time"]]
    return "\n".join(lines)
