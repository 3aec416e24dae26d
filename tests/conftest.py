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


@pytest.fixture(scope="session")
def fer_dir():
    if not (FER_DIR / "train").is_dir():
        pytest.skip(f"FER-2013 not found at {FER_DIR} (../shared is absent outside CI)")
    return FER_DIR


@pytest.fixture(scope="session")
def samples():
    if not (SAMPLES / "justin.jpg").is_file():
        pytest.skip(f"sample photos not found at {SAMPLES} (../shared is absent outside CI)")
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
