"""End to end: launch demo.py on a free localhost port and call /predict with gradio_client,
as a user of the API would; bad inputs get a clear error and the server keeps serving."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import demo_server


@pytest.fixture(scope="module")
def client(samples):
    from gradio_client import Client

    with demo_server() as (url, _):
        yield Client(url, verbose=False)


def predict(client, path):
    from gradio_client import handle_file

    annotated, top3, result = client.predict(handle_file(str(path)), api_name="/predict")
    return annotated, top3, result


def test_one_face(client, samples):
    annotated, top3, result = predict(client, samples / "justin.jpg")
    assert result["schema_version"] == 1
    assert len(result["faces"]) == 1
    assert result["faces"][0]["top"][0]["label"] == "happy"
    assert top3["label"] == "😄 happy" and len(top3["confidences"]) == 3
    assert len(annotated["annotations"]) == 1


def test_group_photo(client, samples):
    _, _, result = predict(client, samples / "sample1.jpg")
    assert len(result["faces"]) >= 3
    areas = [f["box"][2] * f["box"][3] for f in result["faces"]]
    assert areas == sorted(areas, reverse=True)  # main (largest) face first


def test_no_face(client, samples):
    annotated, top3, result = predict(client, samples / "no-faces.jpg")
    assert result["faces"] == [] and result["message"] == "no face found"
    assert annotated["annotations"] == []


def bad_files(tmp_path, samples):
    files = {}
    files["text.jpg"] = b"this is a text file named .jpg"
    files["empty.jpg"] = b""
    whole = (samples / "justin.jpg").read_bytes()
    files["truncated.jpg"] = whole[: len(whole) // 3]
    files["corrupt.jpg"] = whole[:600] + bytes(range(256)) * 40
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    files["dot.png"] = buf.getvalue()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files]


def test_bad_inputs_get_clear_errors_and_the_server_keeps_serving(client, samples, tmp_path):
    from gradio_client.exceptions import AppError

    for path in bad_files(tmp_path, samples):
        with pytest.raises(AppError) as err:
            predict(client, path)
        message = str(err.value)
        assert path.name in message and "/tmp/" not in message, message
        assert any(w in message for w in ("not an image", "empty file", "truncated", "corrupt", "too small")), message
        _, _, result = predict(client, samples / "justin.jpg")  # still answers
        assert len(result["faces"]) == 1


def test_unusual_but_valid_images(client, samples, tmp_path):
    photo = Image.open(samples / "justin.jpg")
    rgba = photo.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(tmp_path / "alpha.png")
    photo.convert("P").save(tmp_path / "palette.png")
    gray16 = (np.asarray(photo.convert("L"), np.uint16) * 257).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "gray16.png")
    rotated = photo.rotate(90, expand=True)  # stored sideways, EXIF says: rotate back
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(tmp_path / "exif.jpg", exif=exif)
    big = photo.resize((10000, 10000))
    big.save(tmp_path / "huge.jpg", quality=60)
    for name in ("alpha.png", "palette.png", "gray16.png", "exif.jpg", "huge.jpg"):
        _, _, result = predict(client, tmp_path / name)
        assert len(result["faces"]) == 1, name
    _, _, result = predict(client, tmp_path / "huge.jpg")
    assert min(result["faces"][0]["box"][2:]) > 2000  # boxes in the original 10000 px frame
