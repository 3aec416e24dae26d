"""Every kind of bad or unusual image file gets decoded correctly or a clear ImageError."""

import io

import numpy as np
import pytest
from PIL import Image

from emoji_fer.images import MAX_SIDE, ImageError, load_rgb


def jpeg_bytes(image, **kw):
    buf = io.BytesIO()
    image.save(buf, "JPEG", **kw)
    return buf.getvalue()


@pytest.fixture
def face_jpeg(tmp_path):
    gradient = np.tile(np.linspace(0, 255, 120, dtype=np.uint8), (80, 1))
    path = tmp_path / "photo.jpg"
    Image.fromarray(np.stack([gradient] * 3, -1)).save(path)
    return path


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"this is plain text, not a JPEG", "not an image file"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "not an image file|corrupt or truncated"),
])
def test_unreadable_files(tmp_path, content, message):
    path = tmp_path / "upload.jpg"
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message):
        load_rgb(path)


def test_truncated_jpeg(tmp_path, face_jpeg):
    data = face_jpeg.read_bytes()
    path = tmp_path / "truncated.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_rgb(path)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(ImageError, match="no such file"):
        load_rgb(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        load_rgb(tmp_path)


def test_one_pixel_image_is_too_small(tmp_path):
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    with pytest.raises(ImageError, match="too small"):
        load_rgb(tmp_path / "dot.png")


def test_huge_jpeg_is_downscaled_while_decoding(tmp_path):
    big = Image.new("RGB", (10000, 10000), (120, 90, 60))
    path = tmp_path / "huge.jpg"
    big.save(path, quality=50)
    del big
    rgb, factor = load_rgb(path)
    assert max(rgb.shape[:2]) <= MAX_SIDE and rgb.dtype == np.uint8
    assert factor == pytest.approx(10000 / max(rgb.shape[:2]))


@pytest.mark.parametrize("mode", ["RGBA", "P", "L", "I;16", "LA", "CMYK"])
def test_every_mode_becomes_rgb(tmp_path, mode):
    base = Image.fromarray(np.tile(np.arange(64, dtype=np.uint8) * 4, (64, 1))).convert("RGB")
    if mode == "I;16":
        image = Image.fromarray((np.asarray(base.convert("L"), np.uint16) * 256).astype(np.uint16))
    else:
        image = base.convert(mode)
    path = tmp_path / ("img.png" if mode != "CMYK" else "img.jpg")
    image.save(path)
    rgb, _ = load_rgb(path)
    assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
    # the left-to-right gradient survives (16-bit included: no clipping to white)
    assert rgb[:, -1].mean() > rgb[:, 0].mean() + 100


def test_transparent_pixels_become_white(tmp_path):
    Image.new("RGBA", (32, 32), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    rgb, _ = load_rgb(tmp_path / "clear.png")
    assert rgb.min() == 255


def test_exif_orientation_is_respected(tmp_path):
    image = Image.new("RGB", (120, 60), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    path = tmp_path / "phone.jpg"
    path.write_bytes(jpeg_bytes(image, exif=exif))
    rgb, _ = load_rgb(path)
    assert rgb.shape[:2] == (120, 60)  # displayed portrait: height 120, width 60


def test_bytes_and_arrays_are_accepted(face_jpeg):
    from_bytes, _ = load_rgb(face_jpeg.read_bytes())
    from_array, _ = load_rgb(from_bytes)
    assert from_bytes.shape == from_array.shape == (80, 120, 3)
    with pytest.raises(ImageError, match="not an"):
        load_rgb(np.zeros((10, 10), np.float32))


def test_an_image_over_the_pixel_cap_is_refused_before_decoding(tmp_path):
    """A decompression bomb: a 1-bit PNG of a few KB that would decode to 49 megapixels."""
    from emoji_fer.images import MAX_PIXELS

    side = 7000
    assert side * side > MAX_PIXELS
    Image.new("1", (side, side)).save(tmp_path / "bomb.png")
    assert (tmp_path / "bomb.png").stat().st_size < 100_000
    decoded = []
    with pytest.raises(ImageError, match="too large to decode safely"):
        load_rgb(tmp_path / "bomb.png", budget=lambda cost: decoded.append(cost))
    assert decoded == []  # refused from the header: the decode was never even queued


@pytest.mark.parametrize("fmt, suffix", [("PPM", ".ppm"), ("ICO", ".ico"), ("TGA", ".tga")])
def test_formats_outside_the_list_are_not_parsed(tmp_path, fmt, suffix):
    path = tmp_path / f"face{suffix}"
    Image.new("RGB", (64, 64), (200, 150, 100)).save(path, fmt)
    with pytest.raises(ImageError, match="not an image file"):
        load_rgb(path)


def test_the_decode_budget_runs_what_does_not_fit_one_at_a_time():
    import threading
    import time

    from emoji_fer.images import DecodeBudget

    budget, running, most = DecodeBudget(100), [0], [0]
    lock = threading.Lock()

    def decode(cost):
        with budget(cost):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1

    def run(costs):
        most[0] = 0
        threads = [threading.Thread(target=decode, args=(c,)) for c in costs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return most[0]

    assert run([60, 60, 60]) == 1  # two would not fit: one at a time
    assert run([30, 30, 30]) == 3  # all fit at once
    assert run([500, 10]) == 1  # over the capacity: alone
    assert budget.used == 0


def test_a_large_decode_is_not_starved_by_small_ones():
    import threading
    import time

    from emoji_fer.images import DecodeBudget

    budget, started = DecodeBudget(100), []

    def decode(name, cost, hold):
        with budget(cost):
            started.append(name)
            time.sleep(hold)

    first = threading.Thread(target=decode, args=("small-1", 10, 0.3))
    first.start()
    time.sleep(0.05)
    threads = [threading.Thread(target=decode, args=("large", 100, 0.05))]
    threads[0].start()
    time.sleep(0.05)
    threads += [threading.Thread(target=decode, args=(f"small-{i}", 10, 0.05)) for i in (2, 3)]
    for t in threads[1:]:
        t.start()
        time.sleep(0.02)
    for t in [first, *threads]:
        t.join()
    assert started == ["small-1", "large", "small-2", "small-3"]


def test_a_large_array_is_not_refused_but_shrunk():
    """The pixel cap guards decoding; an array already in memory is only shrunk."""
    from emoji_fer.images import MAX_PIXELS

    side = int(MAX_PIXELS ** 0.5) + 100
    rgb, factor = load_rgb(np.zeros((side, side, 3), np.uint8))
    assert max(rgb.shape[:2]) == MAX_SIDE and factor == pytest.approx(side / MAX_SIDE)
