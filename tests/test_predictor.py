"""The Predictor in-process: shapes, probabilities, TTA and the whole-image rule."""

import numpy as np
import pytest
from PIL import Image

from emoji_fer.labels import LABELS
from emoji_fer.preprocessing import PREPROCESSING, crop_face, expand_box


def test_probabilities_shape_and_sum(predictor):
    faces = np.random.default_rng(0).random((5, 48, 48, 1), dtype=np.float32)
    probs = predictor.predict_faces(faces)
    assert probs.shape == (5, len(LABELS)) and probs.dtype == np.float32
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5) and (probs >= 0).all()
    assert predictor.predict_faces(np.zeros((0, 48, 48, 1), np.float32)).shape == (0, 7)
    with pytest.raises(ValueError, match="48, 48, 1"):
        predictor.predict_faces(np.zeros((2, 32, 32, 1), np.float32))


def test_batch_gives_the_same_answer_as_one_by_one(predictor):
    faces = np.random.default_rng(1).random((4, 48, 48, 1), dtype=np.float32)
    together = predictor.predict_faces(faces)
    alone = np.concatenate([predictor.predict_faces(f[None]) for f in faces])
    assert np.allclose(together, alone, atol=1e-5)


def test_tta_makes_mirror_images_agree(predictor):
    # Every TTA mode but "none" holds each view's mirror image, so a face and its mirror agree.
    if predictor.tta == "none":
        pytest.skip(f"the shipped model uses TTA {predictor.tta!r}")
    faces = np.random.default_rng(2).random((3, 48, 48, 1), dtype=np.float32)
    assert np.allclose(predictor.predict_faces(faces), predictor.predict_faces(faces[:, :, ::-1]), atol=1e-5)


def test_small_crop_without_face_is_classified_whole(predictor, fer_dir):
    crop = sorted((fer_dir / "test" / "happy").glob("PrivateTest_*.jpg"))[3]
    out = predictor.predict(crop, detect=False)
    assert out["whole_image"] and out["faces"][0]["box"] == [0, 0, 48, 48]


def test_large_image_without_face_is_not_classified_whole(predictor):
    flat = Image.new("RGB", (400, 300), (90, 140, 200))
    out = predictor.predict(flat)
    assert out == {"schema_version": 1, "faces": [], "whole_image": False, "message": "no face found"}


def test_expand_box_adds_margin_and_clips():
    assert expand_box([10, 10, 20, 20], 100, 100, 0.25) == [5, 5, 30, 30]
    assert expand_box([0, 0, 50, 50], 40, 60, 0.2) == [0, 0, 40, 60]


def test_crop_face_is_model_input():
    gray = np.full((100, 120), 255, np.uint8)
    face = crop_face(gray, [30, 30, 40, 40])
    size = PREPROCESSING["input_size"]
    assert face.shape == (size, size, 1) and face.dtype == np.float32
    assert face.min() == pytest.approx(1.0)


def test_shipped_models_load_by_name(monkeypatch, tmp_path):
    """`emoji_fer` (FER+ votes, the default) and `emoji_fer_fer2013` (FER-2013's labels) by
    name, from any working directory, also the clone's root, where `emoji_fer/` is the package."""
    from emoji_fer.model_files import ModelFileError, read_metadata
    from emoji_fer.predictor import Predictor
    from tests.conftest import ROOT

    for cwd in (tmp_path, ROOT):
        monkeypatch.chdir(cwd)
        default, old = Predictor(detector=None), Predictor("emoji_fer_fer2013", detector=None)
        assert Predictor("emoji_fer", detector=None).model_path == default.model_path
        assert read_metadata(default.model_path)["recipe"]["labels"] == "ferplus"
        assert read_metadata(old.model_path).get("recipe", {}).get("labels", "fer2013") == "fer2013"
        assert default.model_sha256 != old.model_sha256
    with pytest.raises(ModelFileError, match="emoji_fer, emoji_fer_fer2013"):
        Predictor("emoji_fer_2013", detector=None)
