"""An expression timeline: one row per sampled frame of a webcam session or a video.

A row is (time in s, number of faces found, the person, the seven probabilities of the
main face, the largest one). A frame without a face is kept as a row with faces = 0 and no
person or probabilities (NaN in memory, empty cells in the CSV): it is neither dropped nor
filled in, so "no face for 10 s" shows in the data. Shared by the CLI, the demo's video tab
and its live webcam tab.

The person is the face's track id where faces are tracked (the browser page), else 1. The
page's call mode records one row per person in view at each sample time: a sample is the
rows of one time, its first row the main face's, and the summary and plots are the main
face's. The Python side records the main face only (one row per sample).
"""

import csv
import io
import math

import numpy as np

from emoji_fer.labels import EMOJI, LABELS

CSV_HEADER = ("time_s", "faces", "person", *LABELS)
# One colour per expression, the same in the demo's plot and the matplotlib figure
# (matplotlib's tab10, picked so that happy/sad/neutral are easy to tell apart).
COLORS = {"angry": "#d62728", "disgust": "#8c564b", "fear": "#9467bd", "happy": "#ff7f0e",
          "sad": "#1f77b4", "surprise": "#e377c2", "neutral": "#7f7f7f"}
PLOT_POINTS = 400  # at most this many time points are drawn; longer timelines are averaged in bins


class Timeline:
    """Rows of (t, faces, person, probabilities of the face), in the order they were added.

    Storage is one float64 array of shape (capacity, 10), grown by doubling: 80 bytes per
    row, 1.2 MB for an hour sampled at 4 Hz. max_rows: None keeps every row (a video file,
    whose length is known); a number bounds memory for open-ended sessions (the live
    webcam): once full, each new row drops the oldest one, and `dropped` counts them.
    """

    def __init__(self, max_rows=None):
        if max_rows is not None and max_rows < 1:
            raise ValueError("max_rows must be at least 1 or None")
        self.max_rows = max_rows
        self.dropped = 0
        self._dropped_time = np.nan  # the time of the last dropped row
        # At most max_rows from the start (16 rows before, so a bound under 16 kept 16 rows).
        self._data = np.empty((16 if max_rows is None else min(16, max_rows), 3 + len(LABELS)), np.float64)
        self._n = 0

    def __len__(self):
        return self._n

    def add(self, t, faces, probs=None, person=None):
        """Append one row. t: time in s (float, >= the previous row's; equal to it: another
        person of the same sample); faces: int >= 0; probs: 7 probabilities of the face in
        FER-2013 label order, or None when faces == 0; person: its track id, an int >= 1
        (default 1 when there is a face), None without a face."""
        if faces and probs is None:
            raise ValueError("a row with faces needs the main face's probabilities")
        if person is not None and (not faces or int(person) != person or person < 1):
            raise ValueError(f"person must be an integer >= 1 on a row with a face, got {person}")
        if self._n == len(self._data):
            if self.max_rows is not None and self._n >= self.max_rows:
                self._dropped_time = self._data[0, 0]
                self._data[:-1] = self._data[1:]  # numpy copies overlapping slices safely
                self._n -= 1
                self.dropped += 1
            else:
                size = 2 * len(self._data) if self.max_rows is None else min(2 * len(self._data), self.max_rows)
                grown = np.empty((size, self._data.shape[1]), np.float64)
                grown[:self._n] = self._data[:self._n]
                self._data = grown
        row = self._data[self._n]
        row[0], row[1] = t, faces
        row[2] = (1 if person is None else person) if faces else np.nan
        row[3:] = np.nan if probs is None else np.asarray(probs, np.float64)
        self._n += 1

    def add_result(self, t, result, everyone=False):
        """Append the row for one Predictor.predict_rgb result (largest face first): the main
        face's, or with everyone one row per face (person: its "track" if any, else its
        place in the list from 1), as the page's call mode."""
        faces = result["faces"]
        if not faces:
            self.add(t, 0)
            return
        for i, face in enumerate(faces if everyone else faces[:1]):
            self.add(t, len(faces), [face["scores"][label] for label in LABELS], face.get("track", i + 1))

    @property
    def times(self):
        """(N,) float64 seconds."""
        return self._data[:self._n, 0].copy()

    @property
    def face_counts(self):
        """(N,) int64 faces per row."""
        return self._data[:self._n, 1].astype(np.int64)

    @property
    def persons(self):
        """(N,) float64 person of each row (its track id); NaN where no face was found."""
        return self._data[:self._n, 2].copy()

    @property
    def probs(self):
        """(N, 7) float64 probabilities of each row's face; NaN rows where no face was found."""
        return self._data[:self._n, 3:].copy()

    @property
    def main(self):
        """(N,) bool: the row is its sample's main row, the first of its time."""
        times = self._data[:self._n, 0]
        return times != np.concatenate([[self._dropped_time], times[:-1]])

    def rows(self):
        """The rows as dicts {"time_s", "faces", "person", label: p or None}, in CSV column order."""
        out = []
        for t, faces, person, *probs in self._data[:self._n].tolist():
            row = {"time_s": t, "faces": int(faces), "person": None if math.isnan(person) else int(person)}
            row.update({label: None if math.isnan(p) else p for label, p in zip(LABELS, probs)})
            out.append(row)
        return out

    def smoothed(self, half_life_s=0.0):
        """(N, 7) probabilities after `ema` with the given half-life in s (0 = none)."""
        return ema(self._data[:self._n, 0], self.probs, half_life_s)

    def summary(self):
        """{"samples", "with_face", "no_face", "duration_s", "share": {label: fraction of the
        samples with a face whose main face's top expression it is}, "dominant": label or
        None}. With evenly spaced samples, a share of samples is a share of time."""
        main = self._data[:self._n][self.main]
        with_face = main[main[:, 1] > 0, 3:]
        counts = np.bincount(with_face.argmax(axis=1), minlength=len(LABELS)) if len(with_face) else None
        share = {label: float(counts[i]) / len(with_face) if counts is not None else 0.0
                 for i, label in enumerate(LABELS)}
        times = self._data[:self._n, 0]
        return {
            "samples": len(main),
            "with_face": int(len(with_face)),
            "no_face": int(len(main) - len(with_face)),
            "duration_s": float(times[-1] - times[0]) if self._n else 0.0,
            "share": share,
            "dominant": LABELS[int(counts.argmax())] if len(with_face) else None,
        }

    def write_csv(self, file):
        """Write the CSV (header `time_s,faces,person,angry,...,neutral`) to a path or a text
        file. Times with 3 decimals (ms), probabilities with 6; no-face rows have empty
        person and probability cells."""
        if isinstance(file, (str, bytes)) or hasattr(file, "__fspath__"):
            with open(file, "w", newline="", encoding="utf-8") as f:
                return self.write_csv(f)
        writer = csv.writer(file)
        writer.writerow(CSV_HEADER)
        for t, faces, person, *probs in self._data[:self._n].tolist():
            cells = ["" if math.isnan(p) else f"{p:.6f}" for p in probs]
            writer.writerow([f"{t:.3f}", int(faces), "" if math.isnan(person) else int(person), *cells])
        return None

    def to_csv(self):
        """The CSV as one string."""
        buf = io.StringIO()
        self.write_csv(buf)
        return buf.getvalue()

    def plot_frame(self, half_life_s=0.0, max_points=PLOT_POINTS):
        """A long-format pandas DataFrame (time_s, expression, probability) for gr.LinePlot.

        The main face's rows only. Rows with no face are left out (the line bridges them;
        the summary counts them).
        Beyond max_points rows, consecutive rows are averaged in equal bins so the browser
        draws a bounded number of points however long the session; the smoothing
        (`ema`, half-life in s) is applied after binning.
        """
        import pandas as pd

        times, probs = self._data[:self._n, 0], self._data[:self._n, 3:]
        keep = ~np.isnan(probs[:, 0]) & self.main
        times, probs = times[keep], probs[keep]
        if len(times) > max_points:
            bins = np.array_split(np.arange(len(times)), max_points)
            times = np.array([times[b].mean() for b in bins])
            probs = np.stack([probs[b].mean(axis=0) for b in bins])
        probs = ema(times, probs, half_life_s)  # after binning, so its cost stays bounded too
        return pd.DataFrame({
            "time_s": np.repeat(times, len(LABELS)),
            "expression": np.tile(np.array(LABELS, dtype=object), len(times)),
            "probability": probs.reshape(-1),
        })


def ema(times, probs, half_life_s):
    """Exponential moving average of probs (N, 7) sampled at times (N,) in s, with a
    half-life in s (0 = return a copy unchanged). Time-based, so irregular sampling (a
    webcam) weighs correctly. Rows that are NaN (no face) stay NaN and do not reset it."""
    out = np.array(probs, dtype=np.float64)
    if half_life_s <= 0:
        return out
    state, last_t = None, None
    for i in range(len(out)):
        if np.isnan(out[i, 0]):
            continue
        if state is not None:
            keep = 0.5 ** ((times[i] - last_t) / half_life_s)
            out[i] = keep * state + (1 - keep) * out[i]
        state, last_t = out[i], times[i]
    return out


def summary_text(summary, markdown=False):
    """A few human lines: dominant expression, share per expression (largest first), and
    how many samples had no face."""
    if not summary["samples"]:
        return "No samples yet."
    bold = "**" if markdown else ""
    lines = []
    if summary["dominant"]:
        d = summary["dominant"]
        lines.append(f"Dominant expression: {bold}{EMOJI[d]} {d}{bold} "
                     f"({summary['share'][d]:.0%} of the samples with a face)")
    shares = sorted(summary["share"].items(), key=lambda kv: -kv[1])
    parts = [f"{EMOJI[label]} {label} {share:.0%}" for label, share in shares if share > 0]
    if parts:
        lines.append("Share of time as top expression: " + ", ".join(parts))
    lines.append(f"{summary['samples']} samples over {summary['duration_s']:.1f} s; "
                 f"{summary['no_face']} with no face")
    return ("\n\n" if markdown else "\n").join(lines)


def plot_figure(timeline, half_life_s=0.0, title=None):
    """A matplotlib Figure of the seven probabilities over time (s); grey bands mark the
    samples with no face; the main face's rows only. The caller saves or closes it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), dpi=100)
    ax = fig.add_subplot()
    main = timeline.main
    times, probs = timeline.times[main], ema(timeline.times[main], timeline.probs[main], half_life_s)
    for i, label in enumerate(LABELS):
        ax.plot(times, probs[:, i], color=COLORS[label], label=label, linewidth=1.6)
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0
    for t in times[np.isnan(probs[:, 0])]:
        ax.axvspan(t - step / 2, t + step / 2, color="0.85", linewidth=0)
    ax.set(xlabel="time (s)", ylabel="probability", ylim=(0, 1), title=title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
