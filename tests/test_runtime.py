"""The LiteRT export and runtime: the shipped `.tflite` is made from the shipped `.keras`,
answers like it on real PrivateTest faces (int8 weights: the same >= 99 % top-1 bar as
the TF.js export), and a stale, missing or broken export is never used silently."""

import json
import logging
import shutil

import numpy as np
import pytest

from convert.litert import export_litert
from convert import SHIPPED_KERAS
from emoji_fer.model_files import ModelFileError, read_metadata
from emoji_fer.predictor import Predictor
from emoji_fer.runtime import LiteRTClassifier, keras_classifier, litert_problem

N_FACES = 600


@pytest.fixture(scope="module")
def faces(fer_dir):
    from emoji_fer.preprocessing import scale
    from emoji_fer.fer2013 import load_fer2013

    images, _ = load_fer2013(fer_dir, splits=("PrivateTest",))["PrivateTest"]
    return scale(images[:N_FACES, ..., None])


@pytest.fixture
def model_copy(tmp_path):
    """The shipped model, metadata and LiteRT export copied to a scratch folder."""
    meta = read_metadata(SHIPPED_KERAS)
    for path in (SHIPPED_KERAS, SHIPPED_KERAS.with_suffix(".json"), SHIPPED_KERAS.with_name(meta["litert"]["file"])):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / SHIPPED_KERAS.name


def test_shipped_export_is_fresh_and_served():
    meta = read_metadata(SHIPPED_KERAS)
    problem = litert_problem(SHIPPED_KERAS, meta, meta["inference"]["tta"])
    assert problem is None, f"{problem}: run python -m convert --litert"
    assert Predictor(detector=None).runtime == "litert"


@pytest.mark.slow
def test_litert_answers_like_keras_on_privatetest(faces):
    meta = read_metadata(SHIPPED_KERAS)
    tta = meta["inference"]["tta"]
    litert = LiteRTClassifier(SHIPPED_KERAS.with_name(meta["litert"]["file"]))(faces)
    keras = keras_classifier(SHIPPED_KERAS, 48, tta)(faces)
    assert litert.shape == keras.shape == (N_FACES, 7)
    assert (litert.argmax(1) == keras.argmax(1)).mean() >= 0.99
    assert np.abs(litert - keras).max() < 0.05
    np.testing.assert_allclose(litert.sum(1), 1.0, atol=1e-5)


def test_float32_export_matches_keras_exactly(faces):
    import keras

    from convert.litert import to_litert

    model = keras.models.load_model(SHIPPED_KERAS, compile=False)
    litert = LiteRTClassifier(to_litert(model, 48, "hflip", quantize="none"))(faces[:100])
    np.testing.assert_allclose(litert, keras_classifier(SHIPPED_KERAS, 48, "hflip")(faces[:100]), atol=1e-5)


def test_batch_sizes_change_freely(faces):
    classify = LiteRTClassifier(SHIPPED_KERAS.with_name(read_metadata(SHIPPED_KERAS)["litert"]["file"]))
    whole = classify(faces[:10])
    parts = np.concatenate([classify(faces[:1]), classify(faces[1:7]), classify(faces[7:10])])
    np.testing.assert_allclose(parts, whole, atol=1e-6)
    assert classify(faces[:0]).shape == (0, 7)


def test_export_records_its_source(model_copy):
    (model_copy.with_suffix(".tflite")).unlink()
    meta = read_metadata(model_copy)
    del meta["litert"]
    model_copy.with_suffix(".json").write_text(json.dumps(meta))
    assert Predictor(model_copy, detector=None).runtime == "keras"  # nothing to warn about
    out = export_litert(model_copy)
    assert out == model_copy.with_suffix(".tflite") and out.stat().st_size > 1_000_000  # weights inside
    assert read_metadata(model_copy)["litert"]["file"] == out.name
    assert Predictor(model_copy, detector=None).runtime == "litert"


def test_stale_export_falls_back_to_keras_with_a_warning(model_copy, caplog):
    meta = read_metadata(model_copy)
    meta["litert"]["source_sha256"] = "0" * 64  # as if the .keras had been retrained since
    model_copy.with_suffix(".json").write_text(json.dumps(meta))
    with caplog.at_level(logging.WARNING, logger="emoji_fer.runtime"):
        predictor = Predictor(model_copy, detector=None)
    assert predictor.runtime == "keras"
    assert "another version" in caplog.text
    with pytest.raises(ModelFileError, match="convert --litert"):
        Predictor(model_copy, detector=None, runtime="litert")


def test_export_with_another_tta_is_not_used(model_copy):
    meta = read_metadata(model_copy)
    meta["inference"]["tta"] = "none" if meta["litert"]["tta"] != "none" else "hflip"
    model_copy.with_suffix(".json").write_text(json.dumps(meta))
    assert Predictor(model_copy, detector=None).runtime == "keras"


def test_broken_export_gives_a_clear_error(model_copy):
    model_copy.with_suffix(".tflite").write_bytes(b"not a flatbuffer" * 100)
    with pytest.raises(ModelFileError, match="cannot load LiteRT model"):
        Predictor(model_copy, detector=None)


def test_unknown_runtime():
    with pytest.raises(ValueError, match="unknown runtime"):
        Predictor(detector=None, runtime="onnx")


def test_tta_modes_nest():
    """Each TTA mode's views are the face's views and then the same of its mirror image,
    each one of the 16 distinct views that probabilities_by_tta computes (TTA_SUBSETS
    says which), and every view differs from the face (no mode repeats a view by mistake)."""
    import tensorflow as tf

    from emoji_fer.inference import ALL_VIEWS, TTA_MODES, TTA_SUBSETS, tta_views, view

    x = tf.constant(np.random.default_rng(1).random((3, 48, 48, 1), dtype=np.float32))
    views = {mode: [v.numpy() for v in tta_views(x, mode)] for mode in TTA_MODES}
    assert {m: len(v) for m, v in views.items()} == {"none": 1, "hflip": 2, "flip_zoom": 4,
                                                     "flip_scales": 8, "flip_shift_zoom": 12}
    np.testing.assert_array_equal(views["hflip"][1], x.numpy()[:, :, ::-1])
    every = [view(face, name).numpy() for face in (x, tf.reverse(x, axis=[2])) for name in ALL_VIEWS]
    assert TTA_SUBSETS["flip_zoom"] == (0, 5, 8, 13)
    for mode in TTA_MODES:
        for got, i in zip(views[mode], TTA_SUBSETS[mode], strict=True):
            np.testing.assert_array_equal(got, every[i])
    for i, v in enumerate(every[1:], start=1):
        assert v.shape == x.shape and not np.allclose(v, x.numpy()), ALL_VIEWS[i % len(ALL_VIEWS)]
    with pytest.raises(ValueError, match="unknown view"):
        view(x, "zoom_sideways")


def test_probabilities_by_tta_equal_each_modes_classifier():
    """One 16-view pass (training's final report) gives every mode what its own classifier does."""
    from emoji_fer.inference import TTA_MODES, make_classifier, probabilities_by_tta
    from train.model import build_model

    model = build_model(stem=8, widths=(8, 8))
    faces = np.random.default_rng(2).random((5, 48, 48, 1), dtype=np.float32)
    by_tta = probabilities_by_tta(model, faces, batch_size=3)  # batches of 3 and 2
    assert set(by_tta) == set(TTA_MODES)
    for mode in TTA_MODES:
        assert by_tta[mode].shape == (5, 7) and by_tta[mode].dtype == np.float32
        np.testing.assert_allclose(by_tta[mode], make_classifier(model, tta=mode)(faces), atol=1e-6)
    assert not np.allclose(by_tta["none"], by_tta["flip_shift_zoom"])


def test_model_without_its_keras_file_is_served_by_litert(model_copy):
    """As installed from the wheel: only the `.json` and `.tflite`. Any of its files names
    it; the Keras runtime (and a fallback to it) says what is missing instead of failing later."""
    model_copy.unlink()  # the .keras file
    faces = np.random.default_rng(3).random((2, 48, 48, 1), dtype=np.float32)
    by_json = Predictor(model_copy.with_suffix(".json"), detector=None)
    by_tflite = Predictor(model_copy.with_suffix(".tflite"), detector=None)
    assert by_json.runtime == by_tflite.runtime == "litert"
    np.testing.assert_array_equal(by_json.predict_faces(faces), by_tflite.predict_faces(faces))
    with pytest.raises(ModelFileError, match=r"\.keras not found"):
        Predictor(model_copy.with_suffix(".json"), detector=None, runtime="keras")
    meta = read_metadata(model_copy)
    meta["inference"]["tta"] = "none" if meta["litert"]["tta"] != "none" else "hflip"
    model_copy.with_suffix(".json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError, match="has TTA"):  # no Keras model to fall back to
        Predictor(model_copy.with_suffix(".json"), detector=None)
    with pytest.raises(ModelFileError, match="not found"):
        Predictor(model_copy.with_name("other.json"), detector=None)
