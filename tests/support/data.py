"""Where the shared data lives: ../shared (FER-2013 and the sample photos), or the folder
named by EMOJI_FER_SHARED. Tests that need it skip with the reason when it is absent (a
fresh clone elsewhere); CI has it, so there a missing file fails instead (`need`)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
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
