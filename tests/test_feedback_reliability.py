"""Reliability of the demo's /feedback, end to end through gradio_client:
16 concurrent clients x 50 posts against one SQLite store served by two demo replicas
(every row there, no "database is locked" reaching a user), and a replica killed with
SIGKILL in the middle of a stream of posts (every answered post survives the restart)."""

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from emoji_fer.feedback import FeedbackStore
from tests.conftest import demo_server

pytestmark = pytest.mark.slow  # demo replicas under load, SIGKILL

CLIENTS, POSTS = 16, 50


def post(client, photo, label="happy"):
    from gradio_client import handle_file

    return client.predict(handle_file(str(photo)), 0, label, api_name="/feedback")


def test_16_clients_x_50_posts_on_two_replicas_sharing_sqlite(samples, tmp_path):
    from gradio_client import Client

    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    photos = [samples / "justin.jpg", samples / "sample1.jpg"]
    with demo_server("--feedback-db", url) as (first, _), demo_server("--feedback-db", url) as (second, _):
        def client_run(k):
            client = Client(first if k % 2 else second, verbose=False)
            answers, errors = [], []
            for i in range(POSTS):
                try:
                    answers.append(post(client, photos[i % 2], "surprise" if i % 3 else "happy"))
                except Exception as err:  # what a user would see
                    errors.append(str(err))
            return answers, errors

        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(client_run, range(CLIENTS)))
    errors = [e for _, errs in results for e in errs]
    assert errors == [], errors[:3]
    answered = {a["id"]: a for answers, _ in results for a in answers}
    assert len(answered) == CLIENTS * POSTS  # distinct ids, one per post
    store = FeedbackStore(url)
    rows = {r["id"]: r for r in store.rows()}
    assert len(rows) == CLIENTS * POSTS
    assert all(rows[i]["label"] == a["label"] and rows[i]["predicted"] == a["predicted"] for i, a in answered.items())
    assert {r["source"] for r in rows.values()} == {"api"}
    print(f"\n{CLIENTS} clients x {POSTS} posts on 2 replicas: {len(answered)} answered, {len(rows)} rows, "
          f"{len(errors)} errors")


def test_every_answered_post_survives_sigkill(samples, tmp_path):
    from gradio_client import Client

    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    answered, stop = [], threading.Event()
    with demo_server("--feedback-db", url) as (base, proc):
        def stream(k):
            client = Client(base, verbose=False)
            while not stop.is_set():
                try:
                    answered.append(post(client, samples / "justin.jpg", "happy" if k % 2 else "sad"))
                except Exception:  # the server died mid-call: that post was never answered
                    return

        threads = [threading.Thread(target=stream, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        while len(answered) < 40 and all(t.is_alive() for t in threads):
            threading.Event().wait(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # no shutdown, no flush: as a crash or an OOM kill
        proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert len(answered) >= 40
    with demo_server("--feedback-db", url) as (base, _):  # restart on the same store
        after = post(Client(base, verbose=False), samples / "justin.jpg")
    rows = {r["id"]: r for r in FeedbackStore(url).rows()}
    missing = [a["id"] for a in answered if a["id"] not in rows]
    assert missing == [], f"{len(missing)} answered posts lost"
    assert all(rows[a["id"]]["label"] == a["label"] for a in answered)
    assert after["id"] in rows and after["id"] > max(a["id"] for a in answered)
    print(f"\nSIGKILL: {len(answered)} posts answered before the kill, all {len(answered)} in the store after the "
          f"restart ({len(rows)} rows in all, the restarted server's post included)")


@pytest.mark.parametrize("bad", ["missing-dir", "bad-url"])
def test_the_demo_serves_when_the_store_cannot_be_opened(samples, tmp_path, bad):
    from gradio_client import Client, handle_file

    url = {"missing-dir": f"sqlite:///{tmp_path / 'nope' / 'fb.sqlite3'}", "bad-url": "nonsense://x"}[bad]
    with demo_server("--feedback-db", url) as (base, _):
        client = Client(base, verbose=False)
        _, _, result = client.predict(handle_file(str(samples / "justin.jpg")), api_name="/predict")
        assert result["faces"][0]["top"][0]["label"] == "happy"
        with pytest.raises(Exception, match="(?i)nothing was stored: the feedback store cannot be reached"):
            post(client, samples / "justin.jpg")
    assert not (tmp_path / "nope").exists()  # nothing was created on the way


def test_two_replicas_share_one_postgresql_store(samples, postgres_db):
    """How the demo scales past one machine: replicas on one PostgreSQL store, end to end."""
    from gradio_client import Client

    with demo_server("--feedback-db", postgres_db) as (first, _), demo_server("--feedback-db", postgres_db) as (second, _):
        clients = [Client(first, verbose=False), Client(second, verbose=False)]
        answers = [post(clients[i % 2], samples / "justin.jpg", "happy" if i % 2 else "neutral") for i in range(10)]
        with pytest.raises(Exception, match="(?i)label"):
            post(clients[0], samples / "justin.jpg", "joy")  # stores nothing
    rows = {r["id"]: r for r in FeedbackStore(postgres_db).rows(with_crops=True)}
    assert sorted(rows) == sorted(a["id"] for a in answers)
    for a in answers:
        row = rows[a["id"]]
        assert (row["predicted"], row["label"]) == (a["predicted"], a["label"]) == ("happy", a["label"])
        assert row["source"] == "api" and len(row["probabilities"]) == 7 and row["crop_png"][:4] == b"\x89PNG"
