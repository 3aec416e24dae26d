"""FER-2013 loaders: the Kaggle folder layout from ../shared and the original CSV."""

import numpy as np
import pytest

from emoji_fer.labels import LABELS
from tests.conftest import SPLIT_SIZES
from emoji_fer.fer2013 import DatasetError, load_fer2013


def test_folder_layout_gives_the_three_splits(fer_dir):
    data = load_fer2013(fer_dir)
    for split, n in SPLIT_SIZES.items():
        x, y = data[split]
        assert x.shape == (n, 48, 48) and x.dtype == np.uint8
        assert y.shape == (n,) and set(np.unique(y)) == set(range(len(LABELS)))
    # disgust is the rare class: 436 training images (../shared/README.md)
    assert np.bincount(data["Training"][1])[LABELS.index("disgust")] == 436


def write_csv(path, rows, header="emotion,pixels,Usage"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def pixels(value):
    return " ".join([str(value)] * 2304)


def test_csv_layout(tmp_path):
    rows = [f"{i % 7},{pixels(i)},{usage}" for i, usage in
            enumerate(["Training"] * 5 + ["PublicTest"] * 2 + ["PrivateTest"] * 3)]
    data = load_fer2013(write_csv(tmp_path / "fer2013.csv", rows))
    assert [len(data[s][0]) for s in ("Training", "PublicTest", "PrivateTest")] == [5, 2, 3]
    x, y = data["Training"]
    assert x.shape == (5, 48, 48) and x.dtype == np.uint8
    assert x[3].min() == x[3].max() == 3 and list(y) == [0, 1, 2, 3, 4]


def test_env_var_gives_the_path(tmp_path, monkeypatch):
    rows = [f"3,{pixels(9)},{u}" for u in ("Training", "PublicTest", "PrivateTest")]
    monkeypatch.setenv("FER2013_DIR", str(write_csv(tmp_path / "f.csv", rows)))
    assert load_fer2013()["PublicTest"][1].tolist() == [3]


@pytest.mark.parametrize("rows, header, message", [
    ([f"0,{pixels(1)},Training"], "label,data,split", "not emotion,pixels,Usage"),
    (["0,1 2 3,Training"], None, "expected 2304 pixel values"),
    (["9," + pixels(1) + ",Training"], None, "is not a label id"),
    ([f"0,{pixels(1)},Validation"], None, "Usage 'Validation'"),
    ([f"0,{pixels(300)},Training"], None, "0..255"),
])
def test_malformed_csv_is_rejected_clearly(tmp_path, rows, header, message):
    path = write_csv(tmp_path / "bad.csv", rows, header or "emotion,pixels,Usage")
    with pytest.raises(DatasetError, match=message):
        load_fer2013(path, splits=("Training",))


def test_missing_dataset_shows_expected_layout(tmp_path, monkeypatch):
    monkeypatch.delenv("FER2013_DIR", raising=False)
    with pytest.raises(DatasetError, match="does not exist") as err:
        load_fer2013(tmp_path / "nowhere")
    assert "Training_<id>.jpg" in str(err.value) and "emotion,pixels,Usage" in str(err.value)
    with pytest.raises(DatasetError, match="No dataset given"):
        load_fer2013(None)


def test_folder_without_split_prefixes_is_rejected(tmp_path):
    from PIL import Image

    (tmp_path / "train" / "happy").mkdir(parents=True)
    Image.new("L", (48, 48)).save(tmp_path / "train" / "happy" / "img001.jpg")
    with pytest.raises(DatasetError, match="prefix gives the split"):
        load_fer2013(tmp_path, cache=False)


def test_empty_folder_is_rejected(tmp_path):
    with pytest.raises(DatasetError, match="No class folders"):
        load_fer2013(tmp_path, cache=False)
