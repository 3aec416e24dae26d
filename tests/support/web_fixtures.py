"""The pytest fixtures of the page's tests (tests/test_web*.py), defined once here and
registered by tests/conftest.py (`pytest_plugins`), so that no test module imports them
from another. Module-scoped: each test module gets its own Playwright, server and camera
file, as it did when it imported them.

- pw: Playwright, or a skip (a failure in CI) without the playwright package, Debian's
  Chromium or the exported TF.js model;
- site: web_tfjs/ served on a free localhost port; its URL;
- camera_file: the fake camera's Y4M file, woman2.mp4's first 5 s.
"""

from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, WEB, serve
from tests.support.camera import write_y4m
from tests.support.data import need


@pytest.fixture(scope="module")
def pw():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        need(Path("/nonexistent/playwright"), "the playwright Python package")
    need(Path(CHROMIUM), "Debian's chromium")
    need(WEB / "model" / "model.json", "the exported TF.js model")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def site():
    with serve(WEB) as url:
        yield url


@pytest.fixture(scope="module")
def camera_file(samples, tmp_path_factory):
    return write_y4m(samples / "woman2.mp4", tmp_path_factory.mktemp("camera") / "woman2.y4m")
