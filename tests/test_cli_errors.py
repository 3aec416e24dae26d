"""The command line: every bad invocation ends in one line `error: ...` on stderr
and a non-zero exit status, never a traceback; `predict` still prints the other files'
results. And `feedback export --replace`: exactly the store's rows, never a user's file."""

import json
import os

import numpy as np
import pytest

from emoji_fer.feedback import ExportError, FeedbackStore, export_folder
from emoji_fer.labels import LABELS
from emoji_fer.preprocessing import scale
from tests.conftest import run_module
from tests.support.cli import error_line

SHA = "ab" * 32


def make_store(tmp_path, n=3):
    """A SQLite store with rows 1..n, labels cycling through LABELS; returns its URL."""
    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}"
    store = FeedbackStore(url)
    rng = np.random.default_rng(0)
    for i in range(n):
        crop = scale(rng.integers(0, 256, (48, 48), dtype=np.uint8))[..., None]
        label = LABELS[i % len(LABELS)]
        store.add(crop, [1 / len(LABELS)] * len(LABELS), "happy", label, SHA, "api")
    store.close()
    return url


def expected_files(ids, test_every=5):
    """The relative paths an export of rows `ids` (labelled as make_store does) writes."""
    return {f"test/{LABELS[(i - 1) % len(LABELS)]}/FeedbackTest_{i}.png" if i % test_every == 0
            else f"train/{LABELS[(i - 1) % len(LABELS)]}/Feedback_{i}.png" for i in ids}


def tree(folder):
    """{relative path: bytes} of every file under folder."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}




def without_mtcnn(tmp_path):
    """PYTHONPATH for a child process in which `import mtcnn` fails as for a package that is
    not installed: a package of that name ahead of site-packages that raises just that."""
    shadow = tmp_path / "no_mtcnn" / "mtcnn"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'mtcnn'\", name='mtcnn')\n")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(shadow.parent), os.environ.get("PYTHONPATH")]))}


# Each case: (request, tmp_path, url of a store with rows 1..3) -> (CLI arguments, exit status,
# words the error line holds, environment, a check of what else must hold or None).
def long_name(request, tmp_path, url):
    justin = request.getfixturevalue("samples") / "justin.jpg"

    def check(proc):  # the good file's result is printed all the same
        good, bad = json.loads(proc.stdout)
        assert good["error"] is None and len(good["faces"]) == 1
        assert "cannot read the file" in bad["error"] and bad["faces"] == []

    return ["predict", justin, tmp_path / ("x" * 300 + ".jpg")], 2, "cannot read the file", None, check


def device(request, tmp_path, url):
    return ["predict", "/dev/zero"], 2, "/dev/zero: not a regular file", None, None


def video_to_predict(request, tmp_path, url):
    woman2 = request.getfixturevalue("woman2")

    def check(proc):
        assert "use: emoji-fer video" in json.loads(proc.stdout)[0]["error"]

    return ["predict", woman2], 2, "a video file, not an image; use: emoji-fer video", None, check


def mtcnn_predict(request, tmp_path, url):
    justin = request.getfixturevalue("samples") / "justin.jpg"

    def check(proc):  # no file is read with a detector that cannot be built
        assert proc.stdout == ""

    return (["predict", "--detector", "mtcnn", justin], 2,
            "error: the mtcnn detector needs the [mtcnn] extra: pip install 'emoji-fer[mtcnn]'", without_mtcnn(tmp_path),
            check)


def mtcnn_video(request, tmp_path, url):
    woman2 = request.getfixturevalue("woman2")
    return ["video", "--detector", "mtcnn", woman2], 2, "needs the [mtcnn] extra", without_mtcnn(tmp_path), None


def export_unwritable(request, tmp_path, url):
    (tmp_path / "afile").write_text("a file, not a folder")
    return ["feedback", "--feedback-db", url, "export", tmp_path / "afile" / "out"], 2, "cannot write", None, None


def export_onto_file(request, tmp_path, url):
    target = tmp_path / "afile"
    target.write_text("mine")

    def check(proc):
        assert target.read_text() == "mine"

    return ["feedback", "--feedback-db", url, "export", target], 2, "is not a folder", None, check


def export_not_empty(request, tmp_path, url):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")

    def check(proc):
        assert tree(folder) == {"notes.txt": b"mine"}

    return (["feedback", "--feedback-db", url, "export", folder], 2,
            "is not empty: pass --replace to replace an earlier export", None, check)


def delete_missing(request, tmp_path, url):
    def check(proc):
        assert "deleted 1 of 2 rows" in proc.stdout
        assert [r["id"] for r in FeedbackStore(url).rows()] == [3, 1]  # the row that was there is gone

    return ["feedback", "--feedback-db", url, "delete", 2, 5], 1, "no row #5 (already deleted?)", None, check


def mistyped_store(request, tmp_path, url):
    typo = tmp_path / "fb.sqlite"

    def check(proc):
        assert not typo.exists()

    return (["feedback", "--feedback-db", f"sqlite:///{typo}", "stats"], 2,
            f"no feedback store at sqlite:///{typo} (the demo creates it on first start; check --feedback-db)", None,
            check)


def video_csv_unwritable(request, tmp_path, url):
    woman2 = request.getfixturevalue("woman2")
    return ["video", woman2, "--csv", tmp_path / "missing" / "rows.csv"], 2, "does not exist", None, None


CASES = [long_name, device, video_to_predict, mtcnn_predict, mtcnn_video, export_unwritable, export_onto_file,
         export_not_empty, delete_missing, mistyped_store, video_csv_unwritable]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
def test_every_error_is_one_line_and_a_non_zero_exit(case, request, tmp_path):
    url = make_store(tmp_path)
    args, code, says, env, check = case(request, tmp_path, url)
    proc = run_module("emoji_fer", *map(str, args), env=env)
    assert says in error_line(proc, code)
    if check:
        check(proc)


@pytest.mark.parametrize("ids", ["99999999999999999999999", "0", "-3", "2147483648", "seven"])
def test_an_id_out_of_range_is_a_usage_error(ids, tmp_path):
    proc = run_module("emoji_fer", "feedback", "--feedback-db", make_store(tmp_path), "delete", "1", ids)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1].startswith("emoji-fer feedback delete: error: argument ID: not a row id")
    assert FeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}").count() == 3  # nothing deleted


def feedback(url, *args):
    return run_module("emoji_fer", "feedback", "--feedback-db", url, *map(str, args))


@pytest.mark.slow
def test_export_replace_leaves_exactly_the_remaining_rows(tmp_path):
    url, out = make_store(tmp_path, 6), tmp_path / "export"
    assert feedback(url, "export", out).returncode == 0
    assert set(tree(out)) == expected_files(range(1, 7))
    assert feedback(url, "delete", 2, 5).returncode == 0
    before = tree(out)

    refused = feedback(url, "export", out)
    assert "is not empty: pass --replace" in error_line(refused)
    assert tree(out) == before

    proc = feedback(url, "export", out, "--replace")
    assert proc.returncode == 0, proc.stderr
    assert set(tree(out)) == expected_files([1, 3, 4, 6])
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".export")]  # no temp folder left


@pytest.mark.parametrize("foreign", ["notes.txt", "val/x.png", "train/joy/Feedback_1.png", "train/happy/Feedback_1.jpg",
                                     "test/happy/Feedback_5.png", "train/angry/Feedback_9.png (a symlink)"])
def test_replace_never_removes_what_an_export_does_not_write(foreign, tmp_path):
    url, out = make_store(tmp_path), tmp_path / "export"
    store = FeedbackStore(url)
    try:
        export_folder(store, out)
        path = out / foreign.removesuffix(" (a symlink)")
        path.parent.mkdir(parents=True, exist_ok=True)
        if foreign.endswith("(a symlink)"):  # named as an export's file, but a link is never one
            path.symlink_to(out / "train" / "angry" / "Feedback_1.png")
        else:
            path.write_bytes(b"mine")
        before = tree(out)
        with pytest.raises(ExportError, match="which no export writes"):
            export_folder(store, out, replace=True)
        assert tree(out) == before
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_create_false_opens_only_a_store_that_is_there(backend, request, tmp_path):
    from sqlalchemy import create_engine, inspect

    from emoji_fer.feedback import StoreUnavailable

    url = f"sqlite:///{tmp_path / 'fb.sqlite3'}" if backend == "sqlite" else request.getfixturevalue("postgres_db")
    with pytest.raises(StoreUnavailable, match="no feedback store at .*check --feedback-db"):
        FeedbackStore(url, create=False)
    if backend == "sqlite":
        assert not (tmp_path / "fb.sqlite3").exists()
    else:  # the database is there, empty: no schema was made in it
        engine = create_engine(url)
        try:
            assert inspect(engine).get_table_names() == []
        finally:
            engine.dispose()
    FeedbackStore(url).close()  # the demo's way (create=True) makes it ...
    opened = FeedbackStore(url, create=False)  # ... and then the CLI's opens it
    assert opened.count() == 0
    opened.close()
