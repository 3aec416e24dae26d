"""What the Gradio demo shows, independent of Gradio itself: for a photo, the boxes with
their top emoji, the main face's top-3 and the per-face JSON; for the webcam and video
tabs, the expression timeline (plot data, summary, CSV file)."""

import shutil
import tempfile
import time
from pathlib import Path

from emoji_fer.images import ImageError, load_rgb
from emoji_fer.live import LiveSession
from emoji_fer.timeline import summary_text
from emoji_fer.video import VideoError, analyse_video, probe

VIDEO_MAX_S = 3600  # s: longer videos are refused by the demo (the CLI has no limit)
EXPORT_MAX_AGE_S = 900  # s: our copies of exported files; Gradio serves its own cached copy


def analyze(predictor, image, top_k=3):
    """Classify one uploaded image for display.

    image: a path (what gr.Image(type="filepath") passes). Returns (annotations, main_top,
    result): annotations = (rgb (H, W, 3) uint8, [((x0, y0, x1, y1), "😄 happy 87 %"), ...])
    for gr.AnnotatedImage; main_top = {"😄 happy": p, ...} top-k of the largest face (empty
    if none) for gr.Label; result = the CLI's per-image dict (faces, whole_image, message).
    Raises ImageError with a user-facing message for unusable images.
    """
    if image is None:
        raise ImageError("no image given: upload a photo or take one with the webcam")
    rgb, factor = _load(image)
    result = predictor.predict_rgb(rgb, factor, top_k=top_k)
    boxes = []
    for face in result["faces"]:
        x, y, w, h = (round(v / factor) for v in face["box"])
        best = face["top"][0]
        boxes.append(((x, y, x + w, y + h), f"{best['emoji']} {best['label']} {best['score']:.0%}"))
    return (rgb, boxes), _main_top(result), result


def _load(image):
    try:
        return load_rgb(image)
    except ImageError as err:
        # Uploads arrive under a server temp folder: name only the file the user chose.
        raise ImageError(str(err).replace(str(image), Path(str(image)).name)) from None


def _main_top(result):
    """{"😄 happy": p, ...}: the top-k of the largest face, or {} with no face."""
    if not result["faces"]:
        return {}
    return {f"{t['emoji']} {t['label']}": t["score"] for t in result["faces"][0]["top"]}


def live_frame(predictor, session, image, rate):
    """One webcam frame of a live session.

    session: a LiveSession or None (a new one is made); image: a frame as a file path
    or an (H, W, 3) uint8 RGB array (what the streaming gr.Image(type="numpy") sends);
    rate: samples per second (Hz). Returns (session, update): update is None when the frame
    came before the next sample was due (the display stays as it is), else a dict
    {"top": {"😄 happy": p, ...} or "no face", "summary": markdown text} for the sample
    just taken. Raises ImageError for an unusable frame.
    """
    session = session or LiveSession()
    if image is None or not session.due(rate):
        return session, None
    rgb, factor = _load(image)
    result = predictor.predict_rgb(rgb, factor)
    session.record(result, rate)
    return session, {"top": _main_top(result) or "no face", "summary": live_summary(session)}


def live_summary(session):
    """Markdown summary of a live session (or a prompt when it has no samples)."""
    if session is None or not len(session.timeline):
        return "Start the webcam to record your expression timeline."
    text = summary_text(session.timeline.summary(), markdown=True)
    if session.timeline.dropped:
        text += f"\n\n(the oldest {session.timeline.dropped} samples were dropped: a session keeps the latest " \
                f"{session.timeline.max_rows})"
    return text


def video_timeline(predictor, path, fps, annotate=False, progress=None):
    """Analyse an uploaded video for the demo.

    path: the upload's file path; fps: samples per second (Hz); annotate: also write an
    annotated WebM copy; progress(t, duration) in s. Returns (timeline, summary markdown,
    csv path, annotated path or None). Raises VideoError with the file's name (never the
    server's temp path) for missing, non-video, undecodable, frameless or too long videos.
    """
    if path is None:
        raise VideoError("no video given: upload an MP4, WebM or MOV file")
    name = Path(path).name
    try:
        info = probe(path)
        if info.duration_s > VIDEO_MAX_S:
            raise VideoError(f"{name}: {info.duration_s / 60:.0f} min is longer than the demo's limit of "
                             f"{VIDEO_MAX_S // 60} min; use the command `emoji-fer video` instead")
        folder = export_dir()
        annotated = folder / f"{Path(name).stem}-emoji.webm" if annotate else None
        timeline = analyse_video(predictor, path, fps, progress, annotated)
    except VideoError as err:
        raise VideoError(str(err).replace(str(path), name)) from None
    csv_path = folder / f"{Path(name).stem}-timeline.csv"
    timeline.write_csv(csv_path)
    summary = summary_text(timeline.summary(), markdown=True)
    return timeline, summary, str(csv_path), str(annotated) if annotated else None


def write_export(timeline, name):
    """Write a timeline's CSV into a fresh export folder; returns its path (str)."""
    path = export_dir() / name
    timeline.write_csv(path)
    return str(path)


_EXPORT_ROOT = None


def export_dir():
    """A new folder for one request's files, under one temp folder per server process.

    Gradio copies returned files into its own cache (which `delete_cache` empties), so our
    originals are only needed for a moment: folders older than EXPORT_MAX_AGE_S are
    removed here, keeping disk use bounded.
    """
    global _EXPORT_ROOT
    if _EXPORT_ROOT is None or not _EXPORT_ROOT.is_dir():
        _EXPORT_ROOT = Path(tempfile.mkdtemp(prefix="emoji_fer-exports-"))
    now = time.time()
    for old in _EXPORT_ROOT.iterdir():
        try:
            if now - old.stat().st_mtime > EXPORT_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # removed by a concurrent request
            pass
    return Path(tempfile.mkdtemp(dir=_EXPORT_ROOT))


__all__ = ["analyze", "live_frame", "live_summary", "video_timeline", "write_export", "export_dir",
           "ImageError", "VideoError"]
