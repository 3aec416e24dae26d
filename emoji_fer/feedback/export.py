"""Export the feedback store as training data: every stored face in the FER-2013 Kaggle
folder layout, for `python -m train --extra-data DIR` (`emoji-fer feedback export`).

The labels are the ones users gave; a fixed share of rows (by id) is held out as a test
split, so a row never changes split as the store grows. An export replaces an earlier
one whole, or leaves it untouched when anything fails.
"""

import re
import secrets
import shutil
from pathlib import Path

from emoji_fer.feedback.store import FeedbackError
from emoji_fer.labels import LABELS

class ExportError(FeedbackError):
    """export_folder cannot write its folder (not empty, holds files that are not an
    export's, not a folder, not writable); the message is one line that says why."""


# What export_folder writes, split by split: nothing else may be in a folder it replaces.
_EXPORT_FILES = {"train": re.compile(r"Feedback_\d+\.png"), "test": re.compile(r"FeedbackTest_\d+\.png")}


def export_folder(store, out_dir, test_every=5, replace=False):
    """Write every stored face in the FER-2013 Kaggle folder layout, for `python -m train
    --extra-data DIR`: DIR/train/<label>/Feedback_<id>.png, and the held-out share
    DIR/test/<label>/FeedbackTest_<id>.png for ids divisible by `test_every` (a split
    by id, so it never changes as rows are added). <label> is the label the user gave.
    Returns {"train": count, "test": count}.

    DIR must not exist or be empty, unless `replace`: then it may hold an earlier export
    (and nothing else), which the new one replaces whole, so faces deleted from the store
    since are gone from it too. The export is written to a new folder beside DIR and then
    renamed into place: an interrupted export leaves the earlier one (or, between the two
    renames, it under a hidden name beside DIR).
    Raises ExportError when DIR is not a folder, is not empty without `replace`, holds
    anything an export does not write, or cannot be written (any OSError);
    StoreUnavailable when reading the store fails. DIR is unchanged in all these cases.
    """
    shown = out_dir
    try:
        out_dir = Path(out_dir).resolve()  # resolved: a DIR that is a symlink stays one
        _check_export_target(out_dir, shown, replace)
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        fresh = _hidden_beside(out_dir, "export")
        fresh.mkdir()
        try:
            counts = _write_faces(store, fresh, test_every)
            _swap_in(fresh, out_dir)
        finally:
            shutil.rmtree(fresh, ignore_errors=True)  # gone already when it was swapped in
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        raise ExportError(f"cannot write {shown} ({err.strerror or err}{where})") from None
    return counts


def _check_export_target(out_dir, shown, replace):
    # A file where a folder on the way should be: said so, not mkdir's "File exists".
    existing = next(parent for parent in out_dir.parents if parent.exists())
    if not existing.is_dir():
        raise ExportError(f"cannot write {shown}: {existing} is not a folder")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise ExportError(f"{shown} is not a folder")
    if not any(out_dir.iterdir()):
        return
    if not replace:
        raise ExportError(f"{shown} is not empty: pass --replace to replace an earlier export")
    foreign = _not_exported(out_dir)
    if foreign is not None:
        # Replacing removes the folder's content: only ever an export's own files.
        raise ExportError(f"{shown} holds {foreign.relative_to(out_dir)}, which no export writes: "
                          "not replacing it (choose another folder)")


def _not_exported(out_dir):
    """The first entry of out_dir that export_folder does not write, or None. Symbolic
    links are never an export's."""
    for split in out_dir.iterdir():
        if split.name not in _EXPORT_FILES or split.is_symlink() or not split.is_dir():
            return split
        for label in split.iterdir():
            if label.name not in LABELS or label.is_symlink() or not label.is_dir():
                return label
            for face in label.iterdir():
                if not _EXPORT_FILES[split.name].fullmatch(face.name) or face.is_symlink() or not face.is_file():
                    return face
    return None


def _hidden_beside(path, what):
    # Same parent: a rename within one file system, never a copy.
    return path.with_name(f".{path.name}.{what}-{secrets.token_hex(4)}")


def _write_faces(store, out_dir, test_every):
    counts = {"train": 0, "test": 0}
    for row in store.rows(with_crops=True):
        held_out = row["id"] % test_every == 0
        folder = out_dir / ("test" if held_out else "train") / row["label"]
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{'FeedbackTest' if held_out else 'Feedback'}_{row['id']}.png"
        (folder / name).write_bytes(row["crop_png"])
        counts["test" if held_out else "train"] += 1
    return counts


def _swap_in(fresh, out_dir):
    """Rename `fresh` to `out_dir`, whose earlier content (if any) is removed after."""
    if not out_dir.exists():
        fresh.rename(out_dir)
        return
    old = _hidden_beside(out_dir, "old")
    out_dir.rename(old)
    try:
        fresh.rename(out_dir)
    except OSError:
        old.rename(out_dir)  # the earlier export back in place
        raise
    # The new export is in place: an old copy that cannot be removed is no failure of it.
    shutil.rmtree(old, ignore_errors=True)
