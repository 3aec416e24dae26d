"""How many faces of a call's gallery the page finds at each detector input size: why call
mode runs BlazeFace at 256 px (the photos' size) and the camera at 128.

    python scripts/call_detect_sizes.py [--galleries 3x3 4x4 5x5] [--sizes 128 256]

For each gallery (a 1280x720 video of C x R tiles, scripts/grid_video.py: woman2.mp4 and the
sample photos' faces, repeated) and each size, it plays the video through the page's
"Open a video" source in headless Chromium, sets LivePipeline.detectSize, restarts the
tracks, and prints the fewest and most faces found per frame over 10 processed frames.
"""

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, NO_GPU, serve  # noqa: E402
from tests.support.grid_video import write_grid_video  # noqa: E402

FRAME = (1280, 720)  # a shared call window at the size the page asks for (js/sources.js SCREEN)
FRAMES = 10

COLLECT = """n => new Promise((resolve) => {
    const got = [];
    document.addEventListener('emoji-fer:result', function listen({ detail }) {
      got.push(detail.faces.length);
      if (got.length === n) { document.removeEventListener('emoji-fer:result', listen); resolve(got); }
    });
})"""


def faces_found(browser, url, video, size):
    page = browser.new_page(viewport={"width": 1200, "height": 820})
    try:
        page.goto(url)
        page.wait_for_function("window.emojiFer.ready", timeout=120_000)
        page.locator("#video-input").set_input_files(str(video))
        page.wait_for_function("window.emojiFer.result && window.emojiFer.result.source === 'video'", timeout=60_000)
        page.evaluate("size => { window.emojiFer.live.detectSize = size; window.emojiFer.live.reset(); }", size)
        page.wait_for_timeout(3000)  # new tracks, each with its views
        return page.evaluate(COLLECT, FRAMES)
    finally:
        page.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--galleries", nargs="+", default=["3x3", "4x4", "5x5"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[128, 256])
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    print(f"{'gallery':8} {'faces':>5} {'tile':>8} {'detector':>8} {'found per frame':>16}")
    with tempfile.TemporaryDirectory() as tmp, serve() as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + NO_GPU)
        try:
            for gallery in args.galleries:
                cols, rows = (int(v) for v in gallery.lower().split("x"))
                tile = (FRAME[0] // cols, FRAME[1] // rows)
                video = Path(tmp) / f"gallery{cols}x{rows}.webm"
                write_grid_video(video, cols=cols, rows=rows, seconds=15, size=tile)
                for size in args.sizes:
                    found = faces_found(browser, url, video, size)
                    print(f"{gallery:8} {cols * rows:5d} {tile[0]:4d}x{tile[1]:<3d} {size:8d} "
                          f"{min(found):>8d} to {max(found):<4d}", flush=True)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
