"""End to end: the demo's timeline endpoints through gradio_client, as an API user calls
them: /video (same rows as the CLI), bad videos (clear errors, the server keeps serving),
and /live under a burst of frames from several clients (every call answered, sessions
kept apart, the rate applied, memory bounded)."""

import threading
import time

import cv2
import pytest

from emoji_fer.labels import LABELS
from tests.conftest import check_woman2_rows, demo_server, read_rows

pytestmark = pytest.mark.slow  # the demo served, videos and webcam bursts

CLIENTS, FRAMES = 8, 50
RATE = 0.5  # Hz: most frames of the burst arrive before a sample is due and are not classified
# Bound on the server's RSS growth over the burst, after a warm-up: well above what a
# burst adds (allocator arenas of Gradio's worker threads, Gradio's per-session copies of
# the outputs; our per-session state is 80 bytes a sample; figures in docs/benchmarks.md),
# well below a leak of the frames: keeping them would add 0.6 MB each (596x336 RGB),
# 240 MB for the 400 frames: caught.
RSS_GROWTH_MB = 120


@pytest.fixture(scope="module")
def server(samples, woman2):
    with demo_server() as (url, proc):
        yield url, proc.pid


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[0], verbose=False)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def test_video_api_gives_the_cli_rows(client, woman2, cli_rows):
    from gradio_client import handle_file

    start = time.monotonic()
    plot, summary, csv_path, annotated = client.predict(handle_file(str(woman2)), 2, False, 0, api_name="/video")
    elapsed = time.monotonic() - start
    api_rows = read_rows(open(csv_path, encoding="utf-8").read())
    check_woman2_rows(api_rows)
    cli = read_rows(cli_rows[1])
    assert [r["time_s"] for r in api_rows] == [r["time_s"] for r in cli]
    for a, c in zip(api_rows, cli):
        assert a["faces"] == c["faces"]
        assert max(abs(a[label] - c[label]) for label in LABELS) < 1e-4
    assert "Dominant expression" in summary and "31 samples" in summary and annotated is None
    assert plot["columns"] == ["time_s", "expression", "probability"] and len(plot["data"]) == 31 * 7
    print(f"/video woman2.mp4 at 2 Hz: {elapsed:.1f} s")


def test_bad_videos_get_clear_errors_and_the_server_keeps_serving(client, woman2, samples, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    whole = woman2.read_bytes()
    bad = {"truncated.mp4": (whole[: len(whole) // 3], "cannot decode"),
           "garbage.mp4": (bytes(range(256)) * 64, "not a video file"),
           "empty.mp4": (b"", "empty file")}
    for name, (data, message) in bad.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(AppError) as err:
            client.predict(handle_file(str(tmp_path / name)), 2, False, 0, api_name="/video")
        text = str(err.value)
        assert name in text and message in text and "/tmp/" not in text, text
        _, _, result = client.predict(handle_file(str(samples / "justin.jpg")), api_name="/predict")
        assert len(result["faces"]) == 1  # still answers


@pytest.fixture(scope="module")
def frames(woman2, tmp_path_factory):
    """FRAMES JPEGs spread over woman2.mp4 (one face each)."""
    folder = tmp_path_factory.mktemp("frames")
    cap = cv2.VideoCapture(str(woman2))
    paths, index = [], 0
    while len(paths) < FRAMES:
        ok, bgr = cap.read()
        assert ok
        if index % 9 == 0:
            paths.append(folder / f"{len(paths):02d}.jpg")
            cv2.imwrite(str(paths[-1]), bgr)
        index += 1
    cap.release()
    return paths


def burst(url, frames, no_face, clients):
    """`clients` gradio_client sessions at once, each sending its frames to /live as fast as
    the answers come (odd clients send a photo with no face), then fetching its CSV.
    Returns ({client: (answers, csv text)}, errors, seconds)."""
    from gradio_client import Client, handle_file

    results, errors = {}, []

    def run(i):
        try:
            c = Client(url, verbose=False)
            answers = [c.predict(handle_file(str(no_face if i % 2 else f)), RATE, 0, api_name="/live") for f in frames]
            results[i] = (answers, open(c.predict(api_name="/live_csv"), encoding="utf-8").read())
        except Exception as err:  # noqa: BLE001 - reported by the test
            errors.append(f"client {i}: {err!r}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    return results, errors, time.monotonic() - start


def test_live_burst_from_several_clients(server, frames, samples):
    url, pid = server
    no_face = samples / "no-faces.jpg"
    _, errors, _ = burst(url, frames[:10], no_face, 2)  # warm-up: threads, sessions, first plots
    assert not errors, errors
    before = rss_mb(pid)
    results, errors, elapsed = burst(url, frames, no_face, CLIENTS)
    growth = rss_mb(pid) - before
    print(f"/live burst {CLIENTS} x {FRAMES}: {elapsed:.0f} s, RSS {before:.0f} MB -> +{growth:.1f} MB")
    assert not errors, errors
    assert sorted(results) == list(range(CLIENTS))
    for i, (answers, text) in results.items():
        assert len(answers) == FRAMES  # every call answered
        rows = read_rows(text)
        # Server-side rate: at most one sample per 1 / RATE s of the burst (plus the first).
        assert 1 <= len(rows) <= elapsed * RATE + 2, (i, len(rows), elapsed)
        times = [r["time_s"] for r in rows]
        assert all(b - a >= 0.5 / RATE for a, b in zip(times, times[1:]))  # see LiveSession.record
        # Sessions are kept apart: face clients only have face rows, no-face clients none.
        assert {r["faces"] for r in rows} == ({0} if i % 2 else {1}), i
    assert growth < RSS_GROWTH_MB, f"server RSS grew {growth:.0f} MB over the burst"


def test_live_reset_and_csv(client, frames):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    client.reset_session()
    top, plot, summary = client.predict(handle_file(str(frames[0])), 2, 0, api_name="/live")
    assert top["label"] and "1 samples" in summary and len(plot["data"]) == 7
    rows = read_rows(open(client.predict(api_name="/live_csv"), encoding="utf-8").read())
    assert len(rows) == 1 and rows[0]["time_s"] == 0.0 and rows[0]["faces"] == 1
    client.predict(api_name="/live_reset")
    with pytest.raises(AppError, match="no samples yet"):
        client.predict(api_name="/live_csv")
