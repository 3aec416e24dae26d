"""emoji_fer.feedback.FeedbackStore on both of its backends: a SQLite file, and a real
PostgreSQL server (the session's throwaway cluster, tests/conftest.py postgres_url; each
test gets a fresh empty database of its own). Without PostgreSQL installed the SQLite half
still runs and the PostgreSQL half skips; in CI (CI=true) it fails instead."""

import io
import os
import re
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from emoji_fer.feedback import FeedbackError, FeedbackStore, StoreUnavailable, png_pixels
from emoji_fer.labels import LABELS
from emoji_fer.preprocessing import scale
from tests.conftest import free_port

UTC = timezone.utc
SHA = "ab" * 32  # a model's hex SHA-256
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A new, empty store's URL on each backend (the PostgreSQL one started only when asked)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    return request.getfixturevalue("postgres_db")


@pytest.fixture
def store(store_url):
    opened = FeedbackStore(store_url)
    yield opened
    opened.close()


def face_pixels(seed=0):
    """(48, 48) uint8 holding every value 0..255 at least once, shuffled."""
    values = np.arange(48 * 48) % 256
    return np.random.default_rng(seed).permutation(values).astype(np.uint8).reshape(48, 48)


def probabilities(seed=0):
    logits = np.random.default_rng(seed).normal(size=len(LABELS))
    return [float(p) for p in np.exp(logits) / np.exp(logits).sum()]


def add(store, **changes):
    """store.add with valid arguments, some of them changed."""
    args = {"crop": scale(face_pixels())[..., None], "probabilities": probabilities(), "predicted": "happy",
            "label": "happy", "model_sha256": SHA, "source": "photo"}
    return store.add(**{**args, **changes})


def test_round_trip_keeps_crop_bit_exact_and_probabilities_and_utc_time(store):
    pixels, probs = face_pixels(seed=1), probabilities(seed=1)
    before = datetime.now(UTC)
    corrected = store.add(scale(pixels)[..., None], probs, predicted="happy", label="sad", model_sha256=SHA,
                          source="webcam", session_id="s-1")
    confirmed = add(store, model_sha256="cd" * 32, source="api")
    after = datetime.now(UTC)
    assert isinstance(corrected, int) and isinstance(confirmed, int) and corrected != confirmed
    assert store.count() == 2

    rows = store.rows()
    assert [r["id"] for r in rows] == [confirmed, corrected]  # newest first
    assert "crop_png" not in rows[0]
    row = store.rows(with_crops=True)[1]
    assert {k: row[k] for k in ("id", "model_sha256", "source", "session_id", "predicted", "label")} == {
        "id": corrected, "model_sha256": SHA, "source": "webcam", "session_id": "s-1", "predicted": "happy",
        "label": "sad"}
    assert rows[0]["session_id"] == ""  # none given

    crop = row["crop_png"]
    assert isinstance(crop, bytes) and crop.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(crop)) as im:
        assert im.format == "PNG" and im.size == (48, 48) and im.mode == "L"
    assert png_pixels(crop).dtype == np.uint8
    np.testing.assert_array_equal(png_pixels(crop), pixels)  # bit-exact: every value 0..255 occurs

    assert len(row["probabilities"]) == 7 and all(type(p) is float for p in row["probabilities"])
    assert row["probabilities"] == probs  # exactly, not approximately

    for r in store.rows():
        assert r["created_at"].tzinfo is not None and r["created_at"].utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= r["created_at"] <= after + timedelta(seconds=1)

    assert [r["id"] for r in store.rows(corrections_only=True)] == [corrected]
    assert [r["id"] for r in store.rows(model_sha256=SHA)] == [corrected]
    assert [r["id"] for r in store.rows(limit=1)] == [confirmed]


def test_bad_input_raises_feedback_error_and_stores_nothing(store):
    bad = [({"label": "happyish"}, "label 'happyish'"), ({"predicted": "Happy"}, "predicted 'Happy'"),
           ({"source": "email"}, "source 'email'"), ({"source": None}, "source None"),
           ({"probabilities": probabilities()[:6]}, "expected 7 probabilities in [0, 1], got 6 values"),
           ({"probabilities": probabilities() + [0.0]}, "expected 7 probabilities in [0, 1], got 8 values"),
           ({"probabilities": []}, "expected 7 probabilities in [0, 1], got 0 values")]
    for changes, message in bad:
        with pytest.raises(FeedbackError, match=re.escape(message)):
            add(store, **changes)
    assert store.count() == 0 and store.rows() == []
    add(store)  # the store still works
    assert store.count() == 1


def test_delete_removes_exactly_the_given_ids(store):
    ids = [add(store, session_id=f"s{i}") for i in range(5)]
    assert store.delete([ids[1], ids[3]]) == 2
    assert {r["id"] for r in store.rows()} == {ids[0], ids[2], ids[4]}
    assert store.delete(ids[0]) == 1  # one id, not a list
    assert store.delete([ids[1]]) == 0  # already gone
    assert store.delete([]) == 0
    assert sorted(r["id"] for r in store.rows()) == [ids[2], ids[4]]
    assert store.count() == 2


def test_purge_removes_exactly_the_rows_created_before(store):
    now = datetime(2026, 6, 1, 12, 0, 0, tzinfo=UTC)
    cutoff = now - timedelta(days=7)
    times = {"30 days": now - timedelta(days=30), "10 days": now - timedelta(days=10),
             "1 ms before": cutoff - timedelta(milliseconds=1), "at": cutoff, "1 day": now - timedelta(days=1),
             "now": now}
    ids = {name: add(store, now=t) for name, t in times.items()}
    assert {r["id"]: r["created_at"] for r in store.rows()} == {ids[n]: t for n, t in times.items()}

    assert store.purge(before=cutoff) == 3
    assert {r["id"] for r in store.rows()} == {ids["at"], ids["1 day"], ids["now"]}  # `before` is exclusive
    assert store.purge(before=cutoff) == 0

    naive = (now - timedelta(hours=12)).replace(tzinfo=None)  # naive means UTC
    assert store.purge(before=naive) == 2
    assert [r["id"] for r in store.rows()] == [ids["now"]]
    assert store.count() == 1


def test_schema_comes_from_alembic_and_reopening_is_fine(store_url):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import emoji_fer.feedback

    config = Config()
    config.set_main_option("script_location", str(Path(emoji_fer.feedback.__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head == "0001"

    first = FeedbackStore(store_url)
    row = add(first)
    first.close()
    second = FeedbackStore(store_url)  # upgrade to head again: nothing to do, nothing lost
    third = FeedbackStore(store_url)  # while the second is open
    assert [r["id"] for r in second.rows()] == [row] and third.count() == 1
    second.close()
    third.close()

    engine = create_engine(store_url)  # look from outside the store
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [(head,)]
        schema = inspect(engine)
        assert {"feedback", "alembic_version"} <= set(schema.get_table_names())
        assert {i["name"] for i in schema.get_indexes("feedback")} >= {"ix_feedback_created_at",
                                                                        "ix_feedback_model_sha256"}
    finally:
        engine.dispose()


def unavailable(url, *secrets):
    """FeedbackStore(url) must raise StoreUnavailable; its message and its whole traceback
    must show none of `secrets`. Returns the message."""
    with pytest.raises(StoreUnavailable) as caught:
        FeedbackStore(url)
    shown = "".join(traceback.format_exception(caught.value))
    for secret in secrets:
        assert secret not in shown
    return str(caught.value)


def test_sqlite_folder_that_does_not_exist(tmp_path):
    folder = tmp_path / "missing"
    message = unavailable(f"sqlite:///{folder / 'feedback.sqlite3'}")
    assert "does not exist" in message and str(folder) in message
    assert not folder.exists()  # not created behind the user's back


def test_sqlite_read_only_folder(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root (as CI does), whom a folder's mode does not stop; "
                    "test_sqlite_place_root_cannot_write_either covers it for root too")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "unable to open database file" in unavailable(f"sqlite:///{folder / 'feedback.sqlite3'}")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.parametrize("place", ["folder in /proc", "path is a folder"])
def test_sqlite_place_root_cannot_write_either(tmp_path, place):
    # Places no user, root included, can open a database file at: a file in /proc (a
    # kernel filesystem where nobody can create files), a path that is a folder.
    if place == "folder in /proc":
        path = Path("/proc") / f"emoji-fer-feedback-{os.getpid()}.sqlite3"
    else:
        path = tmp_path / "feedback.sqlite3"
        path.mkdir()
    assert "unable to open database file" in unavailable(f"sqlite:///{path}")


BAD_URLS = {
    "no URL at all": "not a url hunter2",
    "unknown dialect": "nosuchdialect://emoji:hunter2@127.0.0.1/feedback",
    "port out of range": "postgresql+psycopg://emoji:hunter2@127.0.0.1:99999/feedback",
    "port not a number": "postgresql+psycopg://emoji:hunter2@127.0.0.1:notaport/feedback",
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_bad_url(url):
    unavailable(url, "hunter2")


def test_postgres_port_nobody_listens_on():
    password = "s3cret-never-shown"
    message = unavailable(f"postgresql+psycopg://emoji:{password}@127.0.0.1:{free_port()}/feedback", password)
    assert "emoji:***@127.0.0.1" in message  # which store, without the password


def test_postgres_wrong_password(postgres_url):
    url = make_url(postgres_url)
    wrong = "wrong-" + url.password
    message = unavailable(url.set(password=wrong).render_as_string(hide_password=False), wrong, url.password)
    assert "password authentication failed" in message


def test_failed_write_raises_store_unavailable_without_the_password(store):
    add(store)
    engine = create_engine(store.url)  # the table goes away behind the store's back
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))
    engine.dispose()
    with pytest.raises(StoreUnavailable) as caught:
        add(store)
    shown = "".join(traceback.format_exception(caught.value))
    password = make_url(store.url).password
    assert "feedback" in str(caught.value)
    if password:
        assert password not in shown and "***" in str(caught.value)


def test_concurrent_adds_all_land(store_url):
    """16 threads x 50 add calls on one store at once: every row there, no exception."""
    threads_n, per_thread = 16, 50
    store = FeedbackStore(store_url)
    if store_url.startswith("sqlite"):
        with store.engine.connect() as connection:  # what lets the writers wait for each other
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    start = threading.Barrier(threads_n)
    errors, ids, lock = [], [], threading.Lock()
    crop = scale(face_pixels())[..., None]

    def work(n):
        try:
            start.wait(timeout=60)  # all threads begin together
            for i in range(per_thread):
                new = store.add(crop, probabilities(i), LABELS[i % 7], LABELS[n % 7], SHA, "api",
                                session_id=f"thread-{n}")
                with lock:
                    ids.append(new)
        except BaseException as err:  # noqa: BLE001 - reported below, whatever it is
            with lock:
                errors.append(f"thread {n}: {type(err).__name__}: {err}")

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=300)
        assert not any(worker.is_alive() for worker in workers), "a writer hung"
        assert errors == []
        assert len(ids) == len(set(ids)) == threads_n * per_thread
        assert store.count() == threads_n * per_thread
        rows = store.rows()
        assert {r["id"] for r in rows} == set(ids)
        assert Counter(r["session_id"] for r in rows) == {f"thread-{n}": per_thread for n in range(threads_n)}
    finally:
        store.close()


# SQLite's DateTime keeps no offset and PostgreSQL answers in the session's time zone:
# the store converts to UTC both ways, so the instant is the same on both.
@pytest.mark.parametrize("store_url", ["sqlite", "postgresql"], indirect=True)
def test_now_in_another_time_zone_keeps_its_instant(store):
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    add(store, now=now)
    assert store.rows()[0]["created_at"] == now


def test_postgres_server_in_another_time_zone_still_gives_utc(postgres_db):
    url = make_url(postgres_db)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"ALTER DATABASE {url.database} SET timezone = 'America/New_York'"))
    engine.dispose()
    store = FeedbackStore(postgres_db)
    try:
        add(store, now=datetime(2026, 1, 1, 12, 0))  # naive: UTC
        created = store.rows()[0]["created_at"]
        assert created.utcoffset() == timedelta(0)
        assert created == datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    finally:
        store.close()


@pytest.mark.parametrize("bad", [
    {"probabilities": [float("nan")] + [0.1] * 6}, {"probabilities": ["a"] * 7}, {"probabilities": [2.0] + [0.0] * 6},
    {"crop": np.zeros((47, 48), np.float32)}, {"crop": np.full((48, 48), 1.5, np.float32)},
    {"model_sha256": "f" * 65}, {"model_sha256": "not hex" + "0" * 57}])
def test_bad_values_are_refused_the_same_on_every_backend(store, bad):
    good = dict(crop=np.zeros((48, 48, 1), np.float32), probabilities=[1 / 7] * 7, predicted="happy", label="happy",
                model_sha256="0" * 64, source="photo")
    with pytest.raises(FeedbackError):
        store.add(**{**good, **bad})
    assert store.count() == 0


def test_stores_opened_by_many_threads_at_once(tmp_path):
    """Alembic's context is one per process: concurrent opens migrate one after the other."""
    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    with ThreadPoolExecutor(8) as pool:
        stores = list(pool.map(lambda _: FeedbackStore(url), range(8)))
    assert all(s.count() == 0 for s in stores)
    for s in stores:
        s.close()


def test_in_memory_sqlite_is_refused():
    for url in ("sqlite:///", "sqlite://", "sqlite:///:memory:"):
        with pytest.raises(StoreUnavailable, match="needs a file"):
            FeedbackStore(url)
