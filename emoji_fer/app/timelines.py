"""What the two timeline tabs (Live webcam, Video file) share: the expression plot, its
data, and how long a session's timeline is kept."""

import gradio as gr

from emoji_fer.timeline import COLORS

STATE_TTL = 3600  # s: a session's timeline is freed an hour after its last update (or when the tab closes)


def timeline_plot(label):
    """The expression timeline plot: probability (0-1) of each expression over time (s)."""
    return gr.LinePlot(x="time_s", y="probability", color="expression", color_map=COLORS, y_lim=[0, 1],
                       x_title="time (s)", y_title="probability", label=label)


def plot_data(timeline, smoothing):
    """The plot's data for a Timeline (emoji_fer.timeline), smoothed with a half-life of
    `smoothing` s (0: raw), or None, which clears the plot, when it has no face yet."""
    # None, not an empty DataFrame: after an empty DataFrame, Gradio's LinePlot draws
    # nothing for the data that follows.
    if timeline is None or not timeline.summary()["with_face"]:
        return None
    return timeline.plot_frame(smoothing)
