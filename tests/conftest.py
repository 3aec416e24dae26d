"""Shared fixtures. Data comes from ../shared (FER-2013 and sample photos); tests that
need it skip with the reason when it is absent (a fresh clone elsewhere). CI has it."""

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
            raise RuntimeError(f"server exited with {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


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
