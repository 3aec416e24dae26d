"""emoji_fer.ray: on a local Ray cluster, Ray Data's map_batches (one Predictor per
actor) gives the rows that one process gives, Predictor.predict image by image, for a
folder of photos with a file that is no image, for decoded images and for the frames of
a video; the rows keep the input's order and the CLI's fields.

The answers are compared exactly, probabilities included, as tests/test_batch.py holds
predict_batch to predict: a face's answer does not depend on the other faces in its
model call, so neither the actor nor the batch it fell into may change a bit of it."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emoji_fer.images import ImageError
from emoji_fer.model_files import ModelFileError
from emoji_fer.predictor import SCHEMA_VERSION
from emoji_fer.video import iter_frames
from tests.conftest import ROOT

# Read by Ray when it is imported: "0" keeps the test's one-machine cluster on the
# loopback address instead of the machine's network address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
try:
    import ray
except ImportError:
    if os.environ.get("CI") == "true":
        raise  # CI installs every extra (requirements-dev.txt): a missing Ray is a failure there
    pytest.skip("Ray is not installed: pip install 'emoji-fer[ray]'", allow_module_level=True)

from emoji_fer.ray import predict_dataset, predict_paths, predict_video_frames  # noqa: E402 (needs Ray)
from emoji_fer.ray import entry  # noqa: E402

ROW_FIELDS = ["schema_version", "path", "faces", "whole_image", "message", "error"]
# Ray's DataContext warns about its own deprecated fields each time it copies itself.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


def ray_processes():
    """pids of this process's living descendants that belong to Ray: its servers (raylet,
    gcs_server, its Python helpers) and workers ("ray::<task or actor>" titles)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" ", 1)
            state, ppid = rest.rsplit(")", 1)[1].split()[:2]
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):  # gone while we read
            continue
        children.setdefault(int(ppid), []).append((int(pid), state, cmdline))
    found, stack = set(), [os.getpid()]
    while stack:
        for pid, state, cmdline in children.get(stack.pop(), []):
            stack.append(pid)
            if "ray" in cmdline and state != "Z":  # a zombie holds nothing: it only waits to be reaped
                found.add(pid)
    return found


def alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local Ray cluster of 2 CPUs for this module's tests, its files under pytest's
    temporary folder; stopped after them, with every process it started."""
    mode, started = os.environ.get("RAY_AUTH_MODE"), set()
    with pytest.MonkeyPatch.context() as mp:
        # A token of the test's own: a new local cluster would otherwise write one to
        # ~/.ray/auth_token.
        mp.setenv("RAY_AUTH_TOKEN", os.urandom(32).hex())
        try:
            ray.init(num_cpus=2, _temp_dir=str(tmp_path_factory.mktemp("ray")), include_dashboard=False)
            yield
            # Taken before the shutdown: a worker whose raylet has gone is no descendant.
            started = ray_processes()
            assert started, "found no process of the running cluster: the check below would see nothing"
        finally:
            ray.shutdown()
            if mode is None:  # ray.init turns token mode on in os.environ
                os.environ.pop("RAY_AUTH_MODE", None)
        deadline = time.monotonic() + 30
        while (left := sorted(p for p in started | ray_processes() if alive(p))) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert left == [], "Ray processes left running after ray.shutdown()"


def single_process_entry(predictor, path):
    """The CLI's entry for one image from Predictor.predict in this process."""
    try:
        result = predictor.predict(path)
    except ImageError as err:
        return {"schema_version": SCHEMA_VERSION, "path": str(path), "faces": [], "whole_image": False,
                "message": None, "error": str(err)}
    return {"schema_version": result.pop("schema_version"), "path": str(path), **result, "error": None}


@pytest.mark.slow
def test_a_folder_of_photos_on_ray_gives_the_single_process_rows_in_order(cluster, predictor, samples, tmp_path):
    for photo in sorted(samples.glob("*.jpg")):
        shutil.copy(photo, tmp_path)
    (tmp_path / "notes.txt").write_text("not an image\n")
    paths = sorted(tmp_path.iterdir())
    expected = [single_process_entry(predictor, path) for path in paths]
    assert sum(len(e["faces"]) for e in expected) > len(paths)  # groups among them
    assert [e["path"] for e in expected if e["error"]] == [str(tmp_path / "notes.txt")]

    # 3 images a batch: the 9 files go to both actors in several batches each.
    rows = list(predict_paths(paths, workers=2, batch_size=3))
    assert all(list(row) == ROW_FIELDS for row in rows)
    assert rows == expected
    json.dumps(rows)  # what the CLI prints: plain Python values only


@pytest.mark.slow
def test_the_frames_of_a_video_on_ray_give_the_single_process_rows(cluster, predictor, woman2):
    expected = [{"schema_version": SCHEMA_VERSION, "path": str(woman2), "sample": sample, "time_s": t,
                 **{k: v for k, v in predictor.predict_rgb(rgb).items() if k != "schema_version"}, "error": None}
                for sample, (t, rgb, _) in enumerate(iter_frames(woman2, fps=2))]
    assert len(expected) == 31 and all(len(e["faces"]) == 1 for e in expected)

    rows = predict_video_frames([woman2], fps=2, workers=2, batch_size=4)
    assert all(list(row) == ["schema_version", "path", "sample", "time_s"] + ROW_FIELDS[2:] for row in rows)
    assert rows == expected


@pytest.mark.slow
def test_a_dataset_of_decoded_images_gives_what_predict_gives_for_those_pixels(cluster, predictor, samples):
    from PIL import Image

    ds = ray.data.read_images(str(samples), include_paths=True, mode="RGB")
    # workers=None: one actor per LITERT_THREADS cores of each node (here: one).
    rows = sorted((entry(row) for row in predict_dataset(ds, column="image").iter_rows()), key=lambda r: r["path"])
    photos = sorted(samples.glob("*.jpg"))
    assert [Path(row["path"]).name for row in rows] == [photo.name for photo in photos]
    for row, photo in zip(rows, photos):
        alone = predictor.predict(np.asarray(Image.open(photo).convert("RGB")))
        assert row == {"schema_version": alone.pop("schema_version"), "path": row["path"], **alone, "error": None}


@pytest.mark.slow
def test_a_missing_model_fails_before_any_actor_starts(cluster, samples):
    with pytest.raises(ModelFileError):
        list(predict_paths([samples / "justin.jpg"], model="no-such-model.json"))


def test_without_ray_the_import_names_the_extra(tmp_path):
    blocker = ("import importlib.abc, sys\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] == 'ray':\n"
               "            raise ImportError('No module named ray')\n"
               "sys.meta_path.insert(0, Block())\n"
               "import emoji_fer.ray\n")
    proc = subprocess.run([sys.executable, "-c", blocker], cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "pip install 'emoji-fer[ray]'" in proc.stderr.strip().splitlines()[-1]
