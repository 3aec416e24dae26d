"""Many images into one results file that an interrupted run can resume:
`emoji-fer predict DIR --recursive --output results.jsonl|results.parquet [--resume]`.

A row is the CLI's JSON entry for one image: {"schema_version", "path", "faces",
"whole_image", "message", "error"} (emoji_fer/cli.py). Rows are written a batch at a
time, and a batch once written is never rewritten:
- JSONL (`.jsonl`): one row a line, appended and flushed after each batch. A run killed
  while writing leaves at most a partial last line, which a resumed run cuts off.
- Parquet (`.parquet`): a folder (a Parquet dataset, as Spark and Dask write them), one
  file `part-NNNNNN.parquet` per batch, each written to a hidden temporary name and then
  renamed, so every part in the folder is whole. pyarrow and pandas read the folder as
  one table (`parquet_schema` gives its columns), and skip the hidden temporary files.
A resumed run reads the rows already there and skips their paths (rows with an error
count as done: delete them to retry); without resuming, an existing output is refused,
never overwritten. pyarrow (the [parquet] extra) is imported only by the Parquet
functions.
"""

import json
import os
from pathlib import Path

from emoji_fer.labels import LABELS

# What a folder contributes, by suffix (lower case). Image suffixes: the formats
# emoji_fer.images decodes (MPO is a multi-picture JPEG).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".mpo", ".png", ".webp", ".gif", ".bmp", ".tif", ".tiff")
# Videos are skipped with a count: `emoji-fer video` gives a video's timeline.
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi")
FORMATS = {".jsonl": "jsonl", ".parquet": "parquet"}
PARQUET_EXTRA = "pip install 'emoji-fer[parquet]'"


class OutputError(Exception):
    """An output that cannot be used as asked: it exists and resuming was not asked, its
    suffix is neither .jsonl nor .parquet, it is not a results file, or pyarrow is missing.
    The message says what to do, on one line."""


def list_images(paths, recursive=False):
    """The image files that `paths` name, for the CLI: (files, skipped).

    paths: files and folders (str or Path). A file is taken as given (whatever its suffix:
    the user named it). A folder gives its files with an image suffix (IMAGE_SUFFIXES,
    any case), sorted by name, and with `recursive` those of its subfolders too (walked in
    sorted order, symbolic links to folders not followed); hidden files and folders
    (a name starting with ".") are left out. files: list of str, a folder's files as
    os.path.join(folder, relative path). skipped: {"video": n, "other": n}, the files
    left out of folders (not counting hidden ones).
    """
    files, skipped = [], {"video": 0, "other": 0}
    for path in map(str, paths):
        if not os.path.isdir(path):
            files.append(path)
            continue
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
            for name in sorted(n for n in names if not n.startswith(".")):
                suffix = os.path.splitext(name)[1].lower()
                if suffix in IMAGE_SUFFIXES:
                    files.append(os.path.join(root, name))
                elif os.path.isfile(os.path.join(root, name)):
                    skipped["video" if suffix in VIDEO_SUFFIXES else "other"] += 1
    return files, skipped


def open_results(output, resume=False):
    """A writer for `output` (its suffix says the format: FORMATS), with `.done`, the set
    of paths whose rows are already there (empty unless resuming), `.write(rows)` (one
    batch: a list of row dicts) and `.close()`; a context manager.
    Raises OutputError if output exists and not `resume`, for another suffix, for an
    output that is not a results file of that format, or (Parquet) without pyarrow;
    OSError if it cannot be created (its folder missing, no permission)."""
    output = Path(output)
    kind = check_output(output, resume)
    return JsonlResults(output) if kind == "jsonl" else ParquetResults(output)


def check_output(output, resume=False):
    """What open_results checks before it creates anything: the format ("jsonl" or
    "parquet"), the output not there unless resuming, pyarrow for Parquet. Returns the
    format; raises OutputError."""
    output = Path(output)
    kind = FORMATS.get(output.suffix.lower())
    if kind is None:
        raise OutputError(f"--output {output}: the name must end in .jsonl or .parquet")
    if output.exists() and not resume:
        raise OutputError(f"{output} exists: add --resume to continue it, or choose another --output "
                          "(it is never overwritten)")
    if kind == "parquet":
        _pyarrow()
    return kind


def read_results(output):
    """Every row of a results file (JSONL) or folder (Parquet), in the order written,
    as the JSON rows: a Parquet row's face without keypoints has none (the column is
    null there). Raises OutputError as open_results does, FileNotFoundError if absent."""
    output = Path(output)
    if not output.exists():
        raise FileNotFoundError(f"{output}: no such file or folder")
    if FORMATS.get(output.suffix.lower()) == "parquet":
        return _read_parquet_rows(output)
    return _read_jsonl(output)[0]


def remove_if_empty(output):
    """Remove `output` if it holds no row: an empty JSONL file, or a Parquet folder with
    nothing in it. Anything else stays."""
    output = Path(output)
    try:
        if output.is_file() and output.stat().st_size == 0:
            output.unlink()
        elif output.is_dir() and not any(output.iterdir()):
            output.rmdir()
    except OSError:
        pass  # it stays; the next run says what to do with it


class JsonlResults:
    """Rows appended as JSON lines to one file (see the module's docstring)."""

    def __init__(self, path):
        self.path = Path(path)
        rows, complete = _read_jsonl(self.path) if self.path.exists() else ([], 0)
        self.done = {row["path"] for row in rows}
        self._file = self.path.open("r+b" if self.path.exists() else "wb")
        # A partial last line (a run killed mid-write) is cut off: its image is done again.
        self._file.truncate(complete)
        self._file.seek(complete)

    def write(self, rows):
        self._file.write(b"".join(json.dumps(row, ensure_ascii=False).encode() + b"\n" for row in rows))
        self._file.flush()

    def close(self):
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _read_jsonl(path):
    """(rows, bytes up to the end of the last complete line) of a JSONL results file."""
    data = path.read_bytes()
    complete = data.rfind(b"\n") + 1
    rows = []
    for number, line in enumerate(data[:complete].splitlines(), 1):
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict) or not isinstance(row.get("path"), str):
            raise OutputError(f"{path}: line {number} is not a row of `emoji-fer predict --output` (not resuming "
                              "into another file)")
        rows.append(row)
    return rows, complete


class ParquetResults:
    """Rows written as one Parquet file per batch into a folder (see the module's docstring)."""

    def __init__(self, folder):
        pa, pq = _pyarrow()
        self._pa, self._pq, self.schema = pa, pq, parquet_schema()
        self.folder = Path(folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"{self.folder} is a file: a Parquet output is a folder of parts, written by "
                              "`emoji-fer predict --output`")
        self.folder.mkdir(exist_ok=True)
        for leftover in self.folder.glob(".part-*.tmp"):  # a part whose writing was interrupted
            leftover.unlink()
        parts = _parts(self.folder)
        self.done = set()
        for part in parts:
            self.done.update(_read_part(pq, part, columns=["path"]).column("path").to_pylist())
        self._next = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0

    def write(self, rows):
        if not rows:
            return
        name = f"part-{self._next:06d}.parquet"
        temporary = self.folder / f".{name}.tmp"
        self._pq.write_table(self._pa.Table.from_pylist(rows, schema=self.schema), temporary)
        os.replace(temporary, self.folder / name)
        self._next += 1

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parquet_schema(labels=LABELS):
    """The Parquet columns of a row, the JSON row's fields with their types:
    schema_version int32; path string; faces list of struct {box: 4 x int32 [x, y, w, h]
    px, scores: struct {label: float64 in [0, 1]} over the seven labels in LABELS order,
    top: list of struct {label string, emoji string, score float64}, keypoints: map
    string -> 2 x float64 [x, y] px, null where the JSON face has no keypoints};
    whole_image bool; message string (null); error string (null)."""
    pa, _ = _pyarrow()
    top = pa.struct([("label", pa.string()), ("emoji", pa.string()), ("score", pa.float64())])
    face = pa.struct([
        ("box", pa.list_(pa.int32(), 4)),
        ("scores", pa.struct([(label, pa.float64()) for label in labels])),
        ("top", pa.list_(top)),
        ("keypoints", pa.map_(pa.string(), pa.list_(pa.float64(), 2))),
    ])
    return pa.schema([("schema_version", pa.int32()), ("path", pa.string()), ("faces", pa.list_(face)),
                      ("whole_image", pa.bool_()), ("message", pa.string()), ("error", pa.string())])


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise OutputError(f"a .parquet output needs pyarrow: {PARQUET_EXTRA} (or write .jsonl)") from None
    return pa, pq


def _parts(folder):
    return sorted(folder.glob("part-*.parquet"))


def _read_part(pq, part, columns=None):
    try:
        return pq.read_table(part, columns=columns)
    except (OSError, ValueError) as err:  # pyarrow's errors for a file that is not such a part
        raise OutputError(f"{part}: not a Parquet part of `emoji-fer predict --output` ({err})") from None


def _read_parquet_rows(folder):
    _, pq = _pyarrow()
    rows = []
    for part in _parts(folder):
        rows += _read_part(pq, part).to_pylist(maps_as_pydicts="strict")
    for row in rows:
        for face in row["faces"]:
            if face["keypoints"] is None:
                del face["keypoints"]
    return rows
