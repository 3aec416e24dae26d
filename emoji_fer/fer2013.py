"""Load FER-2013 from either of the two forms users have it in (for evaluation in the
package, and for training in train/).

1. The Kaggle image-folder layout (``DIR/{train,test}/<class>/<Split>_<id>.jpg``),
   where the split (Training / PublicTest / PrivateTest) is the filename prefix.
2. The original ``fer2013.csv`` (columns ``emotion,pixels,Usage``; ``pixels`` is
   2304 space-separated grayscale values, row-major 48x48).

Both give, per split, ``(images, labels)``: images ``(N, 48, 48)`` uint8 in [0, 255],
labels ``(N,)`` int64 in 0..6 in the FER-2013 order of `emoji_fer.labels.LABELS`.
Source: Goodfellow et al., 2013, arXiv:1307.0414.

`load_feedback` reads the same folder layout as written by ``emoji-fer feedback export``:
the faces users confirmed or corrected, ``Feedback_<id>.png`` (refit on them) and the
held-out ``FeedbackTest_<id>.png`` (judge the refit on them), in the same arrays.
"""

import csv
import hashlib
import os
from pathlib import Path

import numpy as np
from PIL import Image

from emoji_fer.labels import LABELS

SPLITS = ("Training", "PublicTest", "PrivateTest")
ENV_VAR = "FER2013_DIR"
SIDE = 48

EXPECTED_LAYOUT = """Expected FER-2013 in one of two forms:
  folder layout (Kaggle):  DIR/train/<class>/Training_<id>.jpg
                           DIR/test/<class>/PublicTest_<id>.jpg, PrivateTest_<id>.jpg
                           <class> in: """ + ", ".join(LABELS) + """
  original CSV:            fer2013.csv with header emotion,pixels,Usage
                           (pixels = 2304 space-separated values 0..255)
Pass the folder or the CSV file with --data-dir, or set $""" + ENV_VAR + "."


FEEDBACK_SPLITS = ("Feedback", "FeedbackTest")
FEEDBACK_FOLDERS = {"Feedback": "train", "FeedbackTest": "test"}  # where the export puts each split

EXPECTED_FEEDBACK_LAYOUT = """Expected a feedback export (emoji-fer feedback export DIR):
  DIR/train/<class>/Feedback_<id>.png       faces to refit on (48x48 grayscale)
  DIR/test/<class>/FeedbackTest_<id>.png    held-out faces (id % 5 == 0)
  <class> in: """ + ", ".join(LABELS)


class DatasetError(ValueError):
    """The dataset is missing or not in a layout we can read; the message shows the expected one."""


def resolve_data_dir(path=None):
    """The dataset path from the argument, else $FER2013_DIR. Raises DatasetError if neither exists."""
    path = path or os.environ.get(ENV_VAR)
    if not path:
        raise DatasetError(f"No dataset given.\n{EXPECTED_LAYOUT}")
    path = Path(path).expanduser()
    if not path.exists():
        raise DatasetError(f"Dataset path {path} does not exist.\n{EXPECTED_LAYOUT}")
    return path


def load_fer2013(path=None, splits=SPLITS, cache=True):
    """Load FER-2013 splits from a folder layout or a CSV file.

    Returns {split: (images (N, 48, 48) uint8, labels (N,) int64)} for each split asked.
    Decoded arrays are cached under ~/.cache/emoji_fer (keyed by path and file list),
    because decoding 35,887 JPEGs takes far longer than training code wants to wait.
    Raises DatasetError with the expected layout when the data is missing or malformed.
    """
    path = resolve_data_dir(path)
    for split in splits:
        if split not in SPLITS:
            raise DatasetError(f"Unknown split {split!r}; FER-2013 has {', '.join(SPLITS)}.")
    if path.is_file():
        data = _load_csv(path)
    else:
        data = _load_folder(path, cache)
    missing = [s for s in splits if s not in data or len(data[s][0]) == 0]
    if missing:
        raise DatasetError(f"No {', '.join(missing)} images in {path}.\n{EXPECTED_LAYOUT}")
    return {s: data[s] for s in splits}


def _load_folder(root, cache):
    files = _list_folder(root)
    key = hashlib.sha1("\n".join(f"{p}:{p.stat().st_size}" for p, _ in files).encode()).hexdigest()[:16]
    cache_file = Path.home() / ".cache" / "emoji_fer" / f"fer2013-{key}.npz"
    if cache and cache_file.exists():
        with np.load(cache_file) as z:
            return {s: (z[f"{s}_x"], z[f"{s}_y"]) for s in SPLITS if f"{s}_x" in z}
    by_split = {s: ([], []) for s in SPLITS}
    for file, label in files:
        split = file.name.split("_", 1)[0]
        images, labels = by_split[split]
        images.append(_read_face(file))
        labels.append(label)
    data = {s: (np.stack(x), np.asarray(y, np.int64)) for s, (x, y) in by_split.items() if x}
    if cache:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, **{f"{s}_{k}": v for s, xy in data.items() for k, v in zip("xy", xy)})
        tmp.replace(cache_file)
    return data


def _list_folder(root):
    files = []
    for sub in ("train", "test"):
        for label, name in enumerate(LABELS):
            folder = root / sub / name
            if folder.is_dir():
                files += [(p, label) for p in sorted(folder.iterdir()) if p.suffix.lower() in (".jpg", ".png")]
    if not files:
        raise DatasetError(f"No class folders with images under {root}.\n{EXPECTED_LAYOUT}")
    odd = [p.name for p, _ in files if p.name.split("_", 1)[0] not in SPLITS]
    if odd:
        raise DatasetError(
            f"{len(odd)} file(s) without a Training_/PublicTest_/PrivateTest_ prefix, e.g. {odd[0]}; "
            f"the prefix gives the split.\n{EXPECTED_LAYOUT}")
    return files


def _read_face(file):
    with Image.open(file) as im:
        gray = im.convert("L")
        if gray.size != (SIDE, SIDE):
            gray = gray.resize((SIDE, SIDE), Image.BILINEAR)
        return np.asarray(gray, np.uint8)


def load_feedback(path):
    """Load a feedback export folder (`EXPECTED_FEEDBACK_LAYOUT`).

    Returns {"Feedback": (images, labels), "FeedbackTest": (images, labels)}: images
    (N, 48, 48) uint8 in [0, 255], labels (N,) int64 in 0..6 (`LABELS` order), files in
    sorted order per class; a split with no faces is ((0, 48, 48), (0,)) empty arrays.
    Images of another size are resized (bilinear) and colour ones made grayscale, as for
    FER-2013. Not cached (unlike `load_fer2013`): an export is small and changes often.
    Raises DatasetError for a missing folder, a folder without any face, a file or folder
    that is not part of the layout (another prefix, a split in the other's folder, an
    unknown class), or a file that cannot be decoded as an image (the message names it).
    """
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DatasetError(f"Feedback folder {root} does not exist.\n{EXPECTED_FEEDBACK_LAYOUT}")
    files = _list_feedback(root)
    by_split = {s: ([], []) for s in FEEDBACK_SPLITS}
    for file, split, label in files:
        images, labels = by_split[split]
        images.append(_read_feedback_face(file))
        labels.append(label)
    return {s: (np.stack(x) if x else np.zeros((0, SIDE, SIDE), np.uint8), np.asarray(y, np.int64))
            for s, (x, y) in by_split.items()}


def _list_feedback(root):
    """[(file, split, label)] of a feedback export, checked against its layout."""
    files = []
    for split, sub in FEEDBACK_FOLDERS.items():
        if not (root / sub).is_dir():
            continue
        for folder in sorted((root / sub).iterdir()):
            if folder.name.startswith("."):
                continue  # .DS_Store and the like, left by file managers
            if not folder.is_dir() or folder.name not in LABELS:
                raise DatasetError(f"{folder} is not a class folder: under {sub}/ the export writes only "
                                   f"folders named after a label.\n{EXPECTED_FEEDBACK_LAYOUT}")
            label = LABELS.index(folder.name)
            files += [(p, split, label) for p in sorted(folder.iterdir()) if not p.name.startswith(".")]
    if not files:
        raise DatasetError(f"No feedback faces under {root}.\n{EXPECTED_FEEDBACK_LAYOUT}")
    for file, split, _ in files:
        # A held-out face in train/ would be trained on and then judged on: refuse any mix-up.
        if file.name.split("_", 1)[0] != split:
            raise DatasetError(f"{file} does not belong in {FEEDBACK_FOLDERS[split]}/: files there are "
                               f"named {split}_<id>.png.\n{EXPECTED_FEEDBACK_LAYOUT}")
    return files


def _read_feedback_face(file):
    """(48, 48) uint8 of one exported face; DatasetError naming the file if it is no image."""
    try:
        return _read_face(file)
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise DatasetError(f"{file} is not a readable image ({err}).") from None


def _load_csv(file):
    by_split = {s: ([], []) for s in SPLITS}
    with open(file, newline="") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or not {"emotion", "pixels", "Usage"} <= set(reader.fieldnames):
            raise DatasetError(f"{file} has columns {reader.fieldnames}, not emotion,pixels,Usage.\n{EXPECTED_LAYOUT}")
        for row_no, row in enumerate(reader, start=2):
            by_split_row = by_split.get(row["Usage"])
            if by_split_row is None:
                raise DatasetError(f"{file}:{row_no}: Usage {row['Usage']!r} is not one of {', '.join(SPLITS)}.")
            by_split_row[0].append(_parse_pixels(row["pixels"], file, row_no))
            by_split_row[1].append(_parse_label(row["emotion"], file, row_no))
    return {s: (np.stack(x), np.asarray(y, np.int64)) for s, (x, y) in by_split.items() if x}


def _parse_pixels(text, file, row_no):
    try:
        values = np.asarray(text.split(), dtype=np.int64)
    except ValueError:
        raise DatasetError(f"{file}:{row_no}: pixels are not whole numbers.") from None
    if values.size != SIDE * SIDE or values.min(initial=0) < 0 or values.max(initial=0) > 255:
        raise DatasetError(f"{file}:{row_no}: expected {SIDE * SIDE} pixel values in 0..255, got {values.size}.")
    return values.astype(np.uint8).reshape(SIDE, SIDE)


def _parse_label(text, file, row_no):
    try:
        label = int(text)
    except ValueError:
        label = -1
    if not 0 <= label < len(LABELS):
        raise DatasetError(f"{file}:{row_no}: emotion {text!r} is not a label id 0..{len(LABELS) - 1}.")
    return label
