"""The command line on real files: predict (JSON, exit status) and evaluate."""

import json

import pytest

from emoji_fer.labels import LABELS
from tests.conftest import run_module


def predict(*args):
    result = run_module("emoji_fer", "predict", *map(str, args))
    return result.returncode, json.loads(result.stdout) if result.stdout.strip() else None, result.stderr


def test_predict_one_face_and_no_face(samples):
    code, out, err = predict(samples / "justin.jpg", samples / "no-faces.jpg")
    assert code == 0, err
    justin, cartoon = out
    assert justin["schema_version"] == cartoon["schema_version"] == 1
    assert justin["error"] is None and len(justin["faces"]) == 1
    face = justin["faces"][0]
    assert face["top"][0]["label"] == "happy" and face["top"][0]["emoji"] == "😄"
    assert len(face["top"]) == 3 and list(face["scores"]) == list(LABELS)
    assert sum(face["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    x, y, w, h = face["box"]
    assert 0 <= x and 0 <= y and x + w <= 381 and y + h <= 384 and w > 50 and h > 50
    assert cartoon["faces"] == [] and cartoon["message"] == "no face found" and cartoon["error"] is None


def test_unreadable_file_gets_an_error_entry_and_exit_status_2(samples, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not an image")
    code, out, _ = predict(bad, samples / "justin.jpg", tmp_path / "missing.png", "--top-k", "2")
    assert code == 2
    assert all(e["schema_version"] == 1 for e in out)
    assert [e["path"] for e in out] == [str(bad), str(samples / "justin.jpg"), str(tmp_path / "missing.png")]
    assert "not an image" in out[0]["error"] and "no such file" in out[2]["error"]
    assert out[1]["error"] is None and len(out[1]["faces"][0]["top"]) == 2


def test_no_detect_classifies_a_fer_crop_whole(fer_dir):
    crop = sorted((fer_dir / "test" / "happy").glob("PrivateTest_*.jpg"))[0]
    code, out, err = predict(crop, "--no-detect")
    assert code == 0, err
    assert out[0]["whole_image"] is True and out[0]["faces"][0]["box"] == [0, 0, 48, 48]


def test_small_image_is_taken_as_one_crop_without_detection(fer_dir):
    # BlazeFace finds two "faces" inside this 48x48 crop when asked: small images are not asked.
    crop = sorted((fer_dir / "test" / "surprise").glob("PrivateTest_*.jpg"))[0]
    code, out, _ = predict(crop)
    assert code == 0 and len(out[0]["faces"]) == 1 and out[0]["whole_image"] is True
    assert out[0]["faces"][0]["box"] == [0, 0, 48, 48] and "whole image" in out[0]["message"]


@pytest.mark.slow
def test_evaluate_reports_per_class_metrics(fer_dir):
    result = run_module("emoji_fer", "evaluate", "--data-dir", str(fer_dir), "--split", "PublicTest", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"split", "n", "accuracy", "per_class", "confusion"} <= set(report)
    assert report["split"] == "PublicTest" and report["n"] == 3589
    assert list(report["per_class"]) == list(LABELS)
    assert sum(map(sum, report["confusion"])) == 3589
    assert sum(m["support"] for m in report["per_class"].values()) == 3589


def test_evaluate_missing_dataset_is_a_clear_error(tmp_path):
    result = run_module("emoji_fer", "evaluate", "--data-dir", str(tmp_path / "nope"))
    assert result.returncode == 2 and "does not exist" in result.stderr
