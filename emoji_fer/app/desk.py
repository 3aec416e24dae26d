"""The demo's side of the feedback store, without Gradio: the FeedbackDesk (the store, or
why there is none), what confirm and correct store, the Model health view and the admin
gallery's rows, and the messages a client sees (never a database location)."""

from pathlib import Path

from emoji_fer.app.limits import load_image
from emoji_fer.feedback import (FeedbackError, FeedbackStore, StoreUnavailable, default_url, face_number, png_pixels,
                                redact, submit)
from emoji_fer.feedback import health, plots
from emoji_fer.images import ImageError
from emoji_fer.labels import EMOJI


GALLERY_SIZE = 60  # the admin gallery shows this many of the latest corrections
THUMBNAIL_SIDE = 96  # px: the 48x48 crops are shown at twice their size (nearest neighbour, no blur)
WHAT_IS_STORED = (
    "Nothing is stored unless you press one of these buttons. A press stores: the face crop exactly as the "
    "model saw it (48x48 grayscale), the seven probabilities, the predicted and the given label, the model's "
    "version (the SHA-256 of its file), the time, the source (photo, webcam, video or api) and an anonymous "
    "session id. Never the full photo or frame.")
STORE_DOWN = "the feedback store cannot be reached; the server's log says why"


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
            raise StoreUnavailable(f"feedback is off: {self.off_detail}")
        return self.store

    def submit_image(self, image, face_index, label, session_id=None, source="photo", shown=None):
        """Confirm or correct face `face_index` (0 = the largest) of an uploaded photo
        (its file path); returns emoji_fer.feedback.submit's {"id", "predicted", "label"}.
        label None confirms: the label is the top-1 of that face in `shown`, the result
        the page showed. Raises FeedbackError, ImageError (naming the file, never the
        server's temp path) or StoreUnavailable; nothing is stored then."""
        store = self._store()
        if image is None:
            raise ImageError("no image given: upload a photo first")
        if label is None:
            label = top_label(shown, face_index)
        rgb, _ = load_image(image)  # within the decode budget; submit classifies the decoded photo
        return submit(store, self.predictor, rgb, face_index, label, source, session_id)

    def submit_webcam(self, session, face_index, label, session_id=None):
        """The same for the latest sampled frame of a live session (a FeedbackLiveSession
        that kept its frames), source "webcam"; label None confirms that sample's top-1."""
        store = self._store()
        if session is None or getattr(session, "frame", None) is None:
            raise FeedbackError("no webcam sample yet: start the webcam, then say whether the emoji is right")
        if label is None:
            label = top_label(session.result, face_index)
        return submit(store, self.predictor, session.frame, face_index, label, "webcam", session_id)

    def health(self, model="all", by="day"):
        """health_view of every row in the store, against the served model's FER-2013
        PrivateTest mix."""
        return health_view(self._store(), health.reference_mix(self.predictor.metadata), model, by,
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


def public_error(err):
    """The message a client sees for an error of a feedback action: the error's own for
    a user's mistake; for a store that failed, STORE_DOWN, with the details (which name
    the database) printed to the server's log instead."""
    if isinstance(err, StoreUnavailable):
        print(f"* Feedback store error: {err}", flush=True)
        return f"nothing was stored: {STORE_DOWN}"
    return str(err)


def top_label(result, face_index):
    """The top-1 label of face `face_index` of a shown result: what "confirm" confirms."""
    faces = (result or {}).get("faces") or []
    if not faces:
        raise FeedbackError("no face to confirm in the latest result")
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
    (emoji_fer.feedback.health.reference_mix) or None; model: "all" or one model's SHA-256;
    by: "day" or "week". Returns {"report": the emoji_fer.feedback.health report shown,
    "reports": report_by_model's, "figures": emoji_fer.feedback.plots.figures of it,
    "summary": markdown, "choices": [(label, value)] for the model picker ("all" first,
    then each model's SHA-256 prefix with its row count, newest first)}.
    Raises StoreUnavailable when the store cannot be read.
    """
    rows = store.rows()
    reports = health.report_by_model(rows, reference, by)
    if model in (None, "", "all"):
        rep = reports["all"]
    else:
        rep = reports["models"].get(model) or health.report([], reference, by)
    choices = [(f"all models ({reports['all']['n']} rows)", "all")]
    for sha, r in reports["models"].items():
        choices.append((f"{sha[:12]} ({r['n']} rows{', served now' if sha == served_sha256 else ''})", sha))
    return {"report": rep, "reports": reports, "figures": plots.figures(rep, by),
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
    try:
        row_id = int(str(row_id).strip().lstrip("#"))
    except (TypeError, ValueError):
        raise FeedbackError("select a face in the gallery (or type its id) first") from None
    if not store.delete(row_id):
        raise FeedbackError(f"no row #{row_id} (already deleted?)")
    return f"Deleted #{row_id}."
