"""Model health: the figures of emoji_fer.feedback.health on a seeded store equal figures
computed by hand here, and `emoji-fer feedback stats/export/delete/purge` on the same store."""

import json
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from emoji_fer.feedback import health
from emoji_fer.feedback import FeedbackStore, png_pixels
from emoji_fer.labels import LABELS
from tests.conftest import run_module

DAY1 = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)  # a Monday: ISO week 49
DAY2 = DAY1 + timedelta(days=1, hours=3)
DAY3 = DAY1 + timedelta(days=8)  # the next ISO week


def probs(top, p):
    """7 probabilities with `p` on `top` and the rest shared evenly."""
    out = [(1 - p) / 6] * 7
    out[LABELS.index(top)] = p
    return out


# (predicted, given, top-1 confidence, time, model): 6 rows, 4 confirmed, 2 corrected.
SEED = [
    ("happy", "happy", 0.95, DAY1, "a" * 64),
    ("happy", "happy", 0.85, DAY1, "a" * 64),
    ("sad", "neutral", 0.55, DAY1, "a" * 64),
    ("neutral", "neutral", 0.62, DAY2, "a" * 64),
    ("fear", "surprise", 0.45, DAY3, "b" * 64),
    ("surprise", "surprise", 0.91, DAY3, "b" * 64),
]


@pytest.fixture
def store(tmp_path):
    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    store = FeedbackStore(url)
    rng = np.random.default_rng(0)
    for predicted, given, p, when, sha in SEED:
        crop = rng.integers(0, 256, (48, 48, 1)).astype(np.float32) / 255
        store.add(crop, probs(predicted, p), predicted, given, sha, "photo", "session", now=when)
    yield store
    store.close()


def test_figures_equal_hand_computed(store):
    rep = health.report(list(reversed(store.rows())), by="day")
    assert rep["n"] == 6
    assert rep["accuracy"] == pytest.approx(4 / 6) and rep["correction_rate"] == pytest.approx(2 / 6)
    cm = np.array(rep["confusion"])
    assert cm.sum() == 6 and cm[LABELS.index("happy"), LABELS.index("happy")] == 2
    assert cm[LABELS.index("neutral"), LABELS.index("sad")] == 1  # given neutral, predicted sad
    assert cm[LABELS.index("surprise"), LABELS.index("fear")] == 1
    per = rep["per_class"]
    assert per["neutral"] == {"precision": 1.0, "recall": 0.5, "support": 2}  # 1 of 1 predicted; 1 of 2 given
    assert per["surprise"] == {"precision": 1.0, "recall": 0.5, "support": 2}
    assert per["sad"]["precision"] == 0.0 and per["sad"]["recall"] is None  # predicted once, never given
    assert per["angry"] == {"precision": None, "recall": None, "support": 0}

    # Calibration by hand: bins [0.4,0.5) {0.45 wrong}, [0.5,0.6) {0.55 wrong}, [0.6,0.7) {0.62 right},
    # [0.8,0.9) {0.85 right}, [0.9,1.0] {0.95 right, 0.91 right}.
    cal = rep["calibration"]
    expected_ece = (abs(0 - 0.45) + abs(0 - 0.55) + abs(1 - 0.62) + abs(1 - 0.85) + abs(1 - 0.93) * 2) / 6
    assert cal["ece"] == pytest.approx(expected_ece)
    assert cal["mean_confidence"] == pytest.approx((0.95 + 0.85 + 0.55 + 0.62 + 0.45 + 0.91) / 6)
    assert [b["n"] for b in cal["bins"]] == [0, 0, 0, 0, 1, 1, 1, 0, 1, 2]
    assert cal["bins"][9]["confidence"] == pytest.approx(0.93) and cal["bins"][9]["accuracy"] == 1.0
    assert cal["bins"][0]["confidence"] is None

    # Over time, by day and by ISO week.
    assert [(p["period"], p["n"], p["accuracy"]) for p in rep["over_time"]] == [
        ("2026-11-30", 3, pytest.approx(2 / 3)), ("2026-12-01", 1, 1.0), ("2026-12-08", 2, 0.5)]
    weekly = health.report(store.rows(), by="week")["over_time"]
    assert [(p["period"], p["n"]) for p in weekly] == [("2026-W49", 4), ("2026-W50", 2)]


def test_drift_signal_is_the_jensen_shannon_distance():
    same = {label: 1 / 7 for label in LABELS}
    assert health.js_distance(same, same) == pytest.approx(0.0, abs=1e-12)
    only_happy = {label: float(label == "happy") for label in LABELS}
    only_sad = {label: float(label == "sad") for label in LABELS}
    assert health.js_distance(only_happy, only_sad) == pytest.approx(1.0)  # disjoint: the maximum, base 2
    # Half happy / half sad against all happy, by hand: M = (3/4, 1/4);
    # JSD = 0.5 * (0.5 log2(0.5/0.75) + 0.5 log2(0.5/0.25)) + 0.5 * (1 log2(1/0.75)).
    half = {label: 0.5 if label in ("happy", "sad") else 0.0 for label in LABELS}
    jsd = 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5 * math.log2(2)) + 0.5 * math.log2(1 / 0.75)
    assert health.js_distance(half, only_happy) == pytest.approx(math.sqrt(jsd))


def test_reference_mix_comes_from_the_models_privatetest_confusion():
    from emoji_fer.model_files import read_metadata, shipped_model

    meta = read_metadata(shipped_model())
    mix = health.reference_mix(meta)
    confusion = np.array(meta["metrics"]["PrivateTest"]["confusion"])
    assert sum(mix.values()) == pytest.approx(1.0)
    assert mix["happy"] == pytest.approx(confusion[:, LABELS.index("happy")].sum() / confusion.sum())


def test_by_model_version(store):
    reports = health.report_by_model(store.rows())
    assert list(reports["models"]) == ["b" * 64, "a" * 64]  # newest first
    assert reports["models"]["a" * 64]["n"] == 4 and reports["models"]["a" * 64]["accuracy"] == 0.75
    assert reports["models"]["b" * 64]["accuracy"] == 0.5 and reports["all"]["n"] == 6


def cli(url, *args):
    return run_module("emoji_fer", "feedback", "--feedback-db", url, *map(str, args))


@pytest.mark.slow
def test_cli_stats_export_delete_purge(store, tmp_path):
    url = store.url
    proc = cli(url, "stats", "--json", "--by", "week")
    assert proc.returncode == 0, proc.stderr
    reports = json.loads(proc.stdout)
    assert reports["all"]["n"] == 6 and reports["all"]["accuracy"] == pytest.approx(4 / 6)
    assert reports["all"]["mix"]["js_distance"] is not None
    text = cli(url, "stats")
    assert text.returncode == 0 and "accuracy 66.7%" in text.stdout and "ECE" in text.stdout

    proc = cli(url, "export", tmp_path / "export")
    assert proc.returncode == 0, proc.stderr
    ids = {r["id"]: r for r in store.rows(with_crops=True)}
    train = sorted((tmp_path / "export" / "train").glob("*/Feedback_*.png"))
    test = sorted((tmp_path / "export" / "test").glob("*/FeedbackTest_*.png"))
    assert len(train) + len(test) == 6 and [p.name for p in test] == ["FeedbackTest_5.png"]  # id % 5 == 0
    for path in train + test:
        row = ids[int(path.stem.split("_")[1])]
        assert path.parent.name == row["label"]  # the label the user gave
        np.testing.assert_array_equal(png_pixels(path.read_bytes()), png_pixels(row["crop_png"]))

    assert "deleted 1 of 2 rows" in cli(url, "delete", 1, 999).stdout
    assert store.count() == 5
    proc = cli(url, "purge", "--before", "2026-12-02")
    assert proc.returncode == 0 and "deleted 3 rows" in proc.stdout
    assert sorted(r["id"] for r in store.rows()) == [5, 6]


def test_cli_reports_an_unopenable_store(tmp_path):
    proc = cli(f"sqlite:///{tmp_path / 'missing' / 'fb.sqlite3'}", "stats")
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli("postgresql+psycopg://me:hunter2@127.0.0.1:1/nowhere", "stats")
    assert proc.returncode == 2 and "hunter2" not in proc.stderr and "Traceback" not in proc.stderr
