"""Video files: sample frames at a set rate and classify them into a Timeline.

Decoding is OpenCV's (its FFmpeg backend, inside the opencv-python-headless wheel).
Frames are decoded one at a time and dropped after use, so memory does not grow with the
video's length; only the Timeline rows (80 bytes each) accumulate.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

import cv2

from emoji_fer.images import MAX_PIXELS
from emoji_fer.timeline import Timeline

DEFAULT_FPS = 2.0  # Hz
MAX_FPS = 30.0  # Hz: beyond a camera's own rate nothing new is sampled

# The containers we open, by their first bytes. Checking the content (not the name) keeps
# FFmpeg away from anything else an upload might be, such as a playlist that points it
# at other files or URLs, and gives a plain message for a file that is no video at all.
_ISO_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")  # MP4 / MOV / M4V / 3GP


class VideoError(ValueError):
    """The file is not a usable video; the message says why in words a user understands."""


@dataclass(frozen=True)
class VideoInfo:
    """What the container says: width and height in px, fps in Hz, frames (count) and
    duration_s in s; fps, frames and duration_s are 0 when the container does not say."""

    width: int
    height: int
    fps: float
    frames: int
    duration_s: float


def _check_container(path):
    if not os.path.exists(path):
        raise VideoError(f"{path}: no such file")
    if os.path.isdir(path):
        raise VideoError(f"{path}: is a folder, not a video")
    with open(path, "rb") as f:
        head = f.read(12)
    if not head:
        raise VideoError(f"{path}: empty file (0 bytes)")
    if not (head[4:8] in _ISO_BOXES or head[:4] == b"\x1a\x45\xdf\xa3"
            or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")):
        raise VideoError(f"{path}: not a video file (expected MP4, MOV, WebM, MKV or AVI content)")


def _open(path):
    """An opened cv2.VideoCapture and its VideoInfo; raises VideoError."""
    path = str(path)
    _check_container(path)
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise VideoError(f"{path}: cannot decode this video (truncated, corrupt or an unsupported codec)")
    fps = cap.get(cv2.CAP_PROP_FPS)
    fps = fps if math.isfinite(fps) and 0 < fps < 1000 else 0.0
    frames = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    info = VideoInfo(int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), fps, frames,
                     frames / fps if fps and frames else 0.0)
    if info.width * info.height > MAX_PIXELS:
        # Each frame is decoded in full: the images' pixel cap holds for frames too.
        cap.release()
        raise VideoError(f"{path}: frames of {info.width}x{info.height} px are too large to decode safely "
                         f"(at most {MAX_PIXELS / 1e6:g} megapixels)")
    return cap, info


def probe(path):
    """VideoInfo of a video file, without decoding frames. Raises VideoError."""
    cap, info = _open(path)
    cap.release()
    return info


def iter_frames(path, fps=DEFAULT_FPS, every_frame=False):
    """Decode a video and yield the frames sampled at `fps` Hz.

    Yields (t, rgb, sampled): t the frame's timestamp in s (increasing), rgb (H, W, 3)
    uint8, sampled True for the frame nearest to each multiple of 1/fps (at most one per
    period; every frame when fps >= the video's own rate). every_frame=True also yields
    the frames in between (sampled False), for writing an annotated copy; otherwise they
    are skipped without colour conversion.
    Raises VideoError if the file cannot be opened or no frame can be decoded; a video
    that breaks off part-way yields the frames before the break.
    """
    if not (0 < fps <= MAX_FPS):
        raise ValueError(f"fps must be in (0, {MAX_FPS:g}] Hz, got {fps}")
    cap, info = _open(path)
    # A frame counts for sample k when it is the first within half a frame of k / fps.
    half_frame = 0.5 / info.fps if info.fps else 0.0
    last_k, last_t, index = -1, -math.inf, 0
    try:
        while cap.grab():
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(t) or t <= last_t:  # containers without usable timestamps
                t = index / info.fps if info.fps and index / info.fps > last_t else last_t + 1e-3
            last_t, index = t, index + 1
            k = math.floor((t + half_frame) * fps)
            sampled = k > last_k
            if sampled:
                last_k = k
            if sampled or every_frame:
                ok, bgr = cap.retrieve()
                if not ok:
                    break
                yield t, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), sampled
    finally:
        cap.release()
    if index == 0:
        raise VideoError(f"{path}: the video has no frames that can be decoded")


class AnnotatedWriter:
    """Write frames to a video file: VP8 in WebM for a `.webm` path (plays in browsers),
    MPEG-4 Part 2 for `.mp4`, Motion JPEG for `.avi`. OpenCV's wheel has no H.264 encoder.
    fps: frame rate in Hz; frames: (H, W, 3) uint8 RGB, all the size of the first one."""

    CODECS = {".webm": "VP80", ".mp4": "mp4v", ".avi": "MJPG"}

    def __init__(self, path, fps):
        self.path = Path(path)
        if self.path.suffix.lower() not in self.CODECS:
            raise VideoError(f"annotated video must end in {', '.join(self.CODECS)}, got {self.path.name}")
        self.fps = fps
        self._writer = None

    def write(self, rgb):
        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*self.CODECS[self.path.suffix.lower()])
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (rgb.shape[1], rgb.shape[0]))
            if not self._writer.isOpened():
                raise VideoError(f"cannot write {self.path}")
        self._writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

    def close(self):
        if self._writer is not None:
            self._writer.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def analyze_video(predictor, path, fps=DEFAULT_FPS, progress=None, annotated_path=None):
    """Classify the main face of a video sampled at `fps` Hz.

    predictor: an emoji_fer.predictor.Predictor. progress: called as progress(t, duration)
    in s after each decoded frame that is used (duration 0 if unknown). annotated_path:
    also write a copy of the video (every frame, at the video's own rate) with boxes and
    emoji of the latest sample, see AnnotatedWriter.
    Returns a Timeline with one row per sample (faces = 0 and no probabilities for samples
    without a face). Raises VideoError for missing, non-video, undecodable or frameless files.
    """
    from emoji_fer.draw import draw_faces

    info = probe(path)
    timeline = Timeline()
    writer = AnnotatedWriter(annotated_path, info.fps or fps) if annotated_path else None
    faces = []
    try:
        for t, rgb, sampled in iter_frames(path, fps, every_frame=writer is not None):
            if sampled:
                result = predictor.predict_rgb(rgb)
                timeline.add_result(t, result)
                faces = result["faces"]
            if writer is not None:
                # Between samples the boxes of the latest sample stay on screen.
                writer.write(draw_faces(rgb, faces))
            if progress is not None:
                progress(t, info.duration_s)
    finally:
        if writer is not None:
            writer.close()
    return timeline
