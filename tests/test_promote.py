"""python -m train.promote: a better model replaces the shipped one completely (weights,
JSON, LiteRT export, log, card) and a worse or incomplete one changes nothing."""

import csv

import pytest

from convert import SHIPPED_KERAS
from emoji_fer.model_files import read_metadata, sha256
from tests.conftest import run_module
from tests.support.models import copy_model




def test_promote_ships_only_a_better_model_and_all_its_files(tmp_path):
    shipped, candidate = tmp_path / "emoji_fer.keras", tmp_path / "cand.keras"
    copy_model(SHIPPED_KERAS, shipped)
    before = {p.name: sha256(p) for p in tmp_path.iterdir()}

    copy_model(SHIPPED_KERAS, candidate)  # equal on PublicTest: not better
    refused = run_module("train.promote", str(candidate), "--to", str(shipped))
    assert refused.returncode == 2 and "not better" in refused.stderr and "Traceback" not in refused.stderr
    candidate.with_suffix(".tflite").unlink()
    missing = run_module("train.promote", str(candidate), "--to", str(shipped), "--force")
    assert missing.returncode != 0 and "cand.tflite" in missing.stderr
    assert {p.name: sha256(p) for p in tmp_path.iterdir() if p.name in before} == before

    work = tmp_path / "work"
    (work / "cand").mkdir(parents=True)
    (work / "cand" / "log.csv").write_text("epoch,val_accuracy\n0,0.5\n")
    copy_model(SHIPPED_KERAS, candidate, public_gain=0.001, recipe={"work_dir": str(work), "name": "cand"})
    done = run_module("train.promote", str(candidate), "--to", str(shipped))
    assert done.returncode == 0, done.stderr[-2000:]
    metadata = read_metadata(shipped)
    assert metadata["name"] == "emoji_fer" and metadata["litert"]["file"] == "emoji_fer.tflite"
    assert metadata["metrics"]["PublicTest"]["accuracy"] == read_metadata(candidate)["metrics"]["PublicTest"]["accuracy"]
    with open(tmp_path / "emoji_fer_log.csv") as f:
        assert list(csv.DictReader(f)) == [{"epoch": "0", "val_accuracy": "0.5"}]
    assert "# Model card: `emoji_fer`" in (tmp_path / "MODEL_CARD.md").read_text()
    from emoji_fer.predictor import Predictor  # serves the copied LiteRT export: its SHA-256 matches
    assert Predictor(shipped, detector=None).runtime == "litert"


@pytest.mark.parametrize("changes, reason", [
    ({"public_gain": 0.01, "agreement_gain": -0.001}, "not better on FER+ PublicTest (human agreement)"),
    ({"public_gain": -0.001, "agreement_gain": 0.01}, "not better on FER+ PublicTest (protocol accuracy)"),
    ({"public_gain": 0.01, "ferplus": False}, "has no FER+ figures"),
])
def test_promote_refuses_a_model_that_loses_on_ferplus(tmp_path, changes, reason):
    """Against a shipped model judged by FER+, a candidate must beat it on both FER+ figures."""
    shipped, candidate = tmp_path / "emoji_fer.keras", tmp_path / "cand.keras"
    copy_model(SHIPPED_KERAS, shipped)
    copy_model(SHIPPED_KERAS, candidate, **changes)
    before = {p.name: sha256(p) for p in tmp_path.iterdir()}
    refused = run_module("train.promote", str(candidate), "--to", str(shipped))
    assert refused.returncode == 2 and reason in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr
    assert {p.name: sha256(p) for p in tmp_path.iterdir()} == before
    if "ferplus" not in changes:
        old = read_metadata(shipped)["ferplus"]["PublicTest"]
        assert f"protocol accuracy shipped {old['protocol_accuracy']:.2%}" in refused.stdout
