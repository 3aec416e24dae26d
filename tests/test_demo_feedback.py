"""The demo's feedback, end to end: demo.py launched on a free localhost port
with its own SQLite store, called through gradio_client as an API user would; the rows
are read back with FeedbackStore on the same URL. Also: --no-feedback, a store that
cannot be opened, the admin gallery behind its password, and the Model health figures
against numbers computed by hand."""

import os
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from emoji_fer.feedback import FeedbackError, FeedbackStore, StoreUnavailable, png_pixels
from emoji_fer.labels import LABELS
from tests.conftest import demo_server

pytestmark = pytest.mark.slow  # the demo served

PASSWORD = "test-admin-password"  # for the test server's admin app only


@pytest.fixture(scope="module")
def server(samples, tmp_path_factory):
    """demo.py with a fresh SQLite store and an admin password: (http url, store url)."""
    db = f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'fb.sqlite3'}"
    with demo_server("--feedback-db", db, "--admin-password", PASSWORD) as (url, _):
        yield url, db


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


@pytest.fixture(scope="module")
def store(server):
    store = FeedbackStore(server[1])
    yield store
    store.close()


def feedback(client, path, face_index, label):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), face_index, label, api_name="/feedback")


def predict(client, path):
    from gradio_client import handle_file

    return client.predict(handle_file(str(path)), api_name="/predict")[2]


def get(url, data=None):
    """(status, body text) of a GET (or a form POST with `data`), errors included."""
    from urllib.parse import urlencode

    try:
        with urllib.request.urlopen(url, data=urlencode(data).encode() if data else None, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def test_feedback_stores_the_servers_own_prediction(client, store, samples, predictor):
    before = store.count()
    reply = feedback(client, samples / "justin.jpg", 0, "sad")
    assert set(reply) == {"id", "predicted", "label"}
    assert reply["predicted"] == "happy" and reply["label"] == "sad" and isinstance(reply["id"], int)
    assert store.count() == before + 1
    row = store.rows(with_crops=True, limit=1)[0]
    assert row["id"] == reply["id"] and row["source"] == "api" and row["session_id"]
    assert (row["predicted"], row["label"]) == ("happy", "sad")
    assert row["model_sha256"] == predictor.model_sha256
    assert datetime.now(timezone.utc) - row["created_at"] < timedelta(minutes=5)
    # The server's own probabilities (what /predict gives for the same photo) ...
    scores = predict(client, samples / "justin.jpg")["faces"][0]["scores"]
    assert row["probabilities"] == pytest.approx([scores[label] for label in LABELS], abs=1e-6)
    # ... and the 48x48 crop exactly as the model saw it.
    from emoji_fer.images import load_rgb

    _, inputs = predictor.predict_rgb_with_inputs(*load_rgb(samples / "justin.jpg"))
    pixels = png_pixels(row["crop_png"])
    assert pixels.shape == (48, 48) and pixels.dtype == np.uint8
    assert np.array_equal(pixels, np.rint(inputs[0, ..., 0] * 255).astype(np.uint8))


def test_a_confirmation_of_another_face(client, store, samples):
    faces = predict(client, samples / "sample1.jpg")["faces"]
    assert len(faces) >= 3
    top = faces[1]["top"][0]["label"]
    reply = feedback(client, samples / "sample1.jpg", 1, top)
    assert reply["predicted"] == reply["label"] == top
    row = store.rows(limit=1)[0]
    assert row["id"] == reply["id"] and row["label"] == row["predicted"] == top
    assert row["probabilities"] == pytest.approx([faces[1]["scores"][label] for label in LABELS], abs=1e-6)


def test_predict_alone_stores_nothing(client, store, samples):
    before = store.count()
    for name in ("justin.jpg", "sample2.jpg", "no-faces.jpg"):
        predict(client, samples / name)
    assert store.count() == before


def test_bad_feedback_gets_a_clear_error_and_stores_nothing(client, store, samples, tmp_path):
    from gradio_client.exceptions import AppError

    text = tmp_path / "text.jpg"
    text.write_bytes(b"this is a text file named .jpg")
    cases = [(samples / "justin.jpg", 0, "joy", "'joy' is not one of the seven"),
             (samples / "justin.jpg", 5, "happy", "no face number 5: the photo has 1"),
             (text, 0, "happy", "text.jpg: not an image file"),
             (samples / "no-faces.jpg", 0, "happy", "no face found in the photo")]
    before = store.count()
    for path, face_index, label, message in cases:
        with pytest.raises(AppError) as err:
            feedback(client, path, face_index, label)
        assert message in str(err.value) and "/tmp/" not in str(err.value), str(err.value)
        assert store.count() == before, (path.name, face_index, label)
    assert feedback(client, samples / "justin.jpg", 0, "happy")["label"] == "happy"  # still serving


def test_the_database_is_not_served(server):
    path = server[1].removeprefix("sqlite:///")
    assert os.path.exists(path)
    status, _ = get(f"{server[0]}gradio_api/file={path}")
    assert status == 403


def test_admin_gallery_needs_the_password(server, client, store, samples):
    from gradio_client import Client

    url = server[0]
    status, body = get(f"{url}admin/config")
    assert status == 401 and "Not authenticated" in body
    status, body = get(f"{url}admin/gradio_api/info")
    assert status == 401
    status, _ = get(f"{url}admin/login", {"username": "admin", "password": "wrong"})
    assert status == 400
    with pytest.raises(Exception, match="credentials were not provided"):
        Client(f"{url}admin/", verbose=False)
    with pytest.raises(ValueError, match="Could not login"):
        Client(f"{url}admin/", auth=("admin", "wrong"), verbose=False)
    # The public app has no admin endpoints.
    assert "/corrections" not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]

    reply = feedback(client, samples / "justin.jpg", 0, "surprise")
    admin = Client(f"{url}admin/", auth=("admin", PASSWORD), verbose=False)
    gallery, text = admin.predict(api_name="/corrections")
    assert "latest corrections" in text
    captions = [item["caption"] for item in gallery]
    assert captions[0] == f"#{reply['id']}: 😄 happy -> 😲 surprise"
    assert all(" -> " in c for c in captions)  # corrections only
    from PIL import Image

    with Image.open(gallery[0]["image"]) as thumb:
        assert thumb.size == (96, 96) and thumb.mode in ("L", "RGB", "RGBA")
    *_, message, _ = admin.predict(str(reply["id"]), api_name="/delete")
    assert message == f"Deleted #{reply['id']}."
    assert reply["id"] not in [r["id"] for r in store.rows()]


@pytest.fixture
def no_admin_env():
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("EMOJI_FER_ADMIN_PASSWORD", raising=False)
        yield


def test_without_a_password_there_is_no_admin(samples, tmp_path, no_admin_env):
    from gradio_client import Client

    with demo_server("--feedback-db", f"sqlite:///{tmp_path / 'fb.sqlite3'}") as (url, _):
        for path in ("admin/", "admin/config", "admin/gradio_api/info"):
            assert get(url + path)[0] == 404, path
        status, config = get(f"{url}config")
        assert status == 200 and "Model health" in config and "it is not served" in config
        assert feedback(Client(url, verbose=False), samples / "justin.jpg", 0, "happy")["label"] == "happy"


def test_no_feedback(samples, no_admin_env):
    from gradio_client import Client

    with demo_server("--no-feedback", "--admin-password", PASSWORD) as (url, _):
        client = Client(url, verbose=False)
        assert len(predict(client, samples / "justin.jpg")["faces"]) == 1
        endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        assert "/predict" in endpoints and "/feedback" not in endpoints
        with pytest.raises(ValueError):
            feedback(client, samples / "justin.jpg", 0, "happy")
        config = get(f"{url}config")[1]
        assert "Model health" not in config and "Is the emoji right" not in config
        assert get(f"{url}admin/")[0] == 404


def test_a_store_that_cannot_be_opened_leaves_the_demo_serving(samples):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with demo_server("--feedback-db", "sqlite:////nonexistent/dir/x.db") as (url, _):
        client = Client(url, verbose=False)
        assert len(predict(client, samples / "justin.jpg")["faces"]) == 1
        config = get(f"{url}config")[1]
        # The public page says feedback is off, not where the store is (the log does).
        assert "Feedback is off" in config and "/nonexistent/dir" not in config
        with pytest.raises(AppError, match="nothing was stored: the feedback store cannot be reached"):
            feedback(client, samples / "justin.jpg", 0, "happy")


def test_store_errors_never_show_a_password():
    from emoji_fer.app.desk import FeedbackDesk

    desk = FeedbackDesk(None, "postgresql+psycopg://emoji:hunter2secret@127.0.0.1:1/db")
    assert not desk.on and "127.0.0.1" in desk.off_detail and "hunter2secret" not in desk.off_detail
    assert "127.0.0.1" not in desk.off_reason and "emoji" not in desk.off_reason  # the public text: no location


def test_webcam_and_photo_buttons(predictor, samples, tmp_path):
    """What the Live tab's and the Photo tab's buttons call (source webcam / photo)."""
    from emoji_fer.images import load_rgb
    from emoji_fer.app.desk import FeedbackDesk
    from emoji_fer.app.live_tab import live_frame
    from emoji_fer.app.photo_tab import analyze

    desk = FeedbackDesk(predictor, f"sqlite:///{tmp_path / 'fb.sqlite3'}")
    with pytest.raises(FeedbackError, match="no webcam sample yet"):
        desk.submit_webcam(None, 0, "happy")
    frame, _ = load_rgb(samples / "justin.jpg")
    session, update = live_frame(predictor, None, frame, 2.0, keep_frame=True)
    assert update["top"] and session.frame is not None
    reply = desk.submit_webcam(session, 0, None, "tab-1")  # None: confirm the top emoji of the latest sample
    assert reply["predicted"] == reply["label"] == session.result["faces"][0]["top"][0]["label"]
    _, _, shown = analyze(predictor, str(samples / "justin.jpg"))
    photo = desk.submit_image(str(samples / "justin.jpg"), 0, None, "tab-2", "photo", shown)
    assert photo["label"] == "happy"
    rows = desk.store.rows()
    assert [(r["source"], r["session_id"]) for r in rows] == [("photo", "tab-2"), ("webcam", "tab-1")]
    session.reset()
    assert session.frame is None and session.result is None
    # Without feedback the live session keeps no frame.
    session, _ = live_frame(predictor, None, frame, 2.0)
    assert session.frame is None


# --- Model health, against numbers computed by hand ---

A, B = "a" * 64, "b" * 64
DAY1 = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
DAY2 = datetime(2026, 12, 9, 12, tzinfo=timezone.utc)  # another ISO week too
# (model, predicted, given label, top-1 confidence, day)
ROWS = [(A, "happy", "happy", 0.9, DAY1), (A, "happy", "happy", 0.8, DAY1), (A, "sad", "sad", 0.6, DAY1),
        (A, "neutral", "sad", 0.7, DAY1), (B, "angry", "angry", 0.5, DAY2), (B, "fear", "surprise", 0.95, DAY2)]


def probabilities(predicted, confidence):
    rest = (1 - confidence) / (len(LABELS) - 1)
    return [confidence if label == predicted else rest for label in LABELS]


@pytest.fixture
def seeded(tmp_path):
    store = FeedbackStore(f"sqlite:///{tmp_path / 'health.sqlite3'}")
    for model, predicted, label, confidence, day in ROWS:
        store.add(np.full((48, 48, 1), 0.5, np.float32), probabilities(predicted, confidence), predicted, label,
                  model, "api", "seed", now=day)
    yield store
    store.close()


def axis(fig, title):
    return next(ax for ax in fig.axes if title in ax.get_title())


def heights(container):
    return [patch.get_height() for patch in container]


def test_model_health_figures(seeded):
    from emoji_fer.feedback.health import reference_mix
    from emoji_fer.app.desk import health_view

    # A reference mix equal to model A's predicted mix (happy 2, sad 1, neutral 1 of 4).
    confusion = np.zeros((7, 7), int)
    for label, n in (("happy", 2), ("sad", 1), ("neutral", 1)):
        confusion[LABELS.index(label), LABELS.index(label)] = n
    reference = reference_mix({"labels": LABELS, "metrics": {"PrivateTest": {"confusion": confusion.tolist()}}})
    view = health_view(seeded, reference, model=A, by="day", served_sha256=A)
    rep, figs = view["report"], view["figures"]

    # 3 of 4 confirmed.
    assert rep["n"] == 4 and rep["accuracy"] == 0.75 and rep["correction_rate"] == 0.25
    assert "accuracy **75.0%**" in view["summary"] and "correction rate **25.0%**" in view["summary"]
    accuracy, corrections = axis(figs["over_time"], "Accuracy and correction rate").lines[:2]
    assert list(accuracy.get_ydata()) == [0.75] and list(corrections.get_ydata()) == [0.25]

    # Confusion (given x predicted): happy->happy 2, sad->sad 1, sad->neutral 1.
    expected = np.zeros((7, 7), int)
    expected[3, 3], expected[4, 4], expected[4, 6] = 2, 1, 1
    heatmap = axis(figs["confusion"], "Confusion matrix").images[0]
    assert np.array_equal(np.asarray(heatmap.get_array()), expected)
    # Precision happy 2/2, sad 1/1, neutral 0/1; recall happy 2/2, sad 1/2; the rest undefined (no bar).
    precision, recall = axis(figs["confusion"], "Per class").containers  # horizontal bars
    assert [bar.get_width() for bar in precision] == pytest.approx([0, 0, 0, 1, 1, 0, 0])
    assert [bar.get_width() for bar in recall] == pytest.approx([0, 0, 0, 1, 0.5, 0, 0])
    assert rep["per_class"]["neutral"] == {"precision": 0.0, "recall": None, "support": 0}

    # Calibration: bins 0.6 (correct), 0.7 (wrong), 0.8 (correct), 0.9 (correct);
    # ECE = (|1 - .6| + |0 - .7| + |1 - .8| + |1 - .9|) / 4 = 0.35.
    cal = rep["calibration"]
    assert cal["ece"] == pytest.approx(0.35) and cal["mean_confidence"] == pytest.approx(0.75)
    reliability = axis(figs["calibration"], "Calibration")
    assert heights(reliability.containers[0]) == [1.0, 0.0, 1.0, 1.0]
    assert "ECE 0.350" in reliability.get_title() and "mean top-1 confidence 75.0%" in reliability.get_title()

    # Identical mixes: Jensen-Shannon distance 0.
    assert rep["mix"]["js_distance"] == pytest.approx(0.0, abs=1e-7)
    mix = axis(figs["mix"], "Predicted-label mix")
    feedback_bars, reference_bars = mix.containers
    assert heights(feedback_bars) == pytest.approx([0, 0, 0, 0.5, 0.25, 0, 0.25])
    assert heights(reference_bars) == pytest.approx(heights(feedback_bars))
    assert "Jensen-Shannon distance to FER-2013 PrivateTest: 0.000" in mix.get_title()

    # Every model, by ISO week: 4 of 6 correct; the model picker newest first, with counts.
    view = health_view(seeded, reference, model="all", by="week", served_sha256=A)
    assert view["report"]["accuracy"] == pytest.approx(4 / 6)
    assert view["choices"] == [("all models (6 rows)", "all"), (f"{B[:12]} (2 rows)", B),
                               (f"{A[:12]} (4 rows, served now)", A)]
    over_time = axis(view["figures"]["over_time"], "by week")
    assert list(over_time.lines[0].get_ydata()) == [0.75, 0.5]
    assert [t.get_text() for t in over_time.get_xticklabels()] == ["2026-W49", "2026-W50"]


def test_model_health_with_no_rows(tmp_path):
    from emoji_fer.app.desk import health_view

    store = FeedbackStore(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    view = health_view(store)
    assert view["report"]["n"] == 0 and view["summary"].startswith("No feedback yet")
    for fig in view["figures"].values():
        assert any("No feedback yet" in t.get_text() for ax in fig.axes for t in ax.texts)
    store.close()


def test_a_store_that_fails_later_is_a_clear_error(tmp_path):
    from emoji_fer.app.desk import FeedbackDesk, delete_row, health_view

    store = FeedbackStore(f"sqlite:///{tmp_path / 'gone.sqlite3'}")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE feedback")
    with pytest.raises(StoreUnavailable, match="could not read sqlite:///"):
        health_view(store)
    with pytest.raises(StoreUnavailable):
        delete_row(store, 1)
    with pytest.raises(FeedbackError, match="select a face"):
        delete_row(store, None)
    store.close()
    off = FeedbackDesk(None, enabled=False)
    with pytest.raises(StoreUnavailable, match="feedback is off"):
        off.health()
