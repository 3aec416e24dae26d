"""Refit on users' feedback: the export folder's loader, training with
--extra-data (FeedbackTest reported, the folder recorded) and the promotion rule for a
refit (PublicTest may drop 0.3 points at most, held-out feedback must rise)."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from convert import SHIPPED_KERAS
from emoji_fer.fer2013 import DatasetError, load_feedback, load_fer2013
from emoji_fer.labels import LABELS
from emoji_fer.model_files import read_metadata, sha256
from tests.conftest import run_module
from tests.support.models import copy_model

pytestmark = pytest.mark.slow  # training on exported feedback

PER_LABEL = 6  # faces per label in the export: 42, ids 1..42, of which 8 held out (id % 5 == 0)
TINY = ["--limit", "256", "--batch-size", "64", "--widths", "8", "16", "16", "16"]


def write_export(root, faces, labels, first_id=1):
    """Write faces ((N, 48, 48) uint8) in the layout of `emoji-fer feedback export`: ids from
    `first_id` on, id % 5 == 0 held out. Returns the ids of the held-out faces."""
    held_out = []
    for face_id, (face, label) in enumerate(zip(faces, labels), start=first_id):
        test = face_id % 5 == 0
        folder = root / ("test" if test else "train") / LABELS[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(face, "L").save(folder / f"{'FeedbackTest' if test else 'Feedback'}_{face_id}.png")
        if test:
            held_out.append(face_id)
    return held_out


@pytest.fixture(scope="module")
def faces(fer_dir):
    """(images (42, 48, 48) uint8, labels (42,)): real PrivateTest faces, labels interleaved
    (0, 1, ..., 6, 0, ...) so the held-out ids 5, 10, ... cover every label."""
    x, y = load_fer2013(fer_dir, splits=("PrivateTest",))["PrivateTest"]
    picks = [np.flatnonzero(y == label)[:PER_LABEL] for label in range(len(LABELS))]
    order = np.array([picks[label][i] for i in range(PER_LABEL) for label in range(len(LABELS))])
    return x[order], y[order]


@pytest.fixture(scope="module")
def export(faces, tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback")
    write_export(root, *faces)
    return root


def test_load_feedback_gives_both_splits_as_exported(export, faces):
    x, y = faces
    data = load_feedback(export)
    assert set(data) == {"Feedback", "FeedbackTest"}
    held_out = (np.arange(1, len(y) + 1) % 5) == 0
    for split, mask in (("Feedback", ~held_out), ("FeedbackTest", held_out)):
        images, labels = data[split]
        assert images.shape == (mask.sum(), 48, 48) and images.dtype == np.uint8
        assert labels.shape == (mask.sum(),) and labels.dtype == np.int64
        # class by class, as the folders list them; PNG is lossless: the very pixels
        assert sorted(labels.tolist()) == sorted(y[mask].tolist())
        expected = {(int(label), face.tobytes()) for face, label in zip(x[mask], y[mask])}
        assert {(int(label), face.tobytes()) for face, label in zip(images, labels)} == expected
    assert len(data["Feedback"][1]) == 34 and len(data["FeedbackTest"][1]) == 8
    assert set(data["FeedbackTest"][1].tolist()) == set(range(len(LABELS)))


def test_a_split_without_faces_is_empty_and_other_sizes_are_resized(tmp_path, faces):
    x, y = faces
    write_export(tmp_path, x[:4], y[:4])  # ids 1-4: none held out
    big = tmp_path / "train" / "happy" / "Feedback_6.png"
    Image.fromarray(np.repeat(np.repeat(x[0], 2, 0), 2, 1)).convert("RGB").save(big)  # 96x96, colour
    data = load_feedback(tmp_path)
    assert len(data["Feedback"][1]) == 5 and data["Feedback"][0].shape == (5, 48, 48)
    images, labels = data["FeedbackTest"]
    assert images.shape == (0, 48, 48) and images.dtype == np.uint8
    assert labels.shape == (0,) and labels.dtype == np.int64


@pytest.mark.parametrize("make, message", [
    (lambda root: None, "does not exist"),
    (lambda root: root.mkdir(), "No feedback faces"),
    (lambda root: (root / "train" / "happy").mkdir(parents=True), "No feedback faces"),
    (lambda root: save(root / "train" / "happy" / "Training_1.png"),
     r"Training_1.png does not belong in train/: files there are named Feedback_<id>.png"),
    (lambda root: save(root / "train" / "happy" / "FeedbackTest_5.png"),
     "FeedbackTest_5.png does not belong in train/"),
    (lambda root: save(root / "test" / "sad" / "Feedback_3.png"), "Feedback_3.png does not belong in test/"),
    (lambda root: save(root / "train" / "joy" / "Feedback_1.png"), r"joy is not a class folder"),
    (lambda root: write(root / "train" / "angry" / "Feedback_7.png", b"not a png"),
     r"Feedback_7.png is not a readable image"),
], ids=["missing", "empty", "empty-class-folder", "other-prefix", "held-out-in-train", "fitted-in-test",
        "unknown-class", "not-an-image"])
def test_bad_export_folders_are_rejected_clearly(tmp_path, make, message):
    root = tmp_path / "export"
    make(root)
    with pytest.raises(DatasetError, match=message) as err:
        load_feedback(root)
    assert "not a readable image" in str(err.value) or "FeedbackTest_<id>.png" in str(err.value)  # the layout


def save(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (48, 48), 128).save(path)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def refit(fer_dir, export, tmp_path_factory):
    """A 2-epoch smoke run of a tiny network with --extra-data: (CompletedProcess, models folder).
    One view per face (--tta none) and no SWA keep it short."""
    tmp = tmp_path_factory.mktemp("refit")
    proc = run_module("train", "--data-dir", str(fer_dir), "--name", "refit", "--work-dir", str(tmp / "work"),
                      "--out-dir", str(tmp / "models"), "--epochs", "2", *TINY, "--extra-data", str(export),
                      "--extra-weight", "3", "--tta", "none")
    return proc, tmp / "models"


def test_train_with_extra_data_reports_the_held_out_feedback(refit, export):
    proc, models = refit
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"--extra-data {export}: 34 Feedback faces (each 3 times per epoch), 8 held-out" in proc.stdout
    assert "358 training images" in proc.stdout  # 256 FER-2013 faces (--limit) + 34 x 3
    metadata = json.loads((models / "refit.json").read_text())
    assert set(metadata["metrics"]) == {"PublicTest", "PrivateTest", "FeedbackTest"}
    feedback = metadata["metrics"]["FeedbackTest"]
    assert feedback["n"] == 8 and 0 <= feedback["accuracy"] <= 1 and len(feedback["confusion"]) == 7
    assert set(metadata["keras_accuracy_by_tta"]) == {"PublicTest", "PrivateTest"}
    extra = metadata["recipe"]["extra_data"]
    assert extra["path"] == str(export) and (extra["Feedback"], extra["FeedbackTest"]) == (34, 8)
    assert extra["per_label"]["FeedbackTest"] == {label: 1 for label in LABELS} | {"sad": 2}
    assert metadata["recipe"]["extra_weight"] == 3
    from train.card import render
    card = render(metadata)
    assert "Also fitted on 34 faces that users of the demo confirmed or corrected" in card
    assert "held-out feedback FeedbackTest" in card


def test_extra_weight_must_be_a_positive_count(capsys):
    from train.__main__ import parse_args

    assert parse_args(["--extra-data", "x"]).extra_weight == 10
    with pytest.raises(SystemExit):
        parse_args(["--extra-data", "x", "--extra-weight", "0"])
    assert "--extra-weight must be 1 or more" in capsys.readouterr().err


def test_train_reports_a_missing_feedback_folder(fer_dir, tmp_path):
    proc = run_module("train", "--data-dir", str(fer_dir), "--work-dir", str(tmp_path), "--out-dir", str(tmp_path),
                      "--epochs", "1", *TINY, "--extra-data", str(tmp_path / "nope"))
    assert proc.returncode == 2 and "nope does not exist" in proc.stderr and "Traceback" not in proc.stderr
    assert "Feedback_<id>.png" in proc.stderr


def test_promote_refuses_a_worse_refit_and_prints_both_comparisons(refit, export, tmp_path):
    proc, models = refit
    assert proc.returncode == 0, proc.stderr[-2000:]
    shipped = tmp_path / "emoji_fer.keras"
    copy_model(SHIPPED_KERAS, shipped)
    before = {p.name: sha256(p) for p in tmp_path.iterdir()}
    refused = run_module("train.promote", str(models / "refit.keras"), "--to", str(shipped))
    assert refused.returncode == 2, refused.stderr[-2000:]
    # The shipped model is judged by FER+, so is the refit (its run found the votes beside the data).
    public = read_metadata(shipped)["ferplus"]["PublicTest"]
    assert (f"FER+ protocol PublicTest as served ({public['n']} faces): shipped {public['protocol_accuracy']:.2%}, "
            "candidate ") in refused.stdout
    assert re.search(rf"FeedbackTest as served \(8 held-out faces in {re.escape(str(export))}\): "
                     r"shipped \d+\.\d\d% \(\d/8\), candidate \d+\.\d\d% \(\d/8\)", refused.stdout), refused.stdout
    assert "PublicTest drops by" in refused.stderr and "not promoted" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert {p.name: sha256(p) for p in tmp_path.iterdir()} == before


def candidate_refit(tmp_path, export, public_gain):
    """A copy of the shipped model posing as a refit on `export` with PublicTest moved by `public_gain`."""
    candidate = tmp_path / "cand.keras"
    copy_model(SHIPPED_KERAS, candidate, public_gain=public_gain,
               recipe={"extra_data": {"path": str(export), "Feedback": 34, "FeedbackTest": 8}, "extra_weight": 10,
                       "work_dir": str(tmp_path / "work"), "name": "cand"})
    shipped = tmp_path / "emoji_fer.keras"
    copy_model(SHIPPED_KERAS, shipped)
    return candidate, shipped


@pytest.mark.parametrize("public_gain, candidate_right, ships", [
    (-0.002, 6, True),  # a small loss on PublicTest for a gain on the users' faces
    (-0.004, 6, False),  # more than 0.3 points lost
    (0.01, 5, False),  # better on PublicTest, but no better on the feedback
])
def test_promote_rule_for_a_refit(tmp_path, export, monkeypatch, capsys, public_gain, candidate_right, ships):
    from train import promote

    candidate, shipped = candidate_refit(tmp_path, export, public_gain)
    # Two copies of one model answer alike: how many held-out faces each gets right is set here.
    monkeypatch.setattr(promote, "feedback_correct",
                        lambda path, images, labels: candidate_right if path == candidate else 5)
    if ships:
        promote.promote(candidate, shipped)
        assert read_metadata(shipped)["recipe"]["extra_data"]["path"] == str(export)
        assert "Also fitted on 34 faces" in (tmp_path / "MODEL_CARD.md").read_text()
    else:
        with pytest.raises(ValueError, match="not promoted"):
            promote.promote(candidate, shipped)
    out = capsys.readouterr().out
    assert f"FeedbackTest as served (8 held-out faces in {export}): shipped 62.50% (5/8), " \
           f"candidate {candidate_right / 8:.2%} ({candidate_right}/8)" in out
    assert f"({100 * public_gain:+.2f} points; a drop of at most 0.3 allowed)" in out


def test_refit_problems_at_the_limits():
    from train.promote import refit_problems

    assert refit_problems((0.7155, 0.7125), (5, 6), 8) == []  # exactly 0.3 points less: allowed
    assert refit_problems((0.7155, 0.7124), (5, 6), 8)[0].startswith("PublicTest drops by 0.31 points")
    assert "does not rise (5 right before, 5 after, of 8)" in refit_problems((0.70, 0.71), (5, 5), 8)[0]
    assert "no held-out feedback faces" in refit_problems((0.70, 0.71), (0, 0), 0)[0]


def test_promote_without_force_needs_the_feedback_folder(tmp_path, export):
    candidate, shipped = candidate_refit(tmp_path, export, 0.01)
    meta = read_metadata(candidate)
    meta["recipe"]["extra_data"]["path"] = str(tmp_path / "gone")
    candidate.with_suffix(".json").write_text(json.dumps(meta))
    proc = run_module("train.promote", str(candidate), "--to", str(shipped))
    assert proc.returncode == 2 and "gone does not exist" in proc.stderr and "Traceback" not in proc.stderr
    forced = run_module("train.promote", str(candidate), "--to", str(shipped), "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
