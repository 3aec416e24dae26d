"""The Model health figures as matplotlib Figures, one function per figure, each drawing
one report of emoji_fer.feedback.health.report (the demo's "Model health" tab shows them; a
script can save them with fig.savefig).

Like emoji_fer.timeline.plot_figure: matplotlib.figure.Figure objects, not pyplot, so a
server drawing figures from several threads shares no global state, and a figure is
freed once the caller drops it. Labels are written out, not drawn as emoji (matplotlib's
fonts have no colour emoji). Every function draws an empty report as a short note.
"""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from emoji_fer.feedback.health import CALIBRATION_BINS
from emoji_fer.labels import LABELS

ACCURACY_COLOR = "#2ca02c"
CORRECTION_COLOR = "#d62728"
FEEDBACK_COLOR = "#1f77b4"
REFERENCE_COLOR = "#b0b0b0"
EMPTY_TEXT = "No feedback yet"


def _figure(width, height):
    # Constrained layout: titles, tick labels and colour bars fit without overlapping.
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _empty(fig, title):
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, EMPTY_TEXT, ha="center", va="center", fontsize=14, color="0.4", transform=ax.transAxes)
    return fig


def _percent(ax, axis="y"):
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0))


def over_time_figure(rep, by="day"):
    """Accuracy and correction rate per period (lines, left axis) over the number of rows
    per period (grey bars, right axis). rep: a health.report; by: "day" or "week"."""
    fig = _figure(10, 3.6)
    title = f"Accuracy and correction rate by {by}"
    periods = rep["over_time"]
    if not periods:
        return _empty(fig, title)
    ax = fig.add_subplot()
    x = np.arange(len(periods))
    counts = ax.twinx()
    counts.bar(x, [p["n"] for p in periods], width=0.6, color="0.88", label="rows", zorder=0)
    counts.set_ylabel("rows")
    counts.yaxis.set_major_locator(MaxNLocator(integer=True))
    counts.set_ylim(0, max(p["n"] for p in periods) * 1.15)
    # Lines over the bars: the twin axis is drawn later, so the main axis goes on top.
    ax.set_zorder(counts.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(x, [p["accuracy"] for p in periods], "o-", color=ACCURACY_COLOR, label="accuracy", linewidth=2)
    ax.plot(x, [p["correction_rate"] for p in periods], "s--", color=CORRECTION_COLOR, label="correction rate",
            linewidth=1.6)
    ax.set_xticks(x, [p["period"] for p in periods], rotation=30 if len(periods) > 6 else 0, ha="right"
                  if len(periods) > 6 else "center")
    ax.set(ylim=(0, 1.05), ylabel="share of rows", title=title)
    _percent(ax)
    ax.grid(alpha=0.3, axis="y")
    handles = ax.get_legend_handles_labels()[0] + counts.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside right upper", frameon=False)
    return fig


def confusion_figure(rep):
    """The confusion matrix (rows: the label users gave, columns: the model's top-1) as a
    heatmap with its counts, beside per-class precision and recall (bars; a class never
    predicted has no precision, one never given no recall)."""
    fig = _figure(11, 4.6)
    title = "Confusion matrix (given x predicted)"
    if not rep["n"]:
        return _empty(fig, title)
    confusion = np.asarray(rep["confusion"])
    grid = fig.add_gridspec(1, 2, width_ratios=(1.25, 1))
    ax = fig.add_subplot(grid[0])
    image = ax.imshow(confusion, cmap="Blues", vmin=0, vmax=max(int(confusion.max()), 1))
    ticks = np.arange(len(LABELS))
    ax.set_xticks(ticks, LABELS, rotation=35, ha="right")
    ax.set_yticks(ticks, LABELS)
    ax.set(xlabel="predicted by the model", ylabel="given by the user", title=title)
    threshold = confusion.max() / 2
    for (i, j), count in np.ndenumerate(confusion):
        if count:
            ax.text(j, i, str(count), ha="center", va="center", fontsize=9,
                    color="white" if count > threshold else "black")
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="rows")
    bar.locator = MaxNLocator(integer=True)  # counts
    bar.update_ticks()

    bars = fig.add_subplot(grid[1])
    y = np.arange(len(LABELS))
    per_class = rep["per_class"]
    precision = [per_class[label]["precision"] for label in LABELS]
    recall = [per_class[label]["recall"] for label in LABELS]
    height = 0.38
    bars.barh(y - height / 2, [p or 0 for p in precision], height, color=FEEDBACK_COLOR, label="precision")
    bars.barh(y + height / 2, [r or 0 for r in recall], height, color="#ff7f0e", label="recall")
    for i, (p, r) in enumerate(zip(precision, recall)):
        for value, offset in ((p, -height / 2), (r, height / 2)):
            bars.text((value or 0) + 0.01, i + offset, "-" if value is None else f"{value:.0%}", va="center",
                      fontsize=8)
    bars.set_yticks(y, [f"{label} (n={per_class[label]['support']})" for label in LABELS])
    bars.invert_yaxis()  # the same order, top to bottom, as the heatmap's rows
    bars.set(xlim=(0, 1.15), title="Per class (n = rows given this label)")
    _percent(bars, "x")
    bars.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False, fontsize=9)  # below the axis
    bars.grid(alpha=0.3, axis="x")
    return fig


def calibration_figure(rep):
    """Reliability diagram: accuracy per top-1 confidence bin (bars) against the diagonal
    of perfect calibration, the number of rows per bin below; the title gives the mean
    top-1 confidence, the accuracy and the ECE."""
    fig = _figure(6.4, 5.4)
    cal = rep["calibration"]
    if not rep["n"]:
        return _empty(fig, "Calibration")
    grid = fig.add_gridspec(2, 1, height_ratios=(3, 1))
    ax = fig.add_subplot(grid[0])
    counts = fig.add_subplot(grid[1], sharex=ax)
    bins = cal["bins"]
    centers = [(b["low"] + b["high"]) / 2 for b in bins]
    width = 1 / len(bins)
    filled = [b for b in bins if b["n"]]
    ax.bar([(b["low"] + b["high"]) / 2 for b in filled], [b["accuracy"] for b in filled], width * 0.9,
           color=FEEDBACK_COLOR, edgecolor="white", label="accuracy in the bin")
    ax.plot([b["confidence"] for b in filled], [b["accuracy"] for b in filled], "o", color="black", markersize=4,
            label="(mean confidence, accuracy)")
    ax.plot([0, 1], [0, 1], "--", color="0.45", label="perfect calibration")
    ax.set(xlim=(0, 1), ylim=(0, 1), ylabel="accuracy",
           title=f"Calibration: mean top-1 confidence {cal['mean_confidence']:.1%}, accuracy {cal['accuracy']:.1%},\n"
                 f"ECE {cal['ece']:.3f} ({CALIBRATION_BINS} bins)")
    _percent(ax)
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    ax.tick_params(labelbottom=False)
    counts.bar(centers, [b["n"] for b in bins], width * 0.9, color="0.6")
    counts.set(xlabel="top-1 confidence", ylabel="rows")
    counts.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=3))
    _percent(counts, "x")
    counts.grid(alpha=0.3, axis="y")
    return fig


def mix_figure(rep):
    """The share of each predicted label in the feedback against the model's own on
    FER-2013 PrivateTest (bars), titled with their Jensen-Shannon distance: a drift
    signal (0 = the same mix, 1 = no overlap)."""
    fig = _figure(8, 3.8)
    mix = rep["mix"]
    title = "Predicted-label mix"
    if not rep["n"]:
        return _empty(fig, title)
    ax = fig.add_subplot()
    x = np.arange(len(LABELS))
    reference = mix["reference"]
    width = 0.4 if reference else 0.6
    ax.bar(x - (width / 2 if reference else 0), [mix["feedback"][label] for label in LABELS], width,
           color=FEEDBACK_COLOR, label=f"feedback (n={rep['n']})")
    if reference:
        ax.bar(x + width / 2, [reference.get(label, 0.0) for label in LABELS], width, color=REFERENCE_COLOR,
               label="FER-2013 PrivateTest")
        title += f"\nJensen-Shannon distance to FER-2013 PrivateTest: {mix['js_distance']:.3f}"
    else:
        title += "\n(the model's metadata has no PrivateTest confusion matrix to compare with)"
    ax.set_xticks(x, LABELS)
    ax.set(ylabel="share of predictions", title=title)
    _percent(ax)
    ax.legend(frameon=False)
    ax.grid(alpha=0.3, axis="y")
    return fig


def figures(rep, by="day"):
    """{"over_time", "confusion", "calibration", "mix"}: every figure of one report."""
    return {"over_time": over_time_figure(rep, by), "confusion": confusion_figure(rep),
            "calibration": calibration_figure(rep), "mix": mix_figure(rep)}
