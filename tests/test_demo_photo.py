"""The Photo tab's output path, in-process: the photo drawn with its boxes,
numbered when there are several faces, downscaled and written as a JPEG; the pool of
Predictors; Gradio sessions that compute component configs lazily; the example photos."""

import os
import platform
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from emoji_fer.draw import _rgb, draw_faces
from emoji_fer.images import load_rgb
from emoji_fer.app.photo_tab import DISPLAY_SIDE, analyze, annotate, write_jpeg
from emoji_fer.app.pool import PredictorPool
from emoji_fer.timeline import COLORS
from tests.conftest import ROOT


def face(box, label="happy", score=0.8):
    return {"box": box, "top": [{"label": label, "emoji": "😄", "score": score}]}


def test_annotate_downscales_and_draws_boxes_at_the_shown_scale(predictor, samples):
    rgb, factor = load_rgb(samples / "sample6.jpg")  # 1920x1537
    result = predictor.predict_rgb(rgb, factor)
    shown = annotate(rgb, result["faces"], factor)
    assert shown.dtype == np.uint8 and shown.shape == (820, DISPLAY_SIDE, 3)
    plain = cv2.resize(rgb, (DISPLAY_SIDE, 820), interpolation=cv2.INTER_AREA).astype(int)
    scale = DISPLAY_SIDE / 1920
    for f in result["faces"]:
        x, y, w, h = (round(v * scale) for v in f["box"])
        rows = slice(y + h // 4, y + 3 * h // 4)
        colour = _rgb(COLORS[f["top"][0]["label"]])
        for side in (x, x + w):  # the box's sides, in its expression's colour
            assert np.median(np.abs(shown[rows, side].astype(int) - colour).max(axis=1)) < 10
        middle = np.abs(shown[rows, x + w // 2].astype(int) - plain[rows, x + w // 2])
        assert middle.mean() < 8  # the face itself: the photo, downscaled
    assert rgb.shape == (1537, 1920, 3)  # the input is left as it was
    small = np.full((300, 200, 3), 90, np.uint8)
    assert annotate(small, [], 1.0).shape == small.shape  # no upscaling


def label_width(image, box, label):
    """Width in px of the label bar (filled in the label's colour) just under a box."""
    x, y, w, h = box
    row = image[y + h + 8, :].astype(int)
    return int((np.abs(row - _rgb(COLORS[label])).sum(axis=1) < 30).sum())


def test_several_faces_are_numbered():
    """With numbered=True each label starts with "#i", so its bar is wider than the same
    label without the number; the picture is otherwise the same."""
    blank = np.full((400, 600, 3), 255, np.uint8)
    faces = [face([40, 60, 200, 200]), face([330, 60, 200, 200], "sad", 0.6)]
    plain, numbered = draw_faces(blank, faces), draw_faces(blank, faces, numbered=True)
    for f in faces:
        label = f["top"][0]["label"]
        assert label_width(numbered, f["box"], label) > label_width(plain, f["box"], label) + 10
    assert np.array_equal(plain[:260], numbered[:260])  # boxes and emoji: the same
    # annotate numbers them when there are several faces, not for one.
    assert np.array_equal(annotate(blank, faces[:1]), draw_faces(blank, faces[:1]))
    assert np.array_equal(annotate(blank, faces), numbered)


def test_labels_stay_inside_the_picture():
    blank = np.full((300, 300, 3), 255, np.uint8)
    box = [230, 100, 60, 60]
    out = draw_faces(blank, [face(box, "surprise", 0.99)], numbered=True)
    bar = np.flatnonzero(np.abs(out[box[1] + box[3] + 8].astype(int) - 255).sum(axis=1) > 30)
    assert bar.size and bar[-1] == 299  # it ends at the right edge ...
    assert bar[0] < box[0]  # ... moved left of the box: not cut off


def test_write_jpeg_names_files_by_content(tmp_path):
    image = np.zeros((120, 160, 3), np.uint8)
    image[:, :80] = (255, 0, 0)  # red on the left: checks the RGB -> BGR order
    path = Path(write_jpeg(image, tmp_path))
    assert path.parent == tmp_path and path.suffix == ".jpg"
    with Image.open(path) as jpeg:
        assert jpeg.format == "JPEG" and jpeg.size == (160, 120)
        pixels = np.asarray(jpeg.convert("RGB"), int)
    assert np.abs(pixels[60, 20] - (255, 0, 0)).max() < 20 and pixels[60, 140].max() < 20
    os.utime(path, (1_000_000, 1_000_000))  # as if written long ago
    assert write_jpeg(image, tmp_path) == str(path)  # the same picture: the same file ...
    assert time.time() - path.stat().st_mtime < 60  # ... touched: delete_cache goes by age
    assert len(list(tmp_path.iterdir())) == 1
    image[0, 0] = 255
    assert write_jpeg(image, tmp_path) != str(path)


def test_analyze_gives_the_predictors_result(predictor, samples):
    path = str(samples / "sample1.jpg")
    shown, top, result = analyze(predictor, path)
    assert result == predictor.predict(path)
    assert shown.shape == (683, DISPLAY_SIDE, 3)
    assert list(top) == [f"{t['emoji']} {t['label']}" for t in result["faces"][0]["top"]]


class SlowPredictor:
    """Stands in for a Predictor: records how many calls run at once, on it and in all."""

    running = 0
    most = 0
    lock = threading.Lock()

    def __init__(self):
        self.metadata, self.model_sha256, self.busy = {"labels": []}, "0" * 64, False

    def predict_rgb(self, rgb, factor=1.0, top_k=3):
        with SlowPredictor.lock:
            assert not self.busy, "a Predictor was given two calls at once"
            self.busy = True
            SlowPredictor.running += 1
            SlowPredictor.most = max(SlowPredictor.most, SlowPredictor.running)
        time.sleep(0.05)
        with SlowPredictor.lock:
            self.busy = False
            SlowPredictor.running -= 1
        return {"factor": factor, "top_k": top_k}


def test_pool_runs_one_call_per_predictor_and_all_of_them_at_once():
    pool = PredictorPool([SlowPredictor(), SlowPredictor()])
    assert pool.model_sha256 == "0" * 64
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(pool.predict_rgb(None, 2.0, top_k=1)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [{"factor": 2.0, "top_k": 1}] * 6
    assert SlowPredictor.most == 2  # both used, never more calls than Predictors
    with pytest.raises(ValueError):
        PredictorPool([])


def test_pool_of_real_predictors_gives_the_same_results(samples):
    pool = PredictorPool.load(2)
    rgb, factor = load_rgb(samples / "sample4.jpg")
    results = []
    threads = [threading.Thread(target=lambda: results.append(pool.predict_rgb(rgb, factor))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == results[0] for r in results)
    assert results[0] == pool.predictors[0].predict_rgb(rgb, factor)


def test_lazy_sessions_give_gradios_configs(predictor, tmp_path):
    """LazySessionState holds the same component configs as Gradio's own SessionState,
    before and after an output is updated; it computes them only when asked."""
    from gradio.state_holder import SessionState

    import demo as demo_module
    from emoji_fer.app.desk import FeedbackDesk
    from emoji_fer.app.server import LazySessionState

    desk = FeedbackDesk(predictor, f"sqlite:///{tmp_path / 'fb.sqlite3'}")
    demo = demo_module.build_demo(predictor, desk)
    eager, lazy = SessionState(demo), LazySessionState(demo)
    assert len(eager.config_values) > 50 and lazy.config_values == {}
    key = next(k for k, b in demo.blocks.items() if getattr(b, "label", None) == "Main face: top-3")
    for state in (eager, lazy):
        state._update_value_in_config(key, {"label": "😄 happy"})
    assert len(lazy.config_values) == 1
    assert list(lazy.components) == list(eager.components)
    desk.store.close()


def test_example_photos_are_small_and_licensed():
    import demo as demo_module

    folder = ROOT / "examples"
    sources, licence = (folder / "SOURCES.md").read_text(), (folder / "LICENSE.txt").read_text()
    assert licence.count("MIT License") == 2 and "Justin Shenk" in licence and "Vladimir Mandic" in licence
    total = 0
    for path in demo_module.EXAMPLE_PHOTOS:
        assert path.parent == folder and path.name in sources
        with Image.open(path) as image:
            assert image.format == "JPEG" and max(image.size) <= 800
        total += path.stat().st_size
    assert len(demo_module.EXAMPLE_PHOTOS) >= 3 and total < 400_000


def test_examples_cache_is_fresh_and_dead_processes_folders_go(tmp_path, monkeypatch):
    import subprocess
    import sys

    import demo as demo_module

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()  # the PID of a process that has ended
    for pid in (gone, str(os.getppid()), str(os.getpid())):
        (tmp_path / f"emoji_fer-examples-{pid}" / "27").mkdir(parents=True)
    monkeypatch.delenv("GRADIO_EXAMPLES_CACHE", raising=False)
    folder = demo_module.fresh_examples_cache(tmp_path)
    assert folder == tmp_path / f"emoji_fer-examples-{os.getpid()}" and list(folder.iterdir()) == []  # emptied
    assert folder.stat().st_mode & 0o777 == 0o700  # this user's only (the admin's thumbnails use the same folders)
    assert os.environ["GRADIO_EXAMPLES_CACHE"] == str(folder)
    assert not (tmp_path / f"emoji_fer-examples-{gone}").exists()  # its process has ended
    assert (tmp_path / f"emoji_fer-examples-{os.getppid()}" / "27").is_dir()  # a running process's: kept


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt's arenas are glibc's")
def test_bound_malloc_sets_glibcs_arenas():
    from emoji_fer.app.server import bound_malloc

    assert bound_malloc() is True
