"""What the tests and the benchmark scripts share, in one place both may import from.

- data: where the shared data lives (../shared: FER-2013, sample photos) and `need`, the
  skip-or-fail rule for when it is absent.
- processes: child processes: `python -m ...` from the repo root, a free localhost
  port, waiting for an HTTP server, the demo server.
- browser: Debian's Chromium and its flags, the static server for web_tfjs/, the
  `Browser` that records a page's errors, uploading a photo, the bars several page
  tests share.
- camera: Chromium's fake camera: its flags, video frames fitted to 640x480, Y4M files.
- grid_video: a video of several faces at once, as a video call's grid shows them.
- personal: what the personal-model test teaches the page (scripts/bench_personal.py
  teaches the same).
- cli: a command's failure as a user sees it (one `error:` line on stderr).
- models: a copy of the shipped model with changed figures (promotion candidates).
- timing: wall-clock timing of repeated calls, for the benchmarks.
- web_fixtures: the pytest fixtures of the page's tests (pw, site, camera_file),
  registered by tests/conftest.py as a plugin.

The rule: scripts/ and tests/test_*.py import shared code from here, never from each
other, and no test module imports another. Modules here import only the standard
library, third-party packages, emoji_fer and each other: nothing from scripts/ or from a
test module, so that the imports run one way.
"""
