"""Batches: Predictor.predict_batch answers as predict does, and `emoji-fer predict DIR
--output results.jsonl|.parquet [--resume]` writes the CLI's JSON entries as rows, skips
what a resumed run already has and never overwrites an output.

predict_batch is held to exact equality with predict, probabilities included: with the
shipped LiteRT model a face's answer does not depend on the other faces in its model
call (its activations are quantized on their own, its sums are integer sums), and every
batch size gives the same bits; a float tolerance would hide a crop or a split gone
wrong by a little."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from emoji_fer import cli
from emoji_fer.batch import list_images, parquet_schema, read_results
from emoji_fer.images import ImageError
from tests.conftest import ROOT, run_module
from tests.support.cli import error_line

ROW_FIELDS = ["schema_version", "path", "faces", "whole_image", "message", "error"]


def video_frames(path, count=4):
    """`count` BGR frames spread over the video, as OpenCV decodes them."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for index in np.linspace(0, total - 1, count).astype(int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, frame = capture.read()
        assert ok, f"frame {index} of {path}"
        frames.append(frame)
    capture.release()
    return frames


@pytest.fixture(scope="module")
def photos(samples):
    """Every sample photo: one face (justin), groups (sample1-6), none (no-faces)."""
    return sorted(samples.glob("*.jpg"))


def test_predict_batch_equals_predict_on_photos(predictor, photos):
    alone = [{**predictor.predict(path), "error": None} for path in photos]
    assert sum(len(r["faces"]) for r in alone) > len(photos)  # groups among them
    assert any(r["faces"] == [] and r["message"] == "no face found" for r in alone)
    # 256: one model call for every face; 3: calls that split the faces of one image.
    for batch_size in (256, 3):
        assert predictor.predict_batch(photos, batch_size=batch_size) == alone


def test_predict_batch_equals_predict_on_video_frames(predictor, woman2):
    frames = video_frames(woman2)
    alone = [{**predictor.predict(frame, channels="BGR"), "error": None} for frame in frames]
    assert all(len(r["faces"]) == 1 for r in alone)
    assert predictor.predict_batch(frames, channels="BGR") == alone


def test_predict_batch_takes_every_input_kind_and_small_images_whole(predictor, samples, fer_dir):
    from PIL import Image

    justin = samples / "justin.jpg"
    crop = sorted((fer_dir / "test" / "happy").glob("PrivateTest_*.jpg"))[0]
    inputs = [str(justin), justin.read_bytes(), Image.open(justin), np.asarray(Image.open(justin).convert("RGB")), crop]
    batch = predictor.predict_batch(inputs, top_k=2)
    assert batch == [{**predictor.predict(i, top_k=2), "error": None} for i in inputs]
    assert batch[0] == batch[1] == batch[2] and batch[4]["whole_image"] is True


def test_an_unreadable_image_gets_an_error_entry_or_raises(predictor, samples, tmp_path):
    notes = tmp_path / "notes.jpg"
    notes.write_text("not an image")
    inputs = [samples / "justin.jpg", notes, tmp_path / "missing.png", samples / "woman2.mp4", samples / "sample1.jpg"]
    out = predictor.predict_batch(inputs)
    assert [bool(r["faces"]) for r in out] == [True, False, False, False, True]
    assert out[0] == {**predictor.predict(inputs[0]), "error": None}
    assert out[4] == {**predictor.predict(inputs[4]), "error": None}
    for entry, why in zip(out[1:4], ("not an image file", "no such file", "a video file, not an image")):
        assert entry == {"schema_version": 1, "faces": [], "whole_image": False, "message": None,
                         "error": entry["error"]}
        assert why in entry["error"] and "\n" not in entry["error"]
    with pytest.raises(ImageError, match="not an image file"):
        predictor.predict_batch(inputs, errors="raise")
    assert predictor.predict_batch([]) == []


def test_bad_arguments_are_refused_before_any_image_is_read(predictor):
    def images():
        raise AssertionError("read an image")
        yield

    with pytest.raises(ValueError, match="channels"):
        predictor.predict_batch(images(), channels="BGRA")
    with pytest.raises(ValueError, match="errors"):
        predictor.predict_batch(images(), errors="ignore")


# --- the command line ----------------------------------------------------------------

@pytest.fixture
def folder(samples, tmp_path):
    """A nested folder: photos at three depths, a headshot small enough to be classified
    whole (a face without keypoints), a text file, a file named .jpg that is text, a
    truncated JPEG, a video and a hidden folder."""
    from PIL import Image

    root = tmp_path / "photos"
    (root / "party" / "late").mkdir(parents=True)
    (root / ".thumbnails").mkdir()
    shutil.copy(samples / "justin.jpg", root)
    shutil.copy(samples / "sample2.jpg", root / "party")
    Image.open(samples / "justin.jpg").crop((90, 110, 270, 290)).resize((64, 64)).save(root / "party" / "tiny.png")
    shutil.copy(samples / "sample3.jpg", root / "party" / "late")
    shutil.copy(samples / "no-faces.jpg", root / "party" / "late")
    (root / "notes.txt").write_text("not a photo")
    (root / "party" / "fake.jpg").write_text("not a photo either")
    (root / "party" / "cut.jpg").write_bytes((samples / "sample1.jpg").read_bytes()[:4000])
    shutil.copy(samples / "justin.jpg", root / ".thumbnails")
    os.symlink(samples / "woman2.mp4", root / "party" / "clip.mp4")
    return root


def expected_files(root):
    top, party, late = str(root), str(root / "party"), str(root / "party" / "late")
    return [f"{top}/justin.jpg", f"{party}/cut.jpg", f"{party}/fake.jpg", f"{party}/sample2.jpg", f"{party}/tiny.png",
            f"{late}/no-faces.jpg", f"{late}/sample3.jpg"]


def run_cli(capsys, *args):
    """cli.main in this process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_folders_are_listed_by_suffix_sorted_and_nested_only_with_recursive(folder):
    files, skipped = list_images([folder], recursive=True)
    assert files == expected_files(folder)
    assert skipped == {"video": 1, "other": 1}
    files, skipped = list_images([folder, folder / "notes.txt"])
    assert files == [str(folder / "justin.jpg"), str(folder / "notes.txt")]  # a named file is taken as given
    assert skipped == {"video": 0, "other": 1}


def test_folder_to_jsonl_and_parquet_equals_predict_per_file(folder, tmp_path, capsys):
    files = expected_files(folder)
    code, out, err = run_cli(capsys, "predict", *files)
    assert code == 2
    per_file = json.loads(out)
    assert [e["path"] for e in per_file] == files
    assert sum(bool(e["error"]) for e in per_file) == 2

    for name in ("results.jsonl", "results.parquet"):
        code, out, err = run_cli(capsys, "predict", folder, "--recursive", "--output", tmp_path / name,
                                 "--batch-size", "4")
        assert code == 2, err
        assert f"wrote 7 rows to {tmp_path / name} (2 with an error)" in out
        assert "skipped 1 video file" in err and "skipped 1 file in the folders without an image suffix" in err
        assert err.count("error: ") == 2
        rows = read_results(tmp_path / name)
        assert rows == per_file, name
        assert all(list(row) == ROW_FIELDS for row in rows)


def test_parquet_columns_are_the_json_fields_with_their_values(folder, tmp_path, capsys):
    import pyarrow.parquet as pq

    for name in ("r.jsonl", "r.parquet"):
        code, _, err = run_cli(capsys, "predict", folder, "-r", "-o", tmp_path / name, "--batch-size", "2")
        assert code == 2, err
    parts = sorted((tmp_path / "r.parquet").iterdir())
    assert [p.name for p in parts] == [f"part-00000{i}.parquet" for i in range(4)]
    table = pq.read_table(tmp_path / "r.parquet")  # the folder, as one table
    assert table.schema.equals(parquet_schema())
    assert table.column_names == ROW_FIELDS
    jsonl = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    parquet = table.to_pylist(maps_as_pydicts="strict")
    assert len(parquet) == len(jsonl) == 7
    faces = [face for row in jsonl for face in row["faces"]]
    assert any("keypoints" in face for face in faces) and any("keypoints" not in face for face in faces)
    for p_row, j_row in zip(parquet, jsonl):
        assert p_row.keys() == j_row.keys()
        for p_face, j_face in zip(p_row.pop("faces"), j_row.pop("faces")):
            assert set(p_face) == set(j_face) | {"keypoints"}  # null where the JSON face has none
            assert p_face == {"keypoints": None, **j_face}
        assert p_row == j_row


def test_an_existing_output_is_refused_and_left_untouched(folder, tmp_path, capsys):
    jsonl, parquet = tmp_path / "r.jsonl", tmp_path / "r.parquet"
    jsonl.write_text("precious\n")
    parquet.mkdir()
    (parquet / "part-000000.parquet").write_bytes(b"precious")
    for output in (jsonl, parquet):
        code, out, err = run_cli(capsys, "predict", folder, "--output", output)
        assert code == 2 and out == ""
        assert err.strip().splitlines()[-1] == (f"error: {output} exists: add --resume to continue it, or choose "
                                                "another --output (it is never overwritten)")
    assert jsonl.read_text() == "precious\n" and (parquet / "part-000000.parquet").read_bytes() == b"precious"
    code, _, err = run_cli(capsys, "predict", folder, "--output", tmp_path / "r.csv")
    assert code == 2 and "must end in .jsonl or .parquet" in err
    code, _, err = run_cli(capsys, "predict", folder, "--resume")
    assert code == 2 and "error: --resume needs --output" in err


def count_images(monkeypatch):
    """Record every image that Predictor.predict_batch is given, in this process."""
    from emoji_fer.predictor import Predictor

    seen = []
    original = Predictor.predict_batch

    def counting(self, images, *args, **kwargs):
        images = list(images)
        seen.extend(map(str, images))
        return original(self, images, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict_batch", counting)
    return seen


@pytest.mark.parametrize("name", ["r.jsonl", "r.parquet"])
def test_resume_skips_what_is_done_and_keeps_the_first_rows(folder, tmp_path, capsys, monkeypatch, name):
    output = tmp_path / name
    seen = count_images(monkeypatch)
    # The first run: the folder without its subfolders (one image) and one photo of the party.
    first = [folder, folder / "party" / "sample2.jpg"]
    code, _, err = run_cli(capsys, "predict", *first, "--output", output)
    assert code == 0, err
    before = read_results(output)
    assert [r["path"] for r in before] == [str(folder / "justin.jpg"), str(folder / "party" / "sample2.jpg")]
    snapshot = output.read_bytes() if output.is_file() else (output / "part-000000.parquet").read_bytes()
    if output.is_dir():  # a part whose writing was interrupted, left under its temporary name
        (output / ".part-000001.parquet.tmp").write_bytes(b"half a part")

    seen.clear()
    code, out, err = run_cli(capsys, "predict", folder, "--recursive", "--output", output, "--resume",
                             "--batch-size", "3")
    assert code == 2, err  # the two unreadable files
    assert "resuming: 2 images already in" in err and "wrote 5 rows" in out and "2 were there already" in out
    files = expected_files(folder)
    assert seen == [f for f in files if f not in (str(folder / "justin.jpg"), str(folder / "party" / "sample2.jpg"))]
    after = read_results(output)
    assert after[:2] == before
    assert sorted(r["path"] for r in after) == sorted(files)  # each image once
    if output.is_file():
        assert output.read_bytes().startswith(snapshot)
    else:
        assert (output / "part-000000.parquet").read_bytes() == snapshot
        assert sorted(p.name for p in output.iterdir()) == [f"part-00000{i}.parquet" for i in range(3)]

    seen.clear()
    code, out, _ = run_cli(capsys, "predict", folder, "--recursive", "--output", output, "--resume")
    assert code == 0 and seen == [] and "wrote 0 rows" in out and read_results(output) == after


def test_ctrl_c_keeps_the_batches_written_and_resume_finishes(folder, tmp_path, capsys, monkeypatch):
    from emoji_fer.predictor import Predictor

    output = tmp_path / "r.jsonl"
    original, calls = Predictor.predict_batch, []

    def interrupted_on_the_second_batch(self, images, *args, **kwargs):
        calls.append(images)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return original(self, images, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict_batch", interrupted_on_the_second_batch)
    code, _, err = run_cli(capsys, "predict", folder, "-r", "-o", output, "--batch-size", "2")
    assert code == 130 and f"interrupted: 2 rows written to {output}; continue with --resume" in err
    assert [r["path"] for r in read_results(output)] == expected_files(folder)[:2]
    monkeypatch.setattr(Predictor, "predict_batch", original)
    code, _, _ = run_cli(capsys, "predict", folder, "-r", "-o", output, "--resume")
    assert code == 2 and [r["path"] for r in read_results(output)] == expected_files(folder)


def test_a_partial_last_line_is_cut_off_on_resume(folder, tmp_path, capsys):
    output = tmp_path / "r.jsonl"
    code, _, _ = run_cli(capsys, "predict", folder / "justin.jpg", "-o", output)
    assert code == 0
    whole = output.read_text()
    output.write_text(whole + '{"schema_version": 1, "path": "' + str(folder / "party"))  # killed mid-line
    code, _, _ = run_cli(capsys, "predict", folder / "justin.jpg", folder / "party" / "sample2.jpg", "-o", output,
                         "--resume")
    assert code == 0
    lines = output.read_text().splitlines()
    assert lines[0] == whole.strip() and len(lines) == 2 and json.loads(lines[1])["path"].endswith("sample2.jpg")
    output.write_text("not json\n")
    code, _, err = run_cli(capsys, "predict", folder / "justin.jpg", "-o", output, "--resume")
    assert code == 2 and "line 1 is not a row of `emoji-fer predict --output`" in err
    assert output.read_text() == "not json\n"


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped(samples, tmp_path):
    """A real interruption: the process is killed (SIGKILL, no clean-up) once its first
    batch is on disk; the resumed run adds exactly the missing images."""
    root = tmp_path / "many"
    root.mkdir()
    for i in range(40):
        os.link(samples / "justin.jpg", root / f"justin-{i:02d}.jpg")
    output = tmp_path / "r.jsonl"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen([sys.executable, "-m", "emoji_fer", "predict", str(root), "-o", str(output),
                             "--batch-size", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (output.exists() and b"\n" in output.read_bytes()) and time.time() < deadline:
            assert proc.poll() is None, "the run ended before its first batch was seen"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    done = len(output.read_bytes().split(b"\n")) - 1
    assert 1 <= done < 40, "the run was not interrupted"
    result = run_module("emoji_fer", "predict", str(root), "-o", str(output), "--resume")
    assert result.returncode == 0, result.stderr
    assert f"wrote {40 - done} rows" in result.stdout
    rows = read_results(output)
    assert sorted(r["path"] for r in rows) == sorted(str(p) for p in root.iterdir())
    assert len({json.dumps(r["faces"]) for r in rows}) == 1  # the same photo, the same answer


def test_parquet_without_pyarrow_is_one_error_line_with_the_remedy(folder, tmp_path):
    blocked = ("import sys; sys.modules['pyarrow'] = sys.modules['pyarrow.parquet'] = None; "
               "from emoji_fer.cli import main; sys.exit(main(sys.argv[1:]))")
    proc = subprocess.run([sys.executable, "-c", blocked, "predict", str(folder / "justin.jpg"), "-o",
                           str(tmp_path / "r.parquet")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert error_line(proc) == ("error: a .parquet output needs pyarrow: pip install 'emoji-fer[parquet]' "
                                "(or write .jsonl)")
    assert not (tmp_path / "r.parquet").exists()


class FakeRay:
    """Stands in for emoji_fer.ray: rows from one Predictor, in reverse order (a cluster
    gives them in the order its workers finish)."""

    def __init__(self):
        self.calls = []

    def predict_paths(self, paths, address=None, workers=None, batch_size=32, model=None, detector="blazeface",
                      top_k=3):
        from emoji_fer.predictor import Predictor

        self.calls.append({"paths": list(paths), "address": address, "batch_size": batch_size, "top_k": top_k})
        results = Predictor(model, detector=detector).predict_batch(paths, top_k=top_k)
        for path, result in reversed(list(zip(paths, results))):
            yield {"schema_version": result["schema_version"], "path": path, "faces": result["faces"],
                   "whole_image": result["whole_image"], "message": result["message"], "error": result["error"]}


def test_ray_rows_go_to_the_same_writer(folder, tmp_path, capsys, monkeypatch):
    import emoji_fer

    fake = FakeRay()
    monkeypatch.setitem(sys.modules, "emoji_fer.ray", fake)
    monkeypatch.setattr(emoji_fer, "ray", fake, raising=False)
    code, _, err = run_cli(capsys, "predict", folder, "-r", "-o", tmp_path / "local.jsonl")
    assert code == 2, err
    code, out, err = run_cli(capsys, "predict", folder, "-r", "-o", tmp_path / "ray.jsonl", "--ray", "ray://head:10001",
                             "--top-k", "2", "--batch-size", "4")
    assert code == 2, err
    assert fake.calls == [{"paths": expected_files(folder), "address": "ray://head:10001", "batch_size": 4, "top_k": 2}]
    local = {r["path"]: r for r in read_results(tmp_path / "local.jsonl")}
    for row in read_results(tmp_path / "ray.jsonl"):
        expected = local[row["path"]]
        assert list(row) == ROW_FIELDS and row["error"] == expected["error"]
        assert row["faces"] == [{**f, "top": f["top"][:2]} for f in expected["faces"]]
    code, _, err = run_cli(capsys, "predict", folder, "--ray")
    assert code == 2 and "error: --ray needs --output" in err


def test_a_cluster_that_does_not_answer_leaves_no_output(folder, tmp_path, capsys, monkeypatch):
    import emoji_fer

    class Unreachable:
        def predict_paths(self, paths, **kwargs):
            raise ConnectionError("no Ray cluster at ray://nowhere:10001")
            yield

    monkeypatch.setitem(sys.modules, "emoji_fer.ray", Unreachable())
    monkeypatch.setattr(emoji_fer, "ray", sys.modules["emoji_fer.ray"], raising=False)
    for name in ("r.jsonl", "r.parquet"):
        code, out, err = run_cli(capsys, "predict", folder / "justin.jpg", "-o", tmp_path / name,
                                 "--ray", "ray://nowhere:10001")
        assert code == 2 and out == ""
        assert err.strip().splitlines()[-1] == "error: no Ray cluster at ray://nowhere:10001"
        assert not (tmp_path / name).exists()  # the next run needs no --resume


def test_ray_without_its_module_is_one_error_line(folder, tmp_path, capsys, monkeypatch):
    import emoji_fer

    monkeypatch.setitem(sys.modules, "emoji_fer.ray", None)  # as if emoji_fer/ray.py were not there
    monkeypatch.delattr(emoji_fer, "ray", raising=False)
    code, out, err = run_cli(capsys, "predict", folder, "-o", tmp_path / "r.jsonl", "--ray")
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1] == ("error: --ray: this version of emoji_fer has no Ray support "
                                            "(emoji_fer/ray.py)")
    assert not (tmp_path / "r.jsonl").exists()


def test_a_folder_without_output_prints_the_json_list(folder, capsys):
    code, out, err = run_cli(capsys, "predict", folder)
    assert code == 0 and [e["path"] for e in json.loads(out)] == [str(folder / "justin.jpg")]
    assert "skipped 1 file in the folders without an image suffix" in err
    empty = folder / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "predict", empty)
    assert code == 2 and f"error: no image files in {empty}" in err
