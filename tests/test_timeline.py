"""The expression timeline (rows, CSV, summary, smoothing, bounds) and the live session's
server-side rate limit, without the model."""

import csv
import io

import numpy as np
import pytest

from emoji_fer.labels import LABELS
from emoji_fer.live import LiveSession
from emoji_fer.serving import live_frame
from emoji_fer.timeline import CSV_HEADER, Timeline, ema, summary_text

HAPPY = [0.05, 0.0, 0.05, 0.7, 0.05, 0.05, 0.1]
SAD = [0.05, 0.0, 0.05, 0.1, 0.6, 0.05, 0.15]


def result(probs):
    """A Predictor-style result with one face (or none for probs=None)."""
    if probs is None:
        return {"faces": [], "whole_image": False, "message": "no face found"}
    return {"faces": [{"box": [0, 0, 10, 10], "scores": dict(zip(LABELS, probs)), "top": []}]}


def sample_timeline():
    tl = Timeline()
    for i, probs in enumerate([HAPPY, HAPPY, None, SAD, HAPPY]):
        tl.add_result(i * 0.5, result(probs))
    return tl


def test_csv_keeps_no_face_rows_with_empty_cells():
    rows = list(csv.reader(io.StringIO(sample_timeline().to_csv())))
    assert tuple(rows[0]) == CSV_HEADER == ("time_s", "faces", "angry", "disgust", "fear", "happy", "sad",
                                              "surprise", "neutral")
    assert [r[0] for r in rows[1:]] == ["0.000", "0.500", "1.000", "1.500", "2.000"]
    assert rows[3] == ["1.000", "0"] + [""] * 7  # recorded, not dropped, not filled in
    assert [float(v) for v in rows[1][2:]] == HAPPY and rows[1][1] == "1"


def test_summary_shares_dominant_and_no_face_count():
    s = sample_timeline().summary()
    assert (s["samples"], s["with_face"], s["no_face"], s["duration_s"]) == (5, 4, 1, 2.0)
    assert s["dominant"] == "happy" and s["share"]["happy"] == 0.75 and s["share"]["sad"] == 0.25
    assert sum(s["share"].values()) == pytest.approx(1.0)
    text = summary_text(s)
    assert "happy" in text and "75%" in text and "1 with no face" in text
    assert Timeline().summary()["dominant"] is None


def test_ema_half_life_and_gaps():
    times = np.array([0.0, 1.0, 2.0, 3.0])
    probs = np.array([[1.0] * 7, [0.0] * 7, [np.nan] * 7, [0.0] * 7])
    out = ema(times, probs, half_life_s=1.0)
    assert out[1, 0] == pytest.approx(0.5)  # one half-life later: half-way
    assert np.isnan(out[2, 0])  # no face stays no face
    assert out[3, 0] == pytest.approx(0.5 * 0.25)  # two half-lives after the last face row
    assert np.array_equal(ema(times, probs, 0), probs, equal_nan=True)


def test_bounded_timeline_drops_the_oldest_rows():
    tl = Timeline(max_rows=100)
    for i in range(250):
        tl.add(float(i), 1, HAPPY)
    assert len(tl) == 100 and tl.dropped == 150
    assert tl.times[0] == 150.0 and tl.times[-1] == 249.0
    assert tl._data.shape[0] <= 100  # storage never grows beyond the bound


def test_plot_frame_is_long_format_bounded_and_without_nan():
    tl = Timeline()
    for i in range(1000):
        tl.add(i * 0.5, 0 if i % 10 == 0 else 1, None if i % 10 == 0 else HAPPY)
    df = tl.plot_frame(half_life_s=2.0, max_points=200)
    assert list(df.columns) == ["time_s", "expression", "probability"]
    assert len(df) == 200 * 7 and not df["probability"].isna().any()
    assert list(df["expression"][:7]) == list(LABELS)
    assert len(Timeline().plot_frame()) == 0


def test_rows_need_probabilities_when_a_face_is_counted():
    with pytest.raises(ValueError):
        Timeline().add(0.0, 1, None)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class CountingPredictor:
    def __init__(self):
        self.calls = 0

    def predict_rgb(self, rgb, factor=1.0):
        self.calls += 1
        return result(HAPPY)


def test_live_rate_is_applied_by_the_server_clock():
    clock, predictor = FakeClock(), CountingPredictor()
    session = LiveSession(clock=clock)
    frame = np.full((64, 64, 3), 128, np.uint8)
    updates = []
    for _ in range(40):  # frames every 0.25 s for 10 s, sampled at 2 Hz
        session, update = live_frame(predictor, session, frame, rate=2.0)
        updates.append(update is not None)
        clock.now += 0.25
    assert predictor.calls == len(session.timeline) == 20 == sum(updates)
    assert np.allclose(np.diff(session.timeline.times), 0.5)
    clock.now += 60  # a pause: sampling restarts, it does not try to catch up
    live_frame(predictor, session, frame, rate=2.0)
    clock.now += 0.25
    _, update = live_frame(predictor, session, frame, rate=2.0)
    assert update is None and predictor.calls == 21
    with pytest.raises(ValueError):
        session.due(0)


def test_live_rate_holds_on_average_for_irregular_frames():
    clock, predictor = FakeClock(), CountingPredictor()
    session = LiveSession(clock=clock)
    frame = np.full((64, 64, 3), 128, np.uint8)
    for _ in range(100):  # a frame every 0.3 s for 30 s, sampled at 2 Hz: not every 0.6 s
        live_frame(predictor, session, frame, rate=2.0)
        clock.now += 0.3
    assert 58 <= len(session.timeline) <= 61
    assert np.diff(session.timeline.times).min() >= 0.25 - 1e-9  # never bunched


def test_live_reset_starts_over_in_place():
    clock = FakeClock()
    session = LiveSession(clock=clock)
    for _ in range(5):
        session.record(result(HAPPY))
        clock.now += 1.0
    same = session
    session.reset()
    assert session is same and len(session.timeline) == 0 and session.due()
    session.record(result(None))
    assert list(session.timeline.times) == [0.0] and list(session.timeline.face_counts) == [0]


def test_live_session_is_bounded():
    clock = FakeClock()
    session = LiveSession(max_rows=50, clock=clock)
    for _ in range(120):
        session.record(result(HAPPY))
        clock.now += 1.0
    assert len(session.timeline) == 50 and session.timeline.dropped == 70
