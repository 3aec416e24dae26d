"""Video files: frame sampling by timestamp, clear errors, bounded memory, no-face rows, and
`python -m emoji_fer video` on ../shared/samples/woman2.mp4."""

import cv2
import numpy as np
import pytest
from PIL import Image

from emoji_fer.labels import LABELS
from emoji_fer.video import VideoError, analyze_video, iter_frames, probe
from tests.conftest import check_woman2_rows, read_rows, run_module


def write_avi(path, frames, fps):
    """Motion-JPEG AVI (encoded by OpenCV, no extra tools): frames are (H, W, 3) uint8 RGB."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, frames[0].shape[1::-1])
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_sampling_by_timestamp(woman2):
    info = probe(woman2)
    assert (info.width, info.height, info.frames) == (596, 336, 464) and info.fps == pytest.approx(29.97)
    sampled = [t for t, rgb, s in iter_frames(woman2, 2.0)]
    assert len(sampled) == 31 and sampled[0] == 0.0 and sampled[-1] == pytest.approx(15.015, abs=1e-3)
    every = [(t, s) for t, rgb, s in iter_frames(woman2, 2.0, every_frame=True)]
    assert len(every) == 464 and [t for t, s in every if s] == sampled
    assert len(list(iter_frames(woman2, 30.0))) == 464  # at or above the video's rate: every frame


def test_bad_videos_get_clear_errors(tmp_path, woman2):
    whole = woman2.read_bytes()
    cases = {
        "missing.mp4": (None, "no such file"),
        "empty.mp4": (b"", "empty file"),
        "notes.mp4": (b"this is text, not a video" * 10, "not a video file"),
        "truncated.mp4": (whole[: len(whole) // 3], "cannot decode"),  # its index (moov) is at the end
        "header-only.mp4": (whole[:200], "cannot decode"),
    }
    for name, (data, message) in cases.items():
        if data is not None:
            (tmp_path / name).write_bytes(data)
        with pytest.raises(VideoError, match=message) as err:
            list(iter_frames(tmp_path / name))
        assert str(err.value).startswith(str(tmp_path / name))  # the path as given
    zero = tmp_path / "zero-frames.avi"
    cv2.VideoWriter(str(zero), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48)).release()
    with pytest.raises(VideoError, match="no frames"):
        list(iter_frames(zero))
    with pytest.raises(ValueError):
        list(iter_frames(woman2, 0))


def test_a_video_that_breaks_off_yields_the_frames_before(tmp_path):
    frames = [np.full((120, 160, 3), i * 8, np.uint8) for i in range(30)]
    data = write_avi(tmp_path / "full.avi", frames, 10).read_bytes()
    (tmp_path / "cut.avi").write_bytes(data[: len(data) // 2])
    got = list(iter_frames(tmp_path / "cut.avi", 10.0))
    assert 5 <= len(got) < 30


@pytest.mark.slow
def test_memory_stays_bounded_on_a_long_video(tmp_path):
    """3,000 frames of 320x240 (690 MB if held as RGB arrays): decoding them all must not
    grow the process by more than 60 MB (one frame is 0.23 MB; the rest is decoder state)."""
    ramp = np.linspace(0, 255, 320, dtype=np.uint8)
    base = np.broadcast_to(ramp[None, :, None], (240, 320, 3))
    path = tmp_path / "long.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (320, 240))
    for i in range(3000):
        writer.write(np.roll(base, i, axis=1))
    writer.release()

    def rss_mb():
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024

    before, peak, n = rss_mb(), 0.0, 0
    for n, (t, rgb, sampled) in enumerate(iter_frames(path, 25.0, every_frame=True), 1):
        if n % 500 == 0:
            peak = max(peak, rss_mb())
    assert n == 3000
    assert peak - before < 60, f"RSS grew {peak - before:.0f} MB while decoding"


def test_no_face_samples_are_rows_with_faces_0(tmp_path, samples, predictor):
    face = np.asarray(Image.open(samples / "justin.jpg").convert("RGB").resize((320, 320)))
    empty = np.asarray(Image.open(samples / "no-faces.jpg").convert("RGB").resize((320, 320)))
    path = write_avi(tmp_path / "mixed.avi", [face, face, empty, empty] * 2, 4)  # 2 s, 1 s per kind
    annotated = tmp_path / "annotated.webm"
    timeline = analyze_video(predictor, path, fps=2.0, annotated_path=annotated)
    assert list(timeline.face_counts) == [1, 0, 1, 0]
    rows = read_rows(timeline.to_csv())
    assert rows[1]["faces"] == 0 and all(rows[1][label] is None for label in LABELS)
    assert timeline.summary()["no_face"] == 2 and timeline.summary()["dominant"] == "happy"
    assert probe(annotated).width == 320 and len(list(iter_frames(annotated, 30.0))) == 8


def test_cli_video_to_csv_and_plot(cli_rows):
    proc, text, out = cli_rows
    check_woman2_rows(read_rows(text))
    assert "Dominant expression" in proc.stdout and "31 samples" in proc.stdout
    assert "15.5/15.5 s" in proc.stderr  # the progress bar, on stderr, ends full
    assert Image.open(out / "plot.png").size == (1000, 400)


def test_cli_bad_video_exits_2_with_a_clear_message(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 20)
    proc = run_module("emoji_fer", "video", str(bad))
    assert proc.returncode == 2 and proc.stdout == ""
    assert f"error: {bad}: cannot decode this video" in proc.stderr and "Traceback" not in proc.stderr
