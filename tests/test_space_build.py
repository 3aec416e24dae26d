"""The Hugging Face Space builds as Spaces build: requirements.txt is installed alone, in
an empty folder, with gradio at the README's sdk_version in the same pip call; only then
is the repository copied in and `python demo.py` started (docs/deploy.md). So
requirements.txt lists the demo's dependencies itself, with pyproject.toml's pins, and
the README's front matter names a Python that pyproject.toml allows."""

import os
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT, free_port, wait_for_http

PROJECT = canonicalize_name("emoji-fer")
# The extras the demo needs, besides the base dependencies; their own extras follow
# (`emoji-fer[feedback]` in [demo]).
SPACE_EXTRAS = ("demo",)
SPACES_DEFAULT_PYTHON = "3.10"  # a Space's Python when its front matter names none


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def keyed(requirements, where):
    """{canonical name: Requirement}; one name listed twice must be listed alike."""
    found = {}
    for req in requirements:
        name = canonicalize_name(req.name)
        assert name not in found or str(found[name]) == str(req), f"{where}: {found[name]} and {req}"
        found[name] = req
    return found


def demo_requirements():
    """The base dependencies and SPACE_EXTRAS' requirements, through the project's own
    extras (`emoji-fer[feedback]`), as {canonical name: Requirement}."""
    project = pyproject()
    extras = project["optional-dependencies"]
    reqs, todo, seen = [Requirement(r) for r in project["dependencies"]], list(SPACE_EXTRAS), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for line in extras[extra]:
            req = Requirement(line)
            if canonicalize_name(req.name) == PROJECT:
                todo.extend(req.extras)
            else:
                reqs.append(req)
    return keyed(reqs, "pyproject.toml")


def requirements_txt():
    """requirements.txt's requirements, {canonical name: Requirement}; a line that is not
    a requirement (`-e .`, `-r file`, an option) fails: the Space has no repository yet
    when it installs the file."""
    reqs = []
    for number, line in enumerate((ROOT / "requirements.txt").read_text().splitlines(), 1):
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("-"), (f"requirements.txt line {number}: {line!r} is not a requirement; Spaces "
                                          "install this file before the repository is there")
        reqs.append(Requirement(line))
    return keyed(reqs, "requirements.txt")


def front_matter():
    """The README's YAML front matter (the Space's configuration), as a dict."""
    text = (ROOT / "README.md").read_text()
    assert text.startswith("---\n"), "README.md must open with the Space's front matter"
    return yaml.safe_load(text[4:text.index("\n---\n", 4)])


def gradio_pin():
    """The version the [demo] extra pins gradio to (`~=X.Y.Z` or `==X.Y.Z`)."""
    spec = demo_requirements()["gradio"].specifier
    assert len(spec) == 1 and next(iter(spec)).operator in ("~=", "=="), spec
    return next(iter(spec)).version


def test_requirements_txt_lists_the_demo_dependencies_with_the_pyproject_pins():
    wanted, listed = demo_requirements(), requirements_txt()
    assert sorted(set(wanted) - set(listed)) == [], "in pyproject.toml, missing from requirements.txt"
    assert sorted(set(listed) - set(wanted)) == [], "in requirements.txt, not among the demo's dependencies"
    for name, req in wanted.items():
        assert str(listed[name]) == str(req), f"requirements.txt has {listed[name]}, pyproject.toml {req}"


def test_front_matter_names_the_pinned_gradio_and_an_allowed_python():
    front = front_matter()
    assert front["sdk"] == "gradio" and (ROOT / front["app_file"]).is_file()
    assert str(front["sdk_version"]) == gradio_pin()
    assert "python_version" in front, f"without python_version, a Space runs Python {SPACES_DEFAULT_PYTHON}"
    # A string: unquoted, YAML reads 3.10 as the number 3.1.
    assert isinstance(front["python_version"], str), "quote python_version in the front matter"
    assert Version(front["python_version"]) in SpecifierSet(pyproject()["requires-python"])


def tracked_files():
    """The repository's tracked files as they are in the working tree (uncommitted edits
    included, deleted files left out). Untracked files are left out as a push would
    leave them, so a new module that was never `git add`-ed fails here too."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [path for path in listed.decode().split("\0") if path and (ROOT / path).is_file()]


def space_python(version):
    """The python<version> on this machine, as the Space would have; skipped without one
    (in CI it must be there)."""
    found = shutil.which(f"python{version}")
    if found is None:
        reason = f"python{version} (the Space's python_version) is not on PATH"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.mark.slow  # installs the demo's dependencies into a fresh venv
def test_the_space_builds_and_answers(samples):
    from gradio_client import Client, handle_file

    front = front_matter()
    # The child processes get this machine's environment (CI's PIP_NO_CACHE_DIR, pip's
    # index settings), but nothing that would put this venv's packages on their path.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    with tempfile.TemporaryDirectory(prefix="emoji_fer-space-") as scratch:
        scratch = Path(scratch)
        app, venv = scratch / "app", scratch / "venv"
        app.mkdir()
        shutil.copy2(ROOT / "requirements.txt", app)  # alone: the repository comes later
        base = space_python(front.get("python_version", SPACES_DEFAULT_PYTHON))
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        python = str(venv / "bin" / "python")
        pip = subprocess.run([python, "-m", "pip", "install", "-r", "requirements.txt",
                              f"gradio[oauth,mcp]=={front['sdk_version']}"],
                             cwd=app, env=env, capture_output=True, text=True, timeout=3600)
        assert pip.returncode == 0, f"the Space's pip install failed:\n{pip.stderr[-3000:]}"

        for path in tracked_files():
            (app / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / path, app / path)
        # The package is not installed: demo.py imports it from the repository beside it.
        found = subprocess.run([python, "-c", "import importlib.util; print(importlib.util.find_spec('emoji_fer'))"],
                               cwd=scratch, env=env, capture_output=True, text=True, check=True)
        assert found.stdout.strip() == "None"

        # Spaces start the app_file from the repository with the port in GRADIO_SERVER_PORT.
        port = free_port()
        server_env = {**env, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
                      "GRADIO_TEMP_DIR": str(scratch / "gradio"),
                      "EMOJI_FER_FEEDBACK_DB": f"sqlite:///{scratch}/feedback.sqlite3"}
        with open(scratch / "server.log", "w+") as log:
            server = subprocess.Popen([python, front["app_file"]], cwd=app, env=server_env, stdout=log,
                                      stderr=subprocess.STDOUT, text=True)
            try:
                url = f"http://127.0.0.1:{port}/"
                try:
                    wait_for_http(url, server, timeout=300)  # a first start compiles the venv's modules
                except (RuntimeError, TimeoutError) as err:
                    log.seek(0)
                    pytest.fail(f"{err}\n{log.read()[-5000:]}\n(only git-tracked files were copied: is a new file "
                                "missing from `git add`?)")
                _, top3, result = Client(url, verbose=False).predict(handle_file(str(samples / "justin.jpg")),
                                                                      api_name="/predict")
            finally:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait(timeout=30)
    assert len(result["faces"]) == 1 and result["faces"][0]["top"][0]["label"] == "happy"
    assert top3["label"] == "😄 happy"

