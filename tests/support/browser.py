"""The browser page (web_tfjs/) in Debian's Chromium, driven by Playwright: the browser's
path and flags, the page's folder served by `python -m http.server`, a `Browser` whose
pages record console errors and uncaught exceptions, uploading a photo, and the bars that
several of the page's tests hold it to."""

import contextlib
import subprocess
import sys
from pathlib import Path

from tests.support.data import ROOT
from tests.support.processes import free_port, wait_for_http

WEB = ROOT / "web_tfjs"
CHROMIUM = "/usr/bin/chromium"
# No sandbox: CI runs as root in a container. The rest keeps Chromium off the network
# (nothing but localhost is reachable anyway) and quiet.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps"]
NO_GPU = ["--disable-gpu"]
# WebGL on the CPU: Chromium only falls back to SwiftShader when told to.
SWIFTSHADER = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]

FIRST_RESULT_S = 15  # the page's bar: a face box and a top-3 list within 15 s of opening it
# The page's probabilities against Python's on the same box and eyes: only the converted
# model differs (float16/uint8 weights in the browser vs int8 LiteRT in Python). A median.
MAX_PROB_DIFF_SAME_BOXES = 0.02


@contextlib.contextmanager
def serve(directory=WEB):
    """`python -m http.server` on a free localhost port in `directory`; yields the URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                            cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for_http(url, proc, timeout=30)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Browser:
    """One headless Chromium (Playwright gives each launch a fresh profile) whose pages
    record console errors and uncaught exceptions."""

    def __init__(self, pw, flags):
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + NO_GPU + flags)
        self.errors = []

    def open(self, url):
        page = self.browser.new_page(viewport={"width": 1200, "height": 820})
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console.error: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.goto(url)
        page.wait_for_function("window.emojiFer.ready || window.emojiFer.error", timeout=60_000)
        assert page.evaluate("window.emojiFer.error") is None
        return page

    def close(self):
        self.browser.close()


def upload(page, path):
    """Give the page's photo input the file at `path`; returns the page's result for it."""
    page.locator("#photo-input").set_input_files(str(path))
    page.wait_for_function("name => window.emojiFer.result && window.emojiFer.result.name === name",
                           arg=Path(path).name, timeout=60_000)
    return page.evaluate("window.emojiFer.result")
