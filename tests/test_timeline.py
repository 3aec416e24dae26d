"""The expression timeline (rows, CSV, summary, smoothing, bounds) and the live session's
server-side rate limit, without the model."""

import csv
import io

import numpy as np
import pytest

from emoji_fer.labels import LABELS
from emoji_fer.live import LiveSession
from emoji_fer.app.live_tab import live_frame
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
    assert tuple(rows[0]) == CSV_HEADER == ("time_s", "faces", "person", "angry", "disgust", "fear", "happy",
                                              "sad", "surprise", "neutral")
    assert [r[0] for r in rows[1:]] == ["0.000", "0.500", "1.000", "1.500", "2.000"]
    assert rows[3] == ["1.000", "0", ""] + [""] * 7  # recorded, not dropped, not filled in
    assert [float(v) for v in rows[1][3:]] == HAPPY and rows[1][1] == "1"
    assert rows[1][2] == "1"  # no track ids in Python: the main face is person 1


def test_summary_shares_dominant_and_no_face_count():
    s = sample_timeline().summary()
    assert (s["samples"], s["with_face"], s["no_face"], s["duration_s"]) == (5, 4, 1, 2.0)
    assert s["dominant"] == "happy" and s["share"]["happy"] == 0.75 and s["share"]["sad"] == 0.25
    assert sum(s["share"].values()) == pytest.approx(1.0)
    text = summary_text(s)
    assert "happy" in text and "75%" in text and "1 with no face" in text
    assert Timeline().summary()["dominant"] is None


def face(probs, track):
    return {"box": [0, 0, 10, 10], "scores": dict(zip(LABELS, probs)), "top": [], "track": track}


def test_call_rows_one_per_person_and_the_main_face_summary():
    """As js/timeline.js in call mode: one row per face with its track id as the person; a
    sample is the rows of one time, and its first row (the main face) makes the summary."""
    tl = Timeline()
    tl.add_result(0.0, {"faces": [face(HAPPY, 3), face(SAD, 1)]}, everyone=True)
    tl.add_result(0.5, {"faces": []}, everyone=True)
    tl.add_result(1.0, {"faces": [face(SAD, 3), face(SAD, 1), face(HAPPY, 4)]}, everyone=True)
    tl.add_result(1.5, {"faces": [face(HAPPY, 3), face(SAD, 1)]})  # the main face only
    rows = list(csv.reader(io.StringIO(tl.to_csv())))[1:]
    assert [r[:3] for r in rows] == [["0.000", "2", "3"], ["0.000", "2", "1"], ["0.500", "0", ""],
                                     ["1.000", "3", "3"], ["1.000", "3", "1"], ["1.000", "3", "4"],
                                     ["1.500", "2", "3"]]
    assert [r["person"] for r in tl.rows()] == [3, 1, None, 3, 1, 4, 3]
    s = tl.summary()
    assert (s["samples"], s["with_face"], s["no_face"], s["duration_s"]) == (4, 3, 1, 1.5)
    assert s["share"]["happy"] == pytest.approx(2 / 3) and s["share"]["sad"] == pytest.approx(1 / 3)
    assert len(tl.plot_frame()) == 3 * 7  # the main face's rows with a face
    with pytest.raises(ValueError):
        tl.add(2.0, 1, HAPPY, person=0)
    with pytest.raises(ValueError):
        tl.add(2.0, 0, None, person=2)
    capped = Timeline(max_rows=3)  # a sample leaves the summary with its first row
    capped.add_result(0.0, {"faces": [face(HAPPY, 1), face(SAD, 2)]}, everyone=True)
    capped.add_result(1.0, {"faces": [face(SAD, 1)]}, everyone=True)
    capped.add_result(2.0, {"faces": [face(SAD, 1)]}, everyone=True)
    assert capped.summary()["samples"] == 2 and capped.summary()["share"]["sad"] == 1
    assert list(capped.main) == [False, True, True]


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
