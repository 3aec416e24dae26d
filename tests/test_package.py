"""The installable library: the public API as a `fer` user calls it, the
package's layering (it runs without train/, convert/, TensorFlow, Keras or Gradio), the
wheel installed into a fresh virtual environment with no TensorFlow, and a lean tree."""

import json
import os
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # wheels built and installed in a fresh venv



@pytest.fixture(scope="module")
def justin_bgr(samples):
    import cv2

    bgr = cv2.imread(str(samples / "justin.jpg"))  # OpenCV decodes to BGR
    assert bgr is not None and bgr.shape[2] == 3
    return bgr


def test_public_api_and_version():
    import importlib.metadata

    import emoji_fer
    from emoji_fer import EMOJI, LABELS, SCHEMA_VERSION, Predictor

    assert LABELS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert set(EMOJI) == set(LABELS) and SCHEMA_VERSION == 1
    assert callable(Predictor.detect_emotions) and callable(Predictor.top_emotion)
    # One version, written once (emoji_fer/__init__.py) and read by the build backend.
    assert importlib.metadata.version("emoji-fer") == emoji_fer.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]


def test_detect_emotions_returns_the_fer_schema(predictor, justin_bgr, samples):
    from emoji_fer import LABELS

    faces = predictor.detect_emotions(justin_bgr, channels="BGR")
    assert isinstance(faces, list) and len(faces) == 1
    face = faces[0]
    assert set(face) == {"box", "emotions"}
    assert isinstance(face["box"], list) and len(face["box"]) == 4
    assert all(isinstance(v, int) for v in face["box"])
    x, y, w, h = face["box"]
    assert 0 <= x and 0 <= y and w > 50 and h > 50 and x + w <= justin_bgr.shape[1] and y + h <= justin_bgr.shape[0]
    assert list(face["emotions"]) == list(LABELS)
    assert all(isinstance(p, float) and 0.0 <= p <= 1.0 for p in face["emotions"].values())
    assert sum(face["emotions"].values()) == pytest.approx(1.0, abs=1e-4)
    assert max(face["emotions"], key=face["emotions"].get) == "happy"
    json.dumps(faces)  # plain Python types, as `fer` returns

    label, score = predictor.top_emotion(justin_bgr, channels="BGR")
    assert (label, score) == ("happy", face["emotions"]["happy"])
    assert predictor.detect_emotions(samples / "no-faces.jpg") == []
    assert predictor.top_emotion(samples / "no-faces.jpg") == (None, None)


def test_bgr_input_gives_the_result_of_the_same_image_in_rgb(predictor, justin_bgr):
    before = justin_bgr.copy()
    rgb = np.ascontiguousarray(justin_bgr[..., ::-1])
    from_bgr = predictor.predict(justin_bgr, channels="BGR")
    assert from_bgr == predictor.predict(rgb)  # same boxes, same probabilities, bit for bit
    assert predictor.detect_emotions(justin_bgr, channels="BGR") == predictor.detect_emotions(rgb)
    np.testing.assert_array_equal(justin_bgr, before)  # the caller's frame is not changed
    # The argument matters: read as RGB, the swapped channels give other probabilities.
    assert predictor.predict(justin_bgr)["faces"][0]["scores"] != from_bgr["faces"][0]["scores"]
    # BGRA (OpenCV with IMREAD_UNCHANGED) as well.
    bgra = np.dstack([justin_bgr, np.full(justin_bgr.shape[:2], 255, np.uint8)])
    assert predictor.predict(bgra, channels="BGR") == from_bgr
    with pytest.raises(ValueError, match="channels"):
        predictor.predict(rgb, channels="bgr ")



# Runs emoji_fer's CLI with train/, convert/ (and TensorFlow, Keras, Gradio) made
# unimportable, from a folder outside the clone.
BLOCKED_RUN = textwrap.dedent("""
    import importlib.abc, sys
    BLOCKED = {"train", "convert", "scripts", "tensorflow", "keras", "gradio", "mtcnn"}

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked by the layering test: {name}")

    sys.meta_path.insert(0, Block())
    from emoji_fer.cli import main
    code = main(sys.argv[1:])
    loaded = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    assert not loaded, loaded
    sys.exit(code)
""")


def run_blocked(tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the package, as an editable install finds it
    return subprocess.run([sys.executable, "-c", BLOCKED_RUN, *map(str, args)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)


def test_predict_evaluate_and_video_run_without_train_convert_or_tensorflow(samples, fer_dir, woman2, tmp_path):
    proc = run_blocked(tmp_path, "predict", samples / "justin.jpg")
    assert proc.returncode == 0, proc.stderr
    faces = json.loads(proc.stdout)[0]["faces"]
    assert len(faces) == 1 and faces[0]["top"][0]["label"] == "happy"

    # evaluate on a small FER-2013 CSV (the loaders are in emoji_fer.fer2013, inside the wheel)
    from emoji_fer.labels import LABELS
    from PIL import Image

    rows = ["emotion,pixels,Usage"]
    for label, name in enumerate(LABELS):
        for file in sorted((fer_dir / "test" / name).glob("PrivateTest_*.jpg"))[:10]:
            pixels = np.asarray(Image.open(file).convert("L")).reshape(-1)
            rows.append(f"{label},{' '.join(map(str, pixels))},PrivateTest")
    (tmp_path / "fer2013.csv").write_text("\n".join(rows) + "\n")
    proc = run_blocked(tmp_path, "evaluate", "--data-dir", tmp_path / "fer2013.csv", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["n"] == 70 and 0.4 < report["accuracy"] <= 1.0

    proc = run_blocked(tmp_path, "video", woman2, "--fps", "0.5", "--csv", tmp_path / "rows.csv")
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "rows.csv").read_text().splitlines()
    assert lines[0].startswith("time_s,faces,person,angry") and len(lines) == 1 + 8  # 0, 2, ..., 14 s


def test_checkpoints_are_not_tracked():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    listed = subprocess.run(["git", "ls-files", "checkpoints", "models"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert not [p for p in listed if p.startswith("checkpoints/")]
    # models/ holds the shipped model and its card only: no training candidates or teachers
    assert all(Path(p).name.startswith("emoji_fer") or p == "models/MODEL_CARD.md" for p in listed), listed


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """`python -m build` (an sdist, then the wheel built from it), as a release would."""
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], capture_output=True,
                          text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    wheels = list(out.glob("emoji_fer-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


def test_wheel_holds_the_package_and_the_shipped_models_only(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    for model in ("emoji_fer", "emoji_fer_fer2013"):  # the default and the FER-2013-label model, by name
        assert f"emoji_fer/models/{model}.tflite" in names and f"emoji_fer/models/{model}.json" in names
    assert "emoji_fer/predictor.py" in names and "emoji_fer/fer2013.py" in names
    assert not [n for n in names if n.split("/")[0] in ("train", "convert", "tests", "web_tfjs", "checkpoints")]
    assert not [n for n in names if n.endswith(".keras")]  # the Predictor serves the LiteRT export
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "emoji-fer = emoji_fer.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    base = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not [line for line in base if any(k in line.lower() for k in ("tensorflow", "keras", "gradio"))], base


def test_wheel_in_a_fresh_venv_without_tensorflow(wheel, samples, tmp_path):
    import emoji_fer

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, command = venv / "bin" / "python", venv / "bin" / "emoji-fer"
    proc = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    outside = tmp_path / "elsewhere"  # not the clone: the model must come from the package
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "EMOJI_FER_MODEL")}

    def run(*args):
        return subprocess.run([*map(str, args)], cwd=outside, env=env, capture_output=True, text=True, timeout=600)

    probe = run(python, "-c", "import importlib.util as u; print([m for m in ('tensorflow', 'keras', 'gradio') "
                              "if u.find_spec(m)])")
    assert probe.returncode == 0 and probe.stdout.strip() == "[]", probe
    version = run(python, "-c", "import emoji_fer; print(emoji_fer.__version__, emoji_fer.__file__)")
    assert version.returncode == 0, version.stderr
    printed, location = version.stdout.split()
    assert printed == emoji_fer.__version__ and str(venv) in location
    proc = run(command, "predict", samples / "justin.jpg")
    assert proc.returncode == 0, proc.stderr
    (entry,) = json.loads(proc.stdout)
    assert entry["schema_version"] == 1 and len(entry["faces"]) == 1
    assert entry["faces"][0]["top"][0]["label"] == "happy"
    old = run(command, "predict", samples / "justin.jpg", "--model", "emoji_fer_fer2013")
    assert old.returncode == 0, old.stderr
    (old_entry,) = json.loads(old.stdout)  # another model: other scores for the same face
    assert old_entry["faces"][0]["box"] == entry["faces"][0]["box"]
    assert old_entry["faces"][0]["scores"] != entry["faces"][0]["scores"]
    assert run(command, "--version").stdout.strip() == f"emoji-fer {emoji_fer.__version__}"
