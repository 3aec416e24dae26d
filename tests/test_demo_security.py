"""The demo as it is served to the public (demo.py, the Space's entry point), probed as an
attacker would: raw HTTP calls to every endpoint, not through the page or gradio_client.

Each probe asserts that the request is refused, that nothing is stored and nothing leaks
(no copy of a server file in the served cache folder, no credential in a reply or in the
page), and that the server answers a good request straight after. docs/security.md lists
what is public and what is admin-only, and the limits these tests hold.
"""

import base64
import io
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import demo_server, free_port

pytestmark = pytest.mark.slow  # the demo served, probed

httpx = pytest.importorskip("httpx")

ADMIN_PASSWORD = "correct-horse-battery"
FILE = {"_type": "gradio.FileData"}
# What each endpoint that takes a file receives besides the file (gr.State inputs are not sent).
FILE_ENDPOINTS = {
    "predict": lambda f: [f],
    "feedback": lambda f: [f, 0, "sad"],
    "live": lambda f: [f, 4, 0],
    "video": lambda f: [f, 2, False, 0],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory, samples):
    """The demo with a SQLite store and an admin password, its Gradio cache in a folder of
    the test's (to look for copies of server files); yields a dict of what the tests need."""
    root = tmp_path_factory.mktemp("served")
    cache = root / "gradio-cache"
    secret = root / "private" / "server-photo.jpg"  # on the server, never uploaded
    secret.parent.mkdir()
    # A photo of its own (re-encoded), so that no example photo has the same bytes.
    Image.open(samples / "justin.jpg").save(secret, quality=91)
    db = root / "store" / "feedback.sqlite3"
    db.parent.mkdir()
    env = {"GRADIO_TEMP_DIR": str(cache), "EMOJI_FER_FEEDBACK_DB": f"sqlite:///{db}",
           "EMOJI_FER_ADMIN_PASSWORD": ADMIN_PASSWORD}
    with demo_server(env=env) as (url, proc):
        with httpx.Client(base_url=url, timeout=60) as http:
            yield {"url": url, "pid": proc.pid, "http": http, "cache": cache, "secret": secret, "db": db,
                   "samples": samples}


# --- helpers ---

def call(http, api, data, prefix="", timeout=60):
    """POST /gradio_api/call/<api>, then read its event stream: ("complete" | "error" |
    the HTTP status as a string, the parsed data or the reply's text)."""
    reply = http.post(f"{prefix}/gradio_api/call/{api}", json={"data": data}, timeout=timeout)
    if reply.status_code != 200:
        return str(reply.status_code), reply.text
    event_id = reply.json()["event_id"]
    kind, payload = None, None
    with http.stream("GET", f"{prefix}/gradio_api/call/{api}/{event_id}", timeout=timeout) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind in ("complete", "error"):
                text = line.removeprefix("data: ")
                try:
                    payload = json.loads(text)
                except ValueError:
                    payload = text
                break
    return kind, payload


def upload(http, name, data, prefix=""):
    """Upload like the page does; returns the FileData to pass to an endpoint."""
    reply = http.post(f"{prefix}/gradio_api/upload", files={"files": (name, data)})
    assert reply.status_code == 200, reply.text
    return {"path": reply.json()[0], "orig_name": name, "meta": FILE}


def rows(db):
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT count(*) FROM feedback").fetchone()[0]


def copies_in(folder, *originals):
    """Files under `folder` whose bytes equal one of `originals` (paths or bytes)."""
    wanted = {o if isinstance(o, bytes) else Path(o).read_bytes() for o in originals}
    return [p for p in Path(folder).rglob("*") if p.is_file() and p.read_bytes() in wanted]


def still_serving(served):
    """A good request right after a probe gets its answer."""
    photo = upload(served["http"], "justin.jpg", (served["samples"] / "justin.jpg").read_bytes())
    kind, out = call(served["http"], "predict", [photo])
    assert kind == "complete", out
    assert out[2]["faces"][0]["top"][0]["label"] == "happy"


def memory_mb(pid, field):
    """VmRSS (now) or VmHWM (peak since the last reset) of a process, MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def reset_peak(pid):
    # Linux: writing 5 to clear_refs resets VmHWM to the current RSS (proc(5)).
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def png(mode, size):
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, "PNG")
    return buf.getvalue()


# --- 1. files that were never uploaded ---

def server_paths(served):
    return {"photo on the server": str(served["secret"]), "feedback database": str(served["db"]),
            "database WAL": f"{served['db']}-wal", "process environment": "/proc/self/environ",
            "/etc/passwd": "/etc/passwd", "missing file": "/no/such/file.jpg", "a device": "/dev/zero",
            "a folder": "/etc", "loopback URL": f"{served['url']}gradio_api/info",
            "relative path": "../../etc/passwd"}


@pytest.mark.parametrize("api", FILE_ENDPOINTS)
def test_server_files_are_refused_on_every_file_input(served, api):
    before = rows(served["db"])
    answers = {}
    for what, path in server_paths(served).items():
        kind, out = call(served["http"], api, FILE_ENDPOINTS[api]({"path": path, "meta": FILE}), timeout=30)
        assert kind != "complete", f"{what}: {path} was accepted by /{api}: {str(out)[:300]}"
        answers[what] = json.dumps(out)
        for secret in (path, Path(path).name, ADMIN_PASSWORD):
            assert secret not in answers[what], f"{what}: the reply names {secret!r}"
    # No oracle: whether the file exists, is an image or is a device, the reply is the same.
    assert len(set(answers.values())) == 1, answers
    copies = copies_in(served["cache"], served["secret"], served["db"], "/etc/passwd",
                       f"/proc/{served['pid']}/environ")
    assert not copies, f"server files copied into the served cache: {copies}"
    assert rows(served["db"]) == before
    still_serving(served)


def test_uploaded_files_are_still_accepted(served):
    """The guard refuses server paths, not the client's own uploads."""
    photo = upload(served["http"], "justin.jpg", (served["samples"] / "justin.jpg").read_bytes())
    kind, out = call(served["http"], "live", [photo, 4, 0])
    assert kind == "complete", out
    video = upload(served["http"], "woman2.mp4", (served["samples"] / "woman2.mp4").read_bytes())
    kind, out = call(served["http"], "video", [video, 0.5, False, 0], timeout=300)
    assert kind == "complete", out


# --- 2. decompression bombs, and the memory budget ---

BOMB = (12000, 12000)  # 144 megapixels: a 1-bit PNG of 30-odd KB


@pytest.mark.parametrize("api", ["live", "predict", "feedback"])
def test_a_decompression_bomb_is_refused_before_it_is_decoded(served, api):
    from emoji_fer.images import MAX_PIXELS

    bomb = png("1", BOMB)
    assert len(bomb) < 100_000 and BOMB[0] * BOMB[1] > MAX_PIXELS
    before = rows(served["db"])
    reset_peak(served["pid"])
    start = memory_mb(served["pid"], "VmRSS")
    kind, out = call(served["http"], api, FILE_ENDPOINTS[api](upload(served["http"], "bomb.png", bomb)))
    assert kind == "error" and "too large" in str(out), out
    assert memory_mb(served["pid"], "VmHWM") - start < 100, "the bomb was decoded"
    assert rows(served["db"]) == before
    still_serving(served)


def test_a_bomb_as_a_data_url_is_refused_too(served):
    """The page's webcam stream sends frames as data URLs, not uploads."""
    bomb = "data:image/png;base64," + base64.b64encode(png("1", BOMB)).decode()
    reset_peak(served["pid"])
    start = memory_mb(served["pid"], "VmRSS")
    kind, out = call(served["http"], "live", [{"url": bomb, "path": None, "meta": FILE}, 4, 0])
    assert kind == "error" and "too large" in str(out), out
    assert memory_mb(served["pid"], "VmHWM") - start < 100
    still_serving(served)


def concurrently(n, fn):
    results = [None] * n

    def run(i):
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def test_four_concurrent_bombs_and_four_largest_images_stay_in_the_memory_budget(served):
    from emoji_fer.images import MAX_PIXELS
    from emoji_fer.app.limits import MEMORY_BUDGET_MB

    http, pid = served["http"], served["pid"]
    bombs = [upload(http, f"bomb{i}.png", png("1", BOMB)) for i in range(4)]
    reset_peak(pid)
    answers = concurrently(4, lambda: call(http, "live", [bombs.pop(), 4, 0]))
    bomb_peak = memory_mb(pid, "VmHWM")
    assert all(kind == "error" and "too large" in str(out) for kind, out in answers), answers
    # The largest image accepted, in the format that costs the most to decode (RGBA:
    # 4 bytes a pixel decoded), at the side that keeps it just within the pixel cap.
    side = int(MAX_PIXELS ** 0.5)
    largest = [upload(http, f"largest{i}.png", png("RGBA", (side, side))) for i in range(4)]
    reset_peak(pid)
    answers = concurrently(4, lambda: call(http, "predict", [largest.pop()]))
    largest_peak = memory_mb(pid, "VmHWM")
    assert all(kind == "complete" for kind, _ in answers), answers
    print(f"\npeak RSS: 4 concurrent bombs {bomb_peak:.0f} MB, 4 concurrent {side}x{side} RGBA PNGs "
          f"{largest_peak:.0f} MB; budget {MEMORY_BUDGET_MB} MB")
    assert bomb_peak < MEMORY_BUDGET_MB and largest_peak < MEMORY_BUDGET_MB
    still_serving(served)


# --- 3. upload size ---

def test_an_upload_over_the_size_limit_is_refused_and_not_kept(served):
    from emoji_fer.app.limits import MAX_UPLOAD_MB

    size = (MAX_UPLOAD_MB + 1) * 2**20
    marker = b"emoji-fer-oversized-upload"

    def chunks():
        yield marker
        for _ in range(size // 2**20):
            yield b"\0" * 2**20

    files_before = set(served["cache"].rglob("*"))
    reply = served["http"].post("/gradio_api/upload", files={"files": ("big.mp4", b"".join(chunks()))})
    assert reply.status_code in (400, 413), reply.text[:300]
    new = [p for p in set(served["cache"].rglob("*")) - files_before if p.is_file() and p.stat().st_size > 2**20]
    assert not new, f"kept: {new}"
    still_serving(served)


def test_a_request_body_over_the_size_limit_is_refused(served):
    """A frame sent inline (a data URL in the JSON body) is bounded like an upload."""
    from emoji_fer.app.limits import MAX_UPLOAD_MB

    inline = "data:image/png;base64," + "A" * ((MAX_UPLOAD_MB + 1) * 2**20)
    reply = served["http"].post("/gradio_api/call/live", json={"data": [{"url": inline, "meta": FILE}, 4, 0]})
    assert reply.status_code == 413, reply.text[:300]
    still_serving(served)


# --- 4. admin faces, 6. face indexes ---

def admin_login(http, password=ADMIN_PASSWORD):
    return http.post("/admin/login", data={"username": "admin", "password": password})


def test_face_index_must_be_a_whole_number(served):
    before = rows(served["db"])
    for index in (0.4, "0.4", 1e300, "NaN", True, [0], -1, 2**70):
        photo = upload(served["http"], "justin.jpg", (served["samples"] / "justin.jpg").read_bytes())
        kind, out = call(served["http"], "feedback", [photo, index, "sad"])
        assert kind != "complete", f"face index {index!r} was stored: {out}"
    assert rows(served["db"]) == before
    photo = upload(served["http"], "justin.jpg", (served["samples"] / "justin.jpg").read_bytes())
    kind, out = call(served["http"], "feedback", [photo, 0, "sad"])
    assert kind == "complete" and out[0]["label"] == "sad", out
    assert rows(served["db"]) == before + 1


def test_admin_faces_are_only_served_behind_the_login_and_gone_once_deleted(served):
    http = served["http"]
    photo = upload(http, "justin.jpg", (served["samples"] / "justin.jpg").read_bytes())
    kind, (stored,) = call(http, "feedback", [photo, 0, "angry"])  # a correction: the model says happy
    assert kind == "complete", stored
    # Without the login, the admin app answers nothing.
    assert call(http, "corrections", [], prefix="/admin")[0] != "complete"
    with httpx.Client(base_url=served["url"], timeout=60) as admin:
        assert admin_login(admin).status_code == 200
        kind, out = call(admin, "corrections", [], prefix="/admin")
        assert kind == "complete", out
        gallery = out[0]
        assert gallery, "the correction is not in the gallery"
        urls = [item["image"]["url"] for item in gallery]
        paths = [item["image"].get("path") for item in gallery]
        for url, path in zip(urls, paths):
            # Not through the public app: by URL, by path, or as an input of a public endpoint.
            for public in (f"/gradio_api/file={path}", url.replace("/admin/", "/", 1) if "/admin/" in url else None):
                if public and not public.startswith("data:"):
                    assert http.get(public).status_code in (403, 404), public
            if path:
                assert call(http, "predict", [{"path": path, "meta": FILE}])[0] != "complete"
            # Behind the login it is served (a data URL is in the reply itself).
            if not url.startswith("data:"):
                assert admin.get(url).status_code == 200
                assert http.get(url).status_code in (401, 403, 404)  # the public client has no login cookie
        deleted = [item["image"]["url"] for item in gallery if item["caption"].startswith(f"#{stored['id']}:")]
        assert len(deleted) == 1
        kind, out = call(admin, "delete", [str(stored["id"])], prefix="/admin")
        assert kind == "complete", out
        if not deleted[0].startswith("data:"):
            assert admin.get(deleted[0]).status_code in (403, 404), "a deleted face is still served"
        assert stored["id"] not in [int(item["caption"].split(":")[0].lstrip("#")) for item in out[0] or []]
    still_serving(served)


def test_admin_login_is_rate_limited(served):
    with httpx.Client(base_url=served["url"], timeout=60) as attacker:
        codes = [admin_login(attacker, f"guess-{i}").status_code for i in range(30)]
        assert 429 in codes, codes
        assert codes.index(429) <= 10, codes
        # Locked: even the right password is refused for a while, from this client.
        assert admin_login(attacker).status_code == 429
    still_serving(served)


# --- 6. no credentials or database location in public messages ---

def test_feedback_off_message_names_no_credentials_or_location(tmp_path):
    port = free_port()  # nothing listens there: the store cannot be opened
    url = f"postgresql+psycopg://dbuser:dbpass@127.0.0.1:{port}/feedbackdb?password=querysecret&sslmode=disable"
    logs = []
    with demo_server("--feedback-db", url, env={"EMOJI_FER_FEEDBACK_DB": ""}, log_to=logs) as (base, _):
        with httpx.Client(base_url=base, timeout=60) as http:
            page = http.get("/config").text + http.get("/").text
    assert "Feedback is off" in page
    for secret in ("querysecret", "dbpass", "dbuser", str(port), "feedbackdb"):
        assert secret not in page, f"the public page names {secret!r}"
    for secret in ("querysecret", "dbpass"):
        assert secret not in logs[0], f"the log names {secret!r}"
    assert "feedbackdb" in logs[0]  # the operator still learns which store failed
