"""The constants the browser page shares with the Python package: Python defines them,
`python -m convert.shared` writes them into web_tfjs/js/shared.json, and the page's
modules import them from js/shared.js. These tests fail when the committed file is stale,
when a page module types one of them again, or when the page sees other values."""

import json
import os
import re
import shutil
import subprocess

import pytest

from convert import shared
from tests.conftest import ROOT

JS = ROOT / "web_tfjs" / "js"


def test_the_committed_file_is_what_python_writes():
    """A Python value changed without regenerating the file fails here."""
    assert shared.OUT.is_file(), f"{shared.OUT.relative_to(ROOT)} is missing: run `{shared.COMMAND}`"
    assert shared.OUT.read_text() == shared.render(), (
        f"{shared.OUT.relative_to(ROOT)} is stale (a value changed in Python): run `{shared.COMMAND}` "
        "and commit the file")
    assert shared.main(["--check"]) == 0  # the command CI or a hook can run


def test_no_page_module_types_a_shared_value():
    """`NAME = 96` or `NAME: 96` in any page module would be a second copy to keep in step."""
    literal = re.compile(rf"\b({'|'.join(shared.SHARED)})\s*[:=]\s*[-+.\d]")
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in sorted(JS.rglob("*.js"))
             for number, line in enumerate(path.read_text().splitlines(), start=1) if literal.search(line)]
    assert not found, "import these from js/shared.js instead of typing them:\n" + "\n".join(found)


# What the page's modules export, as Node loads them (the same module graph as the page's).
NODE_EXPORTS = """
const load = (name) => import(new URL(name, process.argv[1]).href);
const [shared, timeline, engine] = await Promise.all(['shared.js', 'timeline.js', 'engine.js'].map(load));
console.log(JSON.stringify({
  shared: { ...shared },
  timeline: { DEFAULT_RATE: timeline.DEFAULT_RATE, MAX_RATE: timeline.MAX_RATE },
  engine: { WHOLE_IMAGE_MAX_SIDE: engine.WHOLE_IMAGE_MAX_SIDE },
}));
"""


def test_the_page_modules_export_python_values():
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node not found; CI must have Node.js to check the page's modules")
        pytest.skip("node not found: the page's modules cannot be loaded to compare their values with Python's")
    run = subprocess.run(["node", "--input-type=module", "-e", NODE_EXPORTS, JS.as_uri() + "/"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stderr == "", run.stderr  # no warning (JSON modules load silently in Node 20)
    got = json.loads(run.stdout)
    python = shared.values()
    assert got["shared"] == python  # every shared name, and no other
    assert got["timeline"] == {k: python[k] for k in ("DEFAULT_RATE", "MAX_RATE")}
    assert got["engine"] == {"WHOLE_IMAGE_MAX_SIDE": python["WHOLE_IMAGE_MAX_SIDE"]}
