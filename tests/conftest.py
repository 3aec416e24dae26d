"""Shared fixtures. Data comes from ../shared (FER-2013 and sample photos); tests that
need it skip with the reason when it is absent (a fresh clone elsewhere). CI has it."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EMOJI_FER_SHARED", ROOT.parent / "shared"))
FER_DIR = SHARED / "fer2013"
SAMPLES = SHARED / "samples"

# Per split, from ../shared/README.md (the Kaggle folder copy of FER-2013).
SPLIT_SIZES = {"Training": 28709, "PublicTest": 3589, "PrivateTest": 3589}


def need(path, what):
    """Skip with the reason when shared data is absent; in CI (CI=true) it must be there."""
    if path.exists():
        return path
    reason = f"{what} not found at {path} (../shared is absent in a clone outside CI)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI must have it")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def fer_dir():
    need(FER_DIR / "train", "FER-2013")
    return FER_DIR


@pytest.fixture(scope="session")
def samples():
    need(SAMPLES / "justin.jpg", "sample photos")
    return SAMPLES


@pytest.fixture(scope="session")
def woman2():
    return need(SAMPLES / "woman2.mp4", "the sample video woman2.mp4")


@pytest.fixture(scope="session")
def cli_rows(woman2, tmp_path_factory):
    """`python -m emoji_fer video woman2.mp4 --fps 2 --csv ... --plot ...`, run once per test
    session: (CompletedProcess, CSV text, output folder). test_video checks it,
    test_demo_timeline compares the demo's /video rows with it."""
    out = tmp_path_factory.mktemp("cli")
    proc = run_module("emoji_fer", "video", str(woman2), "--fps", "2", "--csv", str(out / "rows.csv"),
                      "--plot", str(out / "plot.png"))
    assert proc.returncode == 0, proc.stderr
    return proc, (out / "rows.csv").read_text(), out


def read_rows(text):
    """Timeline CSV text -> [{column: float, or None for an empty cell}]."""
    import csv
    import io

    return [{k: (float(v) if v else None) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def check_woman2_rows(rows):
    """The issue's expectations for woman2.mp4 (15.5 s, 29.97 fps) sampled at 2 Hz."""
    from emoji_fer.labels import LABELS

    assert len(rows) == 31  # 0, 0.5, ..., 15.0 s
    times = [r["time_s"] for r in rows]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert all(abs(t - i / 2) <= 0.02 for i, t in enumerate(times))  # the nearest frame to each k / 2 s
    for row in rows:
        assert row["faces"] == 1
        assert sum(row[label] for label in LABELS) == pytest.approx(1.0, abs=1e-4)


@pytest.fixture(scope="session")
def predictor():
    from emoji_fer.predictor import Predictor

    return Predictor()


def run_module(*args, timeout=600, env=None):
    """Run `python -m ...` from the repo root; returns the CompletedProcess."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url, proc, timeout=180):
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def demo_server(*args):
    """Launch demo.py on a free localhost port; yields (url, process); stops it afterwards.
    Its output goes to a temp file (a pipe nobody reads would block a chatty server) and
    is shown if it fails to start."""
    import tempfile

    port = free_port()
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen([sys.executable, "demo.py", "--port", str(port), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            url = f"http://127.0.0.1:{port}/"
            try:
                wait_for_http(url, proc)
            except (RuntimeError, TimeoutError) as err:
                log.seek(0)
                raise RuntimeError(f"{err}\n{log.read()[-5000:]}") from None
            yield url, proc
        finally:
            proc.terminate()
            proc.wait(timeout=30)


# The TF.js tools are set up by the test session itself when missing (the README's test
# command then needs nothing more): the converter in its own venv (requirements-convert.txt
# explains why), and TensorFlow.js for Node from the npm registry.
@pytest.fixture(scope="session")
def tfjs_converter():
    from convert.export import ConvertError, find_converter

    try:
        return find_converter()
    except ConvertError:
        venv = ROOT / ".venv-convert"
        print(f"\nsetting up the TF.js converter in {venv} (once; about 3 minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(ROOT / "requirements-convert.txt")],
                       check=True)
        return find_converter()


@pytest.fixture(scope="session")
def node_tfjs():
    import shutil

    from convert.parity import NODE_MODULES

    if shutil.which("node") is None or shutil.which("npm") is None:
        need(Path("/nonexistent/node"), "Node.js and npm")
    if not (NODE_MODULES / "@tensorflow" / "tfjs").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_MODULES.parent)],
                       check=True, capture_output=True)
    return NODE_MODULES
