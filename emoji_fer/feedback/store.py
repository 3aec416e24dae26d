"""The feedback store: faces that users confirmed or corrected, kept for model health and
refitting.

One row per confirmation or correction, written in one transaction: the face crop exactly
as the model saw it (48x48 grayscale, PNG bytes in the row, so no file can be orphaned),
the seven probabilities, the predicted and the given label, the model's version (the
SHA-256 of the file it serves), the time (UTC), the source (photo, webcam, video, api) and
an anonymous session id. Never the photo itself, nor the face's box or anything else
that would point back to it.

Storage is SQLAlchemy 2 (parameterised SQL throughout), on one URL:
- default: a SQLite file in the user's data directory (platformdirs), with WAL (readers
  do not block the writer) and a busy timeout (writers wait for each other instead of
  failing with "database is locked");
- `postgresql+psycopg://user:pass@host/db`: one store shared by several demo replicas.
The schema is versioned with Alembic (emoji_fer/feedback/migrations), upgraded on open.
"""

import contextlib
import io
import math
import os
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import (JSON, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, create_engine, delete,
                        event, func, inspect, select, text)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from emoji_fer.labels import LABELS

ENV_VAR = "EMOJI_FER_FEEDBACK_DB"
SOURCES = ("photo", "webcam", "video", "api")
SQLITE_BUSY_TIMEOUT_S = 30  # a writer waits this long for another one before giving up
CROP_SIDE = 48  # px
MIGRATION_ATTEMPTS = 5  # SQLite replicas racing to create the schema: the losers retry
_MIGRATION_LOCK = threading.Lock()
_ADVISORY_KEY = 0x656D6F6A69  # "emoji": the PostgreSQL advisory lock of schema migrations
MAX_ID = 2**31 - 1  # the id column is an Integer: int32 on PostgreSQL, so no row has a larger id


# The schema as the code reads and writes it; emoji_fer/feedback/migrations creates and upgrades it
# (a change here comes with a new migration there).
metadata = MetaData()
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),  # UTC
    Column("model_sha256", String(64), nullable=False, index=True),  # hex SHA-256 of the served model file
    Column("source", String(16), nullable=False),  # one of SOURCES
    Column("session_id", String(64), nullable=False),  # anonymous, random per browser session
    Column("predicted", String(16), nullable=False),  # the model's top-1 label
    Column("label", String(16), nullable=False),  # the label the user gave (== predicted: confirmed)
    Column("probabilities", JSON, nullable=False),  # 7 floats in LABELS order
    Column("crop_png", LargeBinary, nullable=False),  # the 48x48 grayscale model input, PNG
)


class FeedbackError(ValueError):
    """Feedback that cannot be stored (bad label, no such face, ...); the message says why."""


class StoreUnavailable(RuntimeError):
    """The database cannot be opened or written; the message says which URL and why."""


def default_url():
    """The store's URL: $EMOJI_FER_FEEDBACK_DB, else a SQLite file in the user's data
    directory (e.g. ~/.local/share/emoji-fer/feedback.sqlite3 on Linux), which no web
    server of ours serves."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    return f"sqlite:///{_default_folder() / 'feedback.sqlite3'}"


def _default_folder():
    from platformdirs import user_data_dir

    return Path(user_data_dir("emoji-fer"))


def crop_png(face):
    """PNG bytes of one model input: face (48, 48, 1) or (48, 48) float32 in [0, 1]
    (emoji_fer.preprocessing.scale of uint8 pixels, so the round trip is exact).
    Raises FeedbackError for another shape or values outside [0, 1]."""
    from PIL import Image

    try:
        face = np.asarray(face, np.float32).reshape(CROP_SIDE, CROP_SIDE)
    except (TypeError, ValueError):
        raise FeedbackError(f"the crop must be {CROP_SIDE}x{CROP_SIDE} values in [0, 1]") from None
    if not np.all(np.isfinite(face)) or face.min() < 0 or face.max() > 1:
        raise FeedbackError(f"the crop must be {CROP_SIDE}x{CROP_SIDE} values in [0, 1]")
    pixels = np.rint(face * 255.0).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def png_pixels(data):
    """(48, 48) uint8 pixels of a stored crop."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("L"), np.uint8)


# Query parameters of a database URL whose values are secrets (libpq's password and
# sslpassword, tokens and keys of other drivers): hidden wherever a URL is shown.
_SECRET_PARAMETER = re.compile(r"pass|secret|token|key|auth|cred", re.IGNORECASE)


def safe_url(url):
    """A database URL without its credentials: the password and every secret-looking
    query parameter (password=, sslpassword=, ...) shown as ***. For logs and error
    messages; the public page names no database at all (emoji_fer.app.desk)."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):  # ValueError: e.g. a port that is not a number
        return "(unparsable URL)"
    query = {k: ("***" if _SECRET_PARAMETER.search(k) else v) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=True)


def redact(text, url):
    """`text` with every secret of `url` (its password, its secret query values) replaced
    by ***, however a driver quoted them."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return text
    secrets = [parsed.password] + [v for k, v in parsed.query.items() if _SECRET_PARAMETER.search(k)]
    for secret in secrets:
        for value in ([secret] if isinstance(secret, str) else list(secret or ())):
            if value:
                text = text.replace(value, "***")
    return text


class FeedbackStore:
    """Open (creating or upgrading the schema) the store at `url` (default: default_url()).

    create: False opens only a store that is already there (the CLI's, where a mistyped
    path must not make a new empty one): a SQLite file that does not exist, or a database
    without the `feedback` table, raises StoreUnavailable and nothing is created.
    Raises StoreUnavailable when the database cannot be opened or migrated: a missing
    or read-only directory, a bad URL, a server that does not answer.
    Thread-safe: each call uses its own connection from SQLAlchemy's pool. Every method
    raises StoreUnavailable when the database fails under it.
    """

    def __init__(self, url=None, create=True):
        self.url = url or default_url()
        self.engine = None
        try:
            if self.url.startswith("sqlite"):
                path = self.url.partition(":///")[2]
                if not path or path == ":memory:":
                    # An in-memory database would lose every row, and differ per thread.
                    raise ValueError("a SQLite store needs a file: sqlite:////absolute/path/feedback.sqlite3")
                self.engine = create_engine(self.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
                event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = create_engine(self.url, pool_pre_ping=True)
            if not create:
                self._require_existing()  # before migrating: that would create the schema
            self._migrate()
        except StoreUnavailable:
            self.engine.dispose()
            raise
        except (ArgumentError, SQLAlchemyError, ImportError, OSError, ValueError) as err:
            if self.engine is not None:
                self.engine.dispose()
            raise StoreUnavailable(f"feedback store {self.safe_url}: {redact(_first_line(err), self.url)}") from None

    @property
    def safe_url(self):
        """The URL without its credentials (safe_url), for messages and logs."""
        return safe_url(self.url)

    def _require_existing(self):
        """Raise StoreUnavailable unless the store has been created: connecting to a SQLite
        file that does not exist would create it, so that is checked first."""
        missing = f"no feedback store at {self.safe_url}"
        hint = "(the demo creates it on first start; check --feedback-db)"
        if self.engine.dialect.name == "sqlite":
            path = Path(self.engine.url.database)
            if not path.parent.is_dir():
                raise StoreUnavailable(f"{missing}: folder {path.parent} does not exist {hint}")
            if not path.is_file():
                raise StoreUnavailable(f"{missing} {hint}")
        if not inspect(self.engine).has_table(feedback.name):
            raise StoreUnavailable(f"{missing} {hint}")

    def _migrate(self):
        from alembic import command
        from alembic.config import Config

        if self.url.startswith("sqlite:///"):
            folder = Path(self.url.removeprefix("sqlite:///")).parent
            if folder == _default_folder():
                # A fresh machine (or Space) has no data folder yet; one the user names must exist.
                folder.mkdir(parents=True, exist_ok=True)
            if not folder.is_dir():
                raise OSError(f"folder {folder} does not exist")
        config = Config()
        config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        # Alembic's context is one per process: stores opened by several threads at once
        # migrate one after the other. Replicas (other processes) starting together on an
        # empty database would race to create the tables: PostgreSQL serialises them with
        # an advisory lock held for the migration's transaction; SQLite retries, and the
        # loser then finds the schema at head and has nothing to do.
        with _MIGRATION_LOCK:
            for attempt in range(MIGRATION_ATTEMPTS):
                try:
                    with self.engine.begin() as connection:
                        if connection.dialect.name == "postgresql":
                            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
                        config.attributes["connection"] = connection
                        command.upgrade(config, "head")
                    return
                except OperationalError:
                    if self.engine.dialect.name != "sqlite" or attempt == MIGRATION_ATTEMPTS - 1:
                        raise
                    time.sleep(0.1 * (attempt + 1))

    def add(self, crop, probabilities, predicted, label, model_sha256, source, session_id=None, now=None):
        """Store one confirmation (label == predicted) or correction; returns its id (int).

        crop: (48, 48, 1) or (48, 48) float32 in [0, 1], the model's input.
        probabilities: 7 finite floats in [0, 1], in LABELS order. predicted, label:
        names from LABELS. model_sha256: 64 hex digits. source: one of SOURCES.
        now: the row's time (default: now; a naive datetime is taken as UTC).
        Raises FeedbackError for any of these out of range, StoreUnavailable if the write
        fails; nothing is stored in either case.
        """
        for name, value in (("predicted", predicted), ("label", label)):
            if value not in LABELS:
                raise FeedbackError(f"{name} {value!r} is not one of the seven labels: {', '.join(LABELS)}")
        if source not in SOURCES:
            raise FeedbackError(f"source {source!r} is not one of {', '.join(SOURCES)}")
        try:
            probabilities = np.asarray(probabilities, np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise FeedbackError("probabilities must be numbers") from None
        if len(probabilities) != len(LABELS) or not np.all(np.isfinite(probabilities)) \
                or probabilities.min() < 0 or probabilities.max() > 1:
            raise FeedbackError(f"expected {len(LABELS)} probabilities in [0, 1], got {len(probabilities)} values: "
                                f"{probabilities.tolist()}")
        if not (isinstance(model_sha256, str) and len(model_sha256) == 64
                and all(c in "0123456789abcdef" for c in model_sha256)):
            raise FeedbackError("model_sha256 must be 64 lower-case hex digits")
        row = {"created_at": _utc(now or datetime.now(timezone.utc)), "model_sha256": model_sha256,
               "source": source, "session_id": (session_id or "")[:64], "predicted": predicted, "label": label,
               "probabilities": probabilities.tolist(), "crop_png": crop_png(crop)}
        with self._failing_as_unavailable("store feedback in"):
            with self.engine.begin() as connection:  # one transaction: the row and its crop, or nothing
                return int(connection.execute(feedback.insert().returning(feedback.c.id), row).scalar_one())

    def rows(self, model_sha256=None, since=None, with_crops=False, limit=None, corrections_only=False):
        """Rows as dicts (id, created_at (aware, UTC), model_sha256, source, session_id,
        predicted, label, probabilities (7 floats), and crop_png if with_crops), newest first."""
        columns = [c for c in feedback.c if with_crops or c.name != "crop_png"]
        query = select(*columns).order_by(feedback.c.id.desc())
        if model_sha256:
            query = query.where(feedback.c.model_sha256 == model_sha256)
        if since is not None:
            query = query.where(feedback.c.created_at >= _utc(since))
        if corrections_only:
            query = query.where(feedback.c.label != feedback.c.predicted)
        if limit is not None:
            query = query.limit(limit)
        with self._failing_as_unavailable("read"), self.engine.connect() as connection:
            return [_as_utc(dict(r._mapping)) for r in connection.execute(query)]

    def count(self):
        """Number of rows."""
        with self._failing_as_unavailable("read"), self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(feedback)).scalar_one())

    def delete(self, ids):
        """Delete rows by id (an int or a list); returns how many were deleted."""
        return len(self.delete_ids(ids))

    def delete_ids(self, ids):
        """Delete rows by id (an int or a list); returns the ids that were there, and so
        were deleted, ascending. Ids outside 1..MAX_ID match no row (the database is not
        asked: drivers overflow on them)."""
        ids = [int(i) for i in (ids if isinstance(ids, (list, tuple, set)) else [ids])]
        ids = [i for i in ids if 1 <= i <= MAX_ID]
        if not ids:
            return []
        query = delete(feedback).where(feedback.c.id.in_(ids)).returning(feedback.c.id)
        with self._failing_as_unavailable("delete from"), self.engine.begin() as connection:
            return sorted(connection.execute(query).scalars())

    def purge(self, before):
        """Delete every row created before `before` (a datetime; naive means UTC): the
        retention limit. Returns how many were deleted."""
        with self._failing_as_unavailable("purge"), self.engine.begin() as connection:
            return connection.execute(delete(feedback).where(feedback.c.created_at < _utc(before))).rowcount

    def close(self):
        self.engine.dispose()

    @contextlib.contextmanager
    def _failing_as_unavailable(self, what):
        try:
            yield
        except SQLAlchemyError as err:
            raise StoreUnavailable(f"could not {what} {self.safe_url}: {redact(_first_line(err), self.url)}") from None


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")  # ms
    cursor.execute("PRAGMA synchronous=FULL")  # an answered post survives a power cut, not just a kill
    cursor.close()


def _utc(when):
    """An aware UTC datetime: naive ones are taken as UTC, aware ones converted. Stored
    so, SQLite (which keeps no offset) and PostgreSQL give back the same instant."""
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def _as_utc(row):
    # SQLite gives back naive datetimes (stored as UTC), PostgreSQL aware ones in the
    # session's time zone: make every backend's the same.
    if row.get("created_at") is not None:
        row["created_at"] = _utc(row["created_at"])
    return row


def _first_line(err):
    return str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__


def face_number(value):
    """A face index as a client sent it, checked: an int, a float with no fraction (a
    JSON number such as 1.0) or a string of digits. Returns the int; raises FeedbackError
    for anything else (0.4 is not face 0, True is not face 1)."""
    if isinstance(value, (bool, np.bool_)):
        raise FeedbackError(f"face index {value!r} is not a whole number")
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    raise FeedbackError(f"face index {str(value)[:40]!r} is not a whole number")


def submit(store, predictor, image, face_index, label, source="api", session_id=None, channels="RGB"):
    """Confirm or correct one face of a photo: the server's own prediction is stored.

    The photo is classified again here (a client's probabilities or crops are never
    trusted); face_index 0 is the largest face. image: as Predictor.predict takes it.
    label: the expression the user says the face shows (one of LABELS; == the model's
    top-1 is a confirmation). Returns {"id": int, "predicted": label, "label": label}.
    Raises FeedbackError (label not one of the seven, no face, no such face index),
    emoji_fer.images.ImageError (not a usable image), StoreUnavailable (write failed);
    nothing is stored in any of these cases.
    """
    from emoji_fer.images import load_rgb

    label = str(label).strip().lower() if label is not None else ""
    if label not in LABELS:
        raise FeedbackError(f"label {label!r} is not one of the seven: {', '.join(LABELS)}")
    face_index = face_number(face_index)
    rgb, factor = load_rgb(image, channels=channels)
    result, inputs = predictor.predict_rgb_with_inputs(rgb, factor)
    faces = result["faces"]
    if not faces:
        raise FeedbackError("no face found in the photo: nothing was stored")
    if not 0 <= face_index < len(faces):
        raise FeedbackError(f"no face number {face_index}: the photo has {len(faces)} "
                            f"(0 is the largest{f', {len(faces) - 1} the smallest' if len(faces) > 1 else ''})")
    face = faces[face_index]
    predicted = face["top"][0]["label"]
    row_id = store.add(inputs[face_index], [face["scores"][name] for name in LABELS], predicted, label,
                       predictor.model_sha256, source, session_id)
    return {"id": row_id, "predicted": predicted, "label": label}
