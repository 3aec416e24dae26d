"""End to end: launch demo.py on a free localhost port and call /predict with gradio_client,
as a user of the API would; bad inputs get a clear error and the server keeps serving.
The photo it sends back is checked against the input photo: a JPEG at most DISPLAY_SIDE
px long with the boxes drawn where the JSON says the faces are."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from emoji_fer.images import load_rgb
from emoji_fer.app.photo_tab import DISPLAY_SIDE
from tests.conftest import demo_server

pytestmark = pytest.mark.slow  # the demo served


@pytest.fixture(scope="module")
def client(samples):
    from gradio_client import Client

    with demo_server() as (url, _):
        yield Client(url, verbose=False)


def predict(client, path):
    from gradio_client import handle_file

    annotated, top3, result = client.predict(handle_file(str(path)), api_name="/predict")
    return annotated, top3, result


def shown_and_original(annotated, photo):
    """The photo the demo sent back (a path to a JPEG) and the input photo scaled to the
    same size, both (h, w, 3) int16 RGB; the JPEG's size must be the photo's, scaled to
    at most DISPLAY_SIDE px on its longest side."""
    with Image.open(annotated) as image:
        assert image.format == "JPEG"
        shown = np.asarray(image.convert("RGB"), np.int16)
    original, _ = load_rgb(photo)
    height, width = original.shape[:2]
    scale = min(1.0, DISPLAY_SIDE / max(height, width))
    assert shown.shape == (round(height * scale), round(width * scale), 3)
    scaled = cv2.resize(original, (shown.shape[1], shown.shape[0]), interpolation=cv2.INTER_AREA)
    return shown, scaled.astype(np.int16), width / shown.shape[1]


def edge_difference(shown, original, box, factor):
    """Mean absolute RGB difference between the two images along the middle half of a
    box's left and right sides (box [x, y, w, h] in original px; factor: original px per
    shown px). The drawn box lies there; the emoji and label are above and below it."""
    x, y, w, h = (round(v / factor) for v in box)
    rows = slice(y + h // 4, y + 3 * h // 4)
    diffs = [np.abs(shown[rows, col] - original[rows, col]).mean() for col in (x, x + w)]
    return float(np.mean(diffs))


def test_one_face(client, samples):
    annotated, top3, result = predict(client, samples / "justin.jpg")
    assert result["schema_version"] == 1
    assert len(result["faces"]) == 1
    assert result["faces"][0]["top"][0]["label"] == "happy"
    assert top3["label"] == "😄 happy" and len(top3["confidences"]) == 3
    shown, original, factor = shown_and_original(annotated, samples / "justin.jpg")
    assert factor == 1  # 381x384: shown at its own size
    assert edge_difference(shown, original, result["faces"][0]["box"], factor) > 30  # the box is drawn
    # Elsewhere (the top-left corner, away from the face) only JPEG's small losses.
    assert np.abs(shown[:60, :60] - original[:60, :60]).mean() < 6


def test_group_photo(client, samples):
    annotated, _, result = predict(client, samples / "sample1.jpg")
    assert len(result["faces"]) >= 3
    areas = [f["box"][2] * f["box"][3] for f in result["faces"]]
    assert areas == sorted(areas, reverse=True)  # main (largest) face first
    shown, original, factor = shown_and_original(annotated, samples / "sample1.jpg")
    assert max(shown.shape[:2]) == DISPLAY_SIDE  # 1920x1280 -> 1024x683
    for face in result["faces"]:  # boxes in original pixels, drawn at the shown scale
        assert edge_difference(shown, original, face["box"], factor) > 30, face["box"]


def test_no_face(client, samples):
    annotated, top3, result = predict(client, samples / "no-faces.jpg")
    assert result["faces"] == [] and result["message"] == "no face found"
    shown, original, _ = shown_and_original(annotated, samples / "no-faces.jpg")
    assert np.abs(shown - original).mean() < 6  # nothing drawn


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
