"""Speed of the browser page (web_tfjs/) in headless Chromium with a fake 640x480 camera.

python scripts/bench_web.py [--backends wasm webgl cpu] [--seconds 8] [--screenshot docs/web_tfjs.png] [--web DIR]

For each backend x TTA (by default the model's metadata TTA, then none; `--tta`) it serves web_tfjs/ with
`python -m http.server`, starts the camera in the page, and prints the median of the
page's own per-frame times (grab + detect + classify) and the frames it processed per
second, plus the download size of the model. The fake camera plays
../shared/samples/woman2.mp4 (centre 4:3 crop, 640x480, 30 fps), so fps is capped at 30.
Needs `pip install playwright` and Debian's chromium (/usr/bin/chromium). The tests
(tests/test_web.py) import the helpers below.
"""

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web_tfjs"
sys.path.insert(0, str(ROOT))  # run as a script: tests.conftest and emoji_fer live there
CHROMIUM = "/usr/bin/chromium"
# No sandbox: CI runs as root in a container. The rest keeps Chromium off the network
# (nothing but localhost is reachable anyway) and quiet.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--disable-default-apps"]
NO_GPU = ["--disable-gpu"]
# WebGL on the CPU: Chromium only falls back to SwiftShader when told to.
SWIFTSHADER = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def camera_flags(y4m, allow=True):
    """Chromium flags for a fake camera playing `y4m`; allow=False leaves the permission
    prompt in place (headless Chromium driven by Playwright then denies it)."""
    flags = ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={y4m}"]
    return flags + (["--use-fake-ui-for-media-stream"] if allow else [])


def fit_4_3(bgr, size=(640, 480)):
    """A video frame as a 4:3 webcam shows it: centre crop to 4:3, resized to `size`."""
    import cv2

    h, w = bgr.shape[:2]
    if w * 3 > h * 4:
        cw = h * 4 // 3
        bgr = bgr[:, (w - cw) // 2:(w - cw) // 2 + cw]
    return cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)


def video_frames(video, every=1, limit=None):
    """(index, BGR frame at 640x480) for every `every`-th frame of a video file."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    index, count = 0, 0
    try:
        while limit is None or count < limit:
            ok, bgr = cap.read()
            if not ok:
                break
            if index % every == 0:
                yield index, fit_4_3(bgr)
                count += 1
            index += 1
    finally:
        cap.release()


def write_y4m(video, out, frames=150):
    """Write the first `frames` frames of `video` as a 640x480 30 fps Y4M (I420) file,
    the format Chromium's --use-file-for-fake-video-capture plays (in a loop)."""
    import cv2

    n = 0
    with open(out, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for _, bgr in video_frames(video, limit=frames):
            f.write(b"FRAME\n" + cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
            n += 1
    if n == 0:
        raise RuntimeError(f"no frames could be read from {video}")
    return out


@contextlib.contextmanager
def serve(directory=WEB):
    """`python -m http.server` on a free localhost port in `directory`; yields the URL."""
    from tests.conftest import free_port, wait_for_http

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


def model_bytes(web=WEB):
    """Bytes the page in `web` downloads for the expression model: model.json + weight shards."""
    files = [web / "model" / "model.json"]
    manifest = json.loads(files[0].read_text())["weightsManifest"]
    files += [web / "model" / path for group in manifest for path in group["paths"]]
    return sum(f.stat().st_size for f in files)


def run_camera(pw, url, y4m, backend, tta=None, seconds=8.0, screenshot=None):
    """Start the camera in the page; returns the page's timings over `seconds` (after a
    2 s warm-up): median ms/frame, fps, and the backend the page reports."""
    flags = CHROMIUM_FLAGS + camera_flags(y4m) + (SWIFTSHADER if backend == "webgl" else NO_GPU)
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags)
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 820})
        query = f"?backend={backend}" + (f"&tta={tta}" if tta else "")
        page.goto(url + query)
        page.wait_for_function("window.emojiFer.ready || window.emojiFer.error", timeout=120_000)
        error = page.evaluate("window.emojiFer.error")
        if error:
            return {"error": error}
        page.click("#camera-button")
        page.wait_for_function("window.emojiFer.result && window.emojiFer.result.source === 'camera'",
                               timeout=120_000)
        time.sleep(2.0)
        start = page.evaluate("window.emojiFer.timings.length")
        time.sleep(seconds)
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)  # the whole page, timeline included
        timings = page.evaluate("window.emojiFer.timings")[start:]
        readout = page.locator("#readout")
        return {
            "backend": readout.get_attribute("data-backend"),
            "tta": readout.get_attribute("data-tta"),
            "frames": len(timings),
            "ms": statistics.median(t["frame"] for t in timings) if timings else float("nan"),
            "detect_ms": statistics.median(t["detect"] for t in timings) if timings else float("nan"),
            "classify_ms": statistics.median(t["classify"] for t in timings) if timings else float("nan"),
            "fps": len(timings) / seconds,
            "page_fps": float(readout.get_attribute("data-fps") or 0),
        }
    finally:
        browser.close()


def main():
    from emoji_fer.inference import TTA_MODES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["wasm", "webgl", "cpu"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--video", type=Path, default=ROOT.parent / "shared" / "samples" / "woman2.mp4")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the first run here")
    # Comparing pages (e.g. an earlier commit's web_tfjs/ model) needs the same script
    # pointed at another copy of the folder.
    parser.add_argument("--web", type=Path, default=WEB, help="the page's folder (default: web_tfjs/)")
    parser.add_argument("--tta", nargs="+", default=["metadata", "none"], choices=["metadata", *TTA_MODES],
                        help="TTA modes to measure per backend ('metadata': the model's own)")
    args = parser.parse_args()

    import tempfile

    from playwright.sync_api import sync_playwright

    metadata = json.loads((args.web / "model" / "metadata.json").read_text())
    print(f"page: {args.web}; model download: {model_bytes(args.web):,} bytes (model.json + weights); "
          f"metadata TTA: {metadata['inference']['tta']}")
    # Other work on the machine slows every figure: say how busy it was.
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'backend':8} {'TTA':16} {'frames':>6} {'ms/frame':>9} {'detect':>7} {'classify':>8} {'fps':>5}")
    with tempfile.TemporaryDirectory() as tmp, serve(args.web) as url, sync_playwright() as pw:
        y4m = write_y4m(args.video, Path(tmp) / "camera.y4m")
        shot = args.screenshot
        for backend in args.backends:
            for tta in args.tta:
                r = run_camera(pw, url, y4m, backend, None if tta == "metadata" else tta, args.seconds, shot)
                shot = None
                if "error" in r:
                    print(f"{backend:8} {tta:16} error: {r['error']}")
                    continue
                print(f"{r['backend']:8} {r['tta']:16} {r['frames']:6d} {r['ms']:9.1f} {r['detect_ms']:7.1f} "
                      f"{r['classify_ms']:8.1f} {r['fps']:5.1f}", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.screenshot:
        print(f"wrote {args.screenshot}")


if __name__ == "__main__":
    main()
