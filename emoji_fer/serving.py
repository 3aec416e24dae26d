"""What the Gradio demo shows, independent of Gradio itself: for a photo, the boxes with
their top emoji, the main face's top-3 and the per-face JSON; for the webcam and video
tabs, the expression timeline (plot data, summary, CSV file); for the feedback buttons,
the /feedback endpoint, the Model health tab and the admin gallery, the FeedbackDesk."""

import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import cv2

from emoji_fer.draw import draw_faces
from emoji_fer.images import DecodeBudget, ImageError, load_rgb
from emoji_fer.labels import EMOJI
from emoji_fer.live import LiveSession
from emoji_fer.timeline import summary_text
from emoji_fer.video import VideoError, analyse_video, probe

# The demo's limits for what a client may send (docs/security.md says how they were chosen):
# the largest file one upload (or one request body) may hold, and the resident memory the
# server must stay within while its concurrent requests all decode the largest image allowed.
MAX_UPLOAD_MB = 100
MEMORY_BUDGET_MB = 2048
# Of which the images being decoded at once may take this much (emoji_fer.images'
# DecodeBudget): the costliest image allowed (a WebP of MAX_PIXELS) is decoded alone,
# while webcam frames and photos decode side by side.
DECODE_BUDGET_MB = 800
DECODES = DecodeBudget(DECODE_BUDGET_MB * 2**20)
VIDEO_MAX_S = 3600  # s: longer videos are refused by the demo (the CLI has no limit)
EXPORT_MAX_AGE_S = 900  # s: our copies of exported files; Gradio serves its own cached copy
# px: the longest side of the photo the demo sends back. The Photo tab shows it in half
# the page's width (about 600 CSS px, 1200 device px on a HiDPI screen), so more would
# only cost encoding time and bandwidth; the boxes in the JSON stay in original pixels.
DISPLAY_SIDE = 1024
# The JPEG quality of that photo (libjpeg's scale, 0-100): 76 and 156 KB for
# ../shared/samples sample1.jpg and sample6.jpg at 1024 px, encoded in 1.6 and 2.2 ms
# (2-core VM); the drawn lines and labels stay clean.
JPEG_QUALITY = 80


def analyze(predictor, image, top_k=3):
    """Classify one uploaded image for display.

    image: a path (what gr.Image(type="filepath") passes). Returns (annotated, main_top,
    result): annotated = the photo as shown, (h, w, 3) uint8 RGB with max(h, w) <=
    DISPLAY_SIDE, every face's box, emoji and top label drawn (see annotate); main_top =
    {"😄 happy": p, ...} top-k of the largest face (empty if none) for gr.Label; result =
    the CLI's per-image dict (faces, whole_image, message).
    Raises ImageError with a user-facing message for unusable images.
    """
    if image is None:
        raise ImageError("no image given: upload a photo or take one with the webcam")
    rgb, factor = _load(image)
    result = predictor.predict_rgb(rgb, factor, top_k=top_k)
    return annotate(rgb, result["faces"], factor), _main_top(result), result


def annotate(rgb, faces, factor=1.0, max_side=DISPLAY_SIDE):
    """The photo as the demo shows it: downscaled to at most `max_side` px on its longest
    side, each face's box in its expression's colour with a drawn emoji and its top label
    (emoji_fer.draw.draw_faces).

    rgb: (H, W, 3) uint8 as decoded; faces: result["faces"] (boxes in original px);
    factor: original size / rgb size. Returns a new (h, w, 3) uint8 array.
    With several faces each label starts with the face's number ("#1 sad 64%"): the
    face_index of the feedback buttons and of /feedback (0 = the largest, as in the JSON).
    """
    small = _downscale(rgb, max_side)
    factor *= max(rgb.shape[:2]) / max(small.shape[:2])
    return draw_faces(small, faces, factor, numbered=len(faces) > 1)


def _downscale(rgb, max_side):
    """rgb with its longest side at most max_side px (the array itself if it is already).
    Halved with a Gaussian pyramid step (blur, then every other pixel) while at least
    twice too large, then bilinear, which aliases little at ratios under 2: 1 ms for a
    1920 px photo, where OpenCV's area averaging takes 8 ms at 1920/1024 (2-core VM)."""
    while max(rgb.shape[:2]) >= 2 * max_side:
        rgb = cv2.pyrDown(rgb)
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)


def write_jpeg(rgb, folder, quality=JPEG_QUALITY):
    """Encode an (H, W, 3) uint8 RGB image as a JPEG file in `folder`, named by the
    SHA-256 of its bytes (the same picture is written once); returns its path (str).

    The demo passes Gradio's cache folder: a file already there is served as it is
    (neither copied nor encoded again), and `delete_cache` removes it with the uploads
    once nobody has asked for that picture for its age limit.
    """
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a {rgb.shape} image as JPEG")
    data = data.tobytes()
    path = Path(folder) / f"{hashlib.sha256(data).hexdigest()}.jpg"
    try:
        # Already there: touched, as Gradio does with its own cached files, since
        # delete_cache goes by a file's age and this is a new reference to it.
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name, then renamed: a concurrent request for the
        # same picture never sees half a file.
        partial = path.with_name(f".{path.name}.{threading.get_ident()}")
        partial.write_bytes(data)
        os.replace(partial, path)
    return str(path)


def _load(image):
    """Decode a client's image (a path or bytes) within the server's decode budget."""
    try:
        return load_rgb(image, budget=DECODES)
    except ImageError as err:
        raise _named(err, image) from None


def _named(err, image):
    """The ImageError naming only the file the user chose: uploads arrive under a server
    temp folder, whose path is not the user's business."""
    if not isinstance(image, (str, Path)):
        return err
    return ImageError(str(err).replace(str(image), Path(str(image)).name))


def _main_top(result):
    """{"😄 happy": p, ...}: the top-k of the largest face, or {} with no face."""
    if not result["faces"]:
        return {}
    return {f"{t['emoji']} {t['label']}": t["score"] for t in result["faces"][0]["top"]}


class PredictorPool:
    """Several Predictors of one model, so that a server's requests use several CPU cores.

    One Predictor classifies one image at a time (a lock: the face detector and the LiteRT
    interpreter keep per-call state), but its work (decoding, the detector, OpenCV,
    LiteRT) runs outside Python's GIL: two Predictors in two threads got through
    ../shared/samples/sample6.jpg in 74.5 ms a photo, one in 121.1 ms (2-core VM, with
    dlib's HOG detector, the default then).

    predictors: Predictors of the same model (`PredictorPool.load` makes them). The pool
    has what the demo uses of a Predictor: predict_rgb and predict_rgb_with_inputs (each
    call takes a free Predictor, waiting for one if all are busy), metadata and
    model_sha256 (the first one's; the same file for all).
    """

    def __init__(self, predictors):
        self.predictors = list(predictors)
        if not self.predictors:
            raise ValueError("a PredictorPool needs at least one Predictor")
        self.metadata = self.predictors[0].metadata
        self.model_sha256 = self.predictors[0].model_sha256
        self._free = queue.SimpleQueue()
        for predictor in self.predictors:
            self._free.put(predictor)

    @classmethod
    def load(cls, size, *args, **kwargs):
        """`size` warmed-up Predictor(*args, **kwargs) (about 1 s and a few MB each)."""
        from emoji_fer.predictor import Predictor

        return cls(Predictor(*args, **kwargs).warm_up() for _ in range(size))

    @contextmanager
    def _take(self):
        predictor = self._free.get()
        try:
            yield predictor
        finally:
            self._free.put(predictor)

    def predict_rgb(self, *args, **kwargs):
        """Predictor.predict_rgb on a free Predictor."""
        with self._take() as predictor:
            return predictor.predict_rgb(*args, **kwargs)

    def predict_rgb_with_inputs(self, *args, **kwargs):
        """Predictor.predict_rgb_with_inputs on a free Predictor."""
        with self._take() as predictor:
            return predictor.predict_rgb_with_inputs(*args, **kwargs)


class FeedbackLiveSession(LiveSession):
    """A LiveSession that can also keep its latest sampled frame (decoded RGB, as the
    model saw it) and that frame's result, so that the Live tab's feedback buttons
    confirm or correct what the viewer was just shown. In memory only, one frame per
    session (0.9 MB at 640x480): a new sample replaces it, Reset drops it."""

    def reset(self):
        super().reset()
        self.frame = None
        self.result = None


def live_frame(predictor, session, image, rate, keep_frame=False):
    """One webcam frame of a live session.

    session: a LiveSession or None (a new FeedbackLiveSession is made); image: a frame as
    a file path or an (H, W, 3) uint8 RGB array (what the streaming gr.Image(type="numpy")
    sends); rate: samples per second (Hz); keep_frame: keep each sampled frame and its
    result in the session (for feedback). Returns (session, update): update is None when
    the frame came before the next sample was due (the display stays as it is), else a
    dict {"top": {"😄 happy": p, ...} or "no face", "summary": markdown text} for the
    sample just taken. Raises ImageError for an unusable frame.
    """
    session = session or FeedbackLiveSession()
    if image is None or not session.due(rate):
        return session, None
    rgb, factor = _load(image)
    result = predictor.predict_rgb(rgb, factor)
    session.record(result, rate)
    if keep_frame:
        session.frame, session.result = rgb, result
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


def process_folder(prefix, root=None):
    """A new, empty folder `<prefix>-<PID>` of this process's in `root` (default: the temp
    folder), readable by this user only (mode 0700); returns its Path.

    The folders `<prefix>-<PID>` of processes that are gone are removed first: uvicorn
    ends a stopped server by raising its signal again, so exit handlers never run, and
    what a server kept there (face thumbnails among it) must not outlive it for long.
    """
    root = Path(root or tempfile.gettempdir())
    for old in root.glob(f"{prefix}-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"{prefix}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # left by an earlier process with this PID
    folder.mkdir(mode=0o700, parents=True)
    return folder


def _running(pid):
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


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


# --- Feedback: confirm or correct a face, model health, the admin gallery (issue 29) ---

GALLERY_SIZE = 60  # the admin gallery shows this many of the latest corrections
THUMBNAIL_SIDE = 96  # px: the 48x48 crops are shown at twice their size (nearest neighbour, no blur)
WHAT_IS_STORED = (
    "Nothing is stored unless you press one of these buttons. A press stores: the face crop exactly as the "
    "model saw it (48x48 grayscale), the seven probabilities, the predicted and the given label, the model's "
    "version (the SHA-256 of its file), the time, the source (photo, webcam, video or api) and an anonymous "
    "session id. Never the full photo or frame.")


class FeedbackDesk:
    """The demo's side of the feedback store: the store itself, or why there is none, and
    what the feedback buttons, the /feedback endpoint, the Model health tab and the
    admin gallery do with it.

    predictor: the demo's Predictor (every submission classifies the photo again with it,
    see emoji_fer.feedback.submit). url: the store's SQLAlchemy URL (default:
    emoji_fer.feedback.default_url()). enabled=False (--no-feedback) opens nothing.
    A store that cannot be opened does not stop the demo: `store` is None, `off_reason`
    says so in words for the public page (no database location or credentials), and
    `off_detail` says why, for the server's log (credentials redacted).
    """

    def __init__(self, predictor, url=None, enabled=True):
        self.predictor = predictor
        self.enabled = enabled
        self.url = url
        self.store, self.off_reason, self.off_detail = None, None, None
        if not enabled:
            self.off_reason = self.off_detail = "feedback is turned off (--no-feedback)"
            return
        from emoji_fer.feedback import FeedbackStore, StoreUnavailable, default_url, redact

        try:
            self.store = FeedbackStore(url)
            self.url = self.store.url
        except StoreUnavailable as err:
            self.off_reason = STORE_DOWN
            self.off_detail = redact(str(err), url or default_url())

    @property
    def on(self):
        return self.store is not None

    def _store(self):
        if self.store is None:
            from emoji_fer.feedback import StoreUnavailable

            raise StoreUnavailable(f"feedback is off: {self.off_detail}")
        return self.store

    def submit_image(self, image, face_index, label, session_id=None, source="photo", shown=None):
        """Confirm or correct face `face_index` (0 = the largest) of an uploaded photo
        (its file path); returns emoji_fer.feedback.submit's {"id", "predicted", "label"}.
        label None confirms: the label is the top-1 of that face in `shown`, the result
        the page showed. Raises FeedbackError, ImageError (naming the file, never the
        server's temp path) or StoreUnavailable; nothing is stored then."""
        from emoji_fer.feedback import submit

        store = self._store()
        if image is None:
            raise ImageError("no image given: upload a photo first")
        if label is None:
            label = top_label(shown, face_index)
        rgb, _ = _load(image)  # within the decode budget; submit classifies the decoded photo
        return submit(store, self.predictor, rgb, face_index, label, source, session_id)

    def submit_webcam(self, session, face_index, label, session_id=None):
        """The same for the latest sampled frame of a live session (a FeedbackLiveSession
        that kept its frames), source "webcam"; label None confirms that sample's top-1."""
        from emoji_fer.feedback import FeedbackError, submit

        store = self._store()
        if session is None or getattr(session, "frame", None) is None:
            raise FeedbackError("no webcam sample yet: start the webcam, then say whether the emoji is right")
        if label is None:
            label = top_label(session.result, face_index)
        return submit(store, self.predictor, session.frame, face_index, label, "webcam", session_id)

    def health(self, model="all", by="day"):
        """health_view of every row in the store, against the served model's FER-2013
        PrivateTest mix."""
        from emoji_fer.health import reference_mix

        return health_view(self._store(), reference_mix(self.predictor.metadata), model, by,
                           served_sha256=self.predictor.model_sha256)

    def corrections(self, folder, limit=GALLERY_SIZE):
        return latest_corrections(self._store(), folder, limit)

    def delete(self, row_id):
        return delete_row(self._store(), row_id)


def store_files(url):
    """The files of a SQLite store (the database, its WAL, shared-memory and journal
    files), which the web server must never serve (passed to Gradio as blocked_paths);
    [] for other databases."""
    if not url or not url.startswith("sqlite:///") or url == "sqlite:///":
        return []
    db = Path(url.removeprefix("sqlite:///").split("?")[0]).resolve()
    return [str(db)] + [f"{db}{suffix}" for suffix in ("-wal", "-shm", "-journal")]


STORE_DOWN = "the feedback store cannot be reached; the server's log says why"


def public_error(err):
    """The message a client sees for an error of a feedback action: the error's own for
    a user's mistake; for a store that failed, STORE_DOWN, with the details (which name
    the database) printed to the server's log instead."""
    from emoji_fer.feedback import StoreUnavailable

    if isinstance(err, StoreUnavailable):
        print(f"* Feedback store error: {err}", flush=True)
        return f"nothing was stored: {STORE_DOWN}"
    return str(err)


def top_label(result, face_index):
    """The top-1 label of face `face_index` of a shown result: what "confirm" confirms."""
    from emoji_fer.feedback import FeedbackError

    faces = (result or {}).get("faces") or []
    if not faces:
        raise FeedbackError("no face to confirm in the latest result")
    from emoji_fer.feedback import face_number

    index = face_number(face_index)
    if not 0 <= index < len(faces):
        raise FeedbackError(f"no face number {index}: the latest result has {len(faces)} (0 is the largest)")
    return faces[index]["top"][0]["label"]


def face_choices(result):
    """[("#0 (largest): 😄 happy 87 %", 0), ...] for the face picker, from a result dict."""
    faces = (result or {}).get("faces") or []
    return [(f"#{i}{' (largest)' if i == 0 and len(faces) > 1 else ''}: {f['top'][0]['emoji']} "
             f"{f['top'][0]['label']} {f['top'][0]['score']:.0%}", i) for i, f in enumerate(faces)]


def feedback_message(reply):
    """What the page says after a stored confirmation or correction."""
    predicted, label = reply["predicted"], reply["label"]
    if predicted == label:
        return f"Stored as #{reply['id']}: you confirmed {EMOJI[label]} {label}. Thank you!"
    return (f"Stored as #{reply['id']}: the model said {EMOJI[predicted]} {predicted}, you said "
            f"{EMOJI[label]} {label}. Thank you!")


def health_view(store, reference=None, model="all", by="day", served_sha256=None):
    """The Model health tab's content, from every row of a FeedbackStore.

    reference: the served model's predicted-label mix on FER-2013 PrivateTest
    (emoji_fer.health.reference_mix) or None; model: "all" or one model's SHA-256;
    by: "day" or "week". Returns {"report": the emoji_fer.health report shown,
    "reports": report_by_model's, "figures": emoji_fer.health_plots.figures of it,
    "summary": markdown, "choices": [(label, value)] for the model picker ("all" first,
    then each model's SHA-256 prefix with its row count, newest first)}.
    Raises StoreUnavailable when the store cannot be read.
    """
    from emoji_fer import health, health_plots

    rows = store.rows()
    reports = health.report_by_model(rows, reference, by)
    if model in (None, "", "all"):
        rep = reports["all"]
    else:
        rep = reports["models"].get(model) or health.report([], reference, by)
    choices = [(f"all models ({reports['all']['n']} rows)", "all")]
    for sha, r in reports["models"].items():
        choices.append((f"{sha[:12]} ({r['n']} rows{', served now' if sha == served_sha256 else ''})", sha))
    return {"report": rep, "reports": reports, "figures": health_plots.figures(rep, by),
            "summary": health_summary(rep, model, served_sha256), "choices": choices}


def health_summary(rep, model="all", served_sha256=None):
    """A few markdown lines of one report."""
    which = "all models" if model in (None, "", "all") else f"model {model[:12]}"
    if not rep["n"]:
        return f"No feedback yet for {which}."
    cal, mix = rep["calibration"], rep["mix"]
    corrections = round(rep["correction_rate"] * rep["n"])
    lines = [f"**{rep['n']} rows** for {which} ({corrections} corrections): accuracy **{rep['accuracy']:.1%}**, "
             f"correction rate **{rep['correction_rate']:.1%}**; mean top-1 confidence {cal['mean_confidence']:.1%}, "
             f"ECE {cal['ece']:.3f}"
             + (f"; Jensen-Shannon distance of the predicted-label mix to FER-2013 PrivateTest "
                f"{mix['js_distance']:.3f}" if mix["js_distance"] is not None else "") + "."]
    if served_sha256:
        lines.append(f"The demo serves model {served_sha256[:12]}.")
    lines.append("The user's label counts as the truth. Users choose which faces to give feedback on, so these "
                 "figures describe those faces, not a random sample.")
    return "\n\n".join(lines)


def latest_corrections(store, folder, limit=GALLERY_SIZE):
    """The latest corrections, newest first: ([(thumbnail path, "#12: 😄 happy -> 😢 sad"),
    ...], [12, ...]). Each thumbnail is written into `folder` as <id>.png (the admin
    app's private folder); every other file there, such as a deleted row's, is removed."""
    from PIL import Image

    from emoji_fer.feedback import png_pixels

    rows = store.rows(with_crops=True, limit=limit, corrections_only=True)
    folder = Path(folder)
    items, keep = [], set()
    for row in rows:
        path = folder / f"{int(row['id'])}.png"
        if not path.exists():
            thumb = Image.fromarray(png_pixels(row["crop_png"])).resize((THUMBNAIL_SIDE, THUMBNAIL_SIDE),
                                                                        Image.NEAREST)
            thumb.save(path)
        keep.add(path.name)
        p, g = row["predicted"], row["label"]
        items.append((str(path), f"#{row['id']}: {EMOJI[p]} {p} -> {EMOJI[g]} {g}"))
    for old in folder.iterdir():
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return items, [row["id"] for row in rows]


def delete_row(store, row_id):
    """Delete one row by id; returns a message. Raises FeedbackError for no/unknown id."""
    from emoji_fer.feedback import FeedbackError

    try:
        row_id = int(str(row_id).strip().lstrip("#"))
    except (TypeError, ValueError):
        raise FeedbackError("select a face in the gallery (or type its id) first") from None
    if not store.delete(row_id):
        raise FeedbackError(f"no row #{row_id} (already deleted?)")
    return f"Deleted #{row_id}."


__all__ = ["analyze", "annotate", "write_jpeg", "DISPLAY_SIDE", "JPEG_QUALITY", "PredictorPool", "live_frame",
           "live_summary", "video_timeline", "write_export", "export_dir", "FeedbackLiveSession", "FeedbackDesk",
           "store_files", "top_label", "face_choices", "feedback_message", "health_view", "health_summary",
           "latest_corrections", "delete_row", "public_error", "WHAT_IS_STORED", "STORE_DOWN", "MAX_UPLOAD_MB",
           "MEMORY_BUDGET_MB", "DECODE_BUDGET_MB", "DECODES", "process_folder", "ImageError", "VideoError"]
