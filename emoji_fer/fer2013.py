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

`load_ferplus` adds the FER+ crowd votes of the same faces (`emoji_fer.ferplus` says what
is done with them): from ``ferplus.csv`` (votes matched to the folder layout's files,
column ``path``) or from FER+'s own ``fer2013new.csv`` (one row per row of
``fer2013.csv``, in the same order; Barsoum et al. 2016, github.com/microsoft/FERPlus).
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

FERPLUS_ENV_VAR = "FERPLUS_VOTES"
EXPECTED_VOTES = """Expected FER+ votes (Barsoum et al. 2016) in one of two forms:
  for the folder layout:  ferplus.csv, columns path,<votes>: path = the image under the folder
                          (default: DIR/../ferplus/ferplus.csv or DIR/ferplus.csv)
  for fer2013.csv:        FER+'s fer2013new.csv, columns Usage,Image name,<votes>, one row per
                          row of fer2013.csv (default: beside fer2013.csv)
  <votes> = neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF (empty
  votes or an empty Image name: a face FER+ dropped). Pass the file with --votes or set $""" + FERPLUS_ENV_VAR + "."

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


def load_ferplus(path=None, votes=None, splits=SPLITS, cache=True):
    """FER-2013 with FER+'s crowd votes: {split: (images, labels, votes)} for each split
    asked, images and labels as `load_fer2013` gives them, votes (N, 10) float32 counts in
    `emoji_fer.ferplus.VOTE_COLUMNS` order, NaN rows for the faces FER+ dropped.

    votes: the votes file (`EXPECTED_VOTES`), else $FERPLUS_VOTES, else the default place
    for the layout. Raises DatasetError when the dataset or the votes are missing, or when
    they do not match (a file without votes, another row count, another split).
    """
    path = resolve_data_dir(path)
    data = load_fer2013(path, splits, cache)
    if path.is_file():
        by_split = _votes_for_csv(path, _votes_file(votes, [path.with_name("fer2013new.csv")]))
    else:
        by_split = _votes_for_folder(path, _votes_file(
            votes, [path.parent / "ferplus" / "ferplus.csv", path / "ferplus.csv"]))
    for split in splits:
        if len(by_split.get(split, ())) != len(data[split][1]):
            raise DatasetError(f"{split}: {len(by_split.get(split, ()))} rows of votes for "
                               f"{len(data[split][1])} images.\n{EXPECTED_VOTES}")
    return {s: (*data[s], by_split[s]) for s in splits}


def _votes_file(given, defaults):
    given = given or os.environ.get(FERPLUS_ENV_VAR)
    if given:
        if not Path(given).expanduser().is_file():
            raise DatasetError(f"Votes file {given} does not exist.\n{EXPECTED_VOTES}")
        return Path(given).expanduser()
    for candidate in defaults:
        if candidate.is_file():
            return candidate
    raise DatasetError(f"No FER+ votes found at {' or '.join(map(str, defaults))}.\n{EXPECTED_VOTES}")


def _read_votes(row, file, row_no):
    """(10,) float32 votes of one CSV row; all NaN when FER+ dropped the face (empty cells)."""
    from emoji_fer.ferplus import VOTE_COLUMNS

    cells = [row.get(k) for k in VOTE_COLUMNS]
    if any(c is None for c in cells):
        raise DatasetError(f"{file} has columns {list(row)}, not the FER+ votes.\n{EXPECTED_VOTES}")
    if row.get("Image name", "x") == "" or all(c.strip() == "" for c in cells):
        return np.full(len(VOTE_COLUMNS), np.nan, np.float32)
    try:
        values = np.asarray([float(c) for c in cells], np.float32)
    except ValueError:
        raise DatasetError(f"{file}:{row_no}: votes are not numbers.") from None
    if not np.isfinite(values).all() or values.min() < 0:
        raise DatasetError(f"{file}:{row_no}: votes must be counts of 0 or more.")
    return values


def _votes_for_folder(root, file):
    with open(file, newline="") as f:
        reader = csv.DictReader(f)
        if "path" not in (reader.fieldnames or ()):
            raise DatasetError(f"{file} has no column path.\n{EXPECTED_VOTES}")
        rows = {r["path"]: _read_votes(r, file, n) for n, r in enumerate(reader, start=2)}
    by_split = {}
    for image, _ in _list_folder(root):
        rel = image.relative_to(root).as_posix()
        if rel not in rows:
            raise DatasetError(f"{file} has no votes for {rel}.\n{EXPECTED_VOTES}")
        by_split.setdefault(image.name.split("_", 1)[0], []).append(rows[rel])
    return {s: np.stack(v) for s, v in by_split.items()}


def _votes_for_csv(fer_csv, file):
    with open(fer_csv, newline="") as f:
        usage = [r["Usage"] for r in csv.DictReader(f)]
    with open(file, newline="") as f:
        reader = csv.DictReader(f)
        # Usage and Image name tell FER+'s file from the folder layout's ferplus.csv, which
        # has as many rows, in another order.
        if not {"Usage", "Image name"} <= set(reader.fieldnames or ()):
            raise DatasetError(f"{file} has columns {reader.fieldnames}, not FER+'s fer2013new.csv "
                               f"(Usage,Image name,<votes>).\n{EXPECTED_VOTES}")
        rows = list(reader)
    if len(rows) != len(usage):
        raise DatasetError(f"{file} has {len(rows)} rows, {fer_csv} {len(usage)}: FER+'s fer2013new.csv "
                           f"has one row per row of fer2013.csv.\n{EXPECTED_VOTES}")
    by_split = {}
    for n, (row, split) in enumerate(zip(rows, usage), start=2):
        if row["Usage"] != split:
            raise DatasetError(f"{file}:{n}: Usage {row['Usage']!r}, {fer_csv} says {split!r}: "
                               f"not the same rows.\n{EXPECTED_VOTES}")
        by_split.setdefault(split, []).append(_read_votes(row, file, n))
    return {s: np.stack(v) for s, v in by_split.items()}


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
