"""Speed of the browser page (web_tfjs/) in headless Chromium with a fake 640x480 camera,
against face-api.js measured the same way in the same session.

python scripts/bench_web.py [--camera-fps 60] [--seconds 8] [--backends wasm webgl cpu]
                            [--tta metadata none] [--no-anchor] [--json] [--screenshot F] [--web DIR]
                            [--grid 3x2 | --screen]

For each backend x TTA (by default wasm with the model's metadata TTA) it serves web_tfjs/
with `python -m http.server`, starts the camera in the page, and prints the medians of the
page's own per-frame times and the frames it processed per second. A frame's time is its
latency: from grabbing it to its result (detection, when due, and classification of one
TTA view per face, in the classifier workers; js/live.js). Frames overlap, so the time
between results (1000 / fps) can be shorter. The fake camera plays
../shared/samples/woman2.mp4 (centre 4:3 crop, 640x480, --camera-fps frames/s, looped),
which caps fps. Then it runs the anchor, ../shared/anchors/faceapi/bench.py (face-api.js on
the same video and camera rate), and prints both and the frame-rate ratio; --json prints
one JSON line instead: ms_per_frame, fps, anchor_ms_per_frame, anchor_fps, ratio (fps over
anchor_fps), and more. --grid CxR measures call mode instead: a grid video of C x R faces
(scripts/grid_video.py, 320x240 tiles, 30 frames/s) through the page's "Open a video"
source, in call mode, without the anchor. --screen measures a shared screen: Chromium's
fake capture device (a 1280x720 test pattern without faces, the size the page asks for),
the cost of watching an empty screen. The absolute figures drift with what else runs on the machine: the
script prints the CPU load, and only runs in the same session compare.
Needs `pip install playwright` and Debian's chromium (/usr/bin/chromium). The browser and
fake-camera helpers it shares with the tests (tests/test_web*.py) are in tests/support/.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, NO_GPU, SWIFTSHADER, WEB, serve  # noqa: E402
from tests.support.camera import camera_flags, write_y4m  # noqa: E402


def model_bytes(web=WEB):
    """Bytes the page in `web` downloads for the expression model: model.json + weight shards."""
    files = [web / "model" / "model.json"]
    manifest = json.loads(files[0].read_text())["weightsManifest"]
    files += [web / "model" / path for group in manifest for path in group["paths"]]
    return sum(f.stat().st_size for f in files)


def run_camera(pw, url, y4m, backend, tta=None, seconds=8.0, screenshot=None, query="", video_file=None,
               screen=False):
    """Start the camera in the page; returns the page's timings over `seconds` (after a
    2 s warm-up): median ms/frame (latency), fps, and the backend the page reports.
    query: more URL parameters ("&workers=0", "&detect-every=3"); video_file: play this
    file through the page's video source (call mode) instead of the camera; screen: share
    the fake capture device's screen instead."""
    flags = CHROMIUM_FLAGS + camera_flags(y4m) + (SWIFTSHADER if backend == "webgl" else NO_GPU)
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=flags)
    try:
        page = browser.new_page(viewport={"width": 1200, "height": 820})
        query = f"?backend={backend}" + (f"&tta={tta}" if tta else "") + query
        page.goto(url + query)
        page.wait_for_function("window.emojiFer.ready || window.emojiFer.error", timeout=120_000)
        error = page.evaluate("window.emojiFer.error")
        if error:
            return {"error": error}
        if video_file:
            page.locator("#video-input").set_input_files(str(video_file))
        else:
            page.click("#screen-button" if screen else "#camera-button")
        source = "video" if video_file else "screen" if screen else "camera"
        page.wait_for_function(f"window.emojiFer.result && window.emojiFer.result.source === '{source}'",
                               timeout=120_000)
        time.sleep(2.0)
        start, delivered = page.evaluate("[window.emojiFer.timings.length, window.emojiFer.cameraFrames]")
        time.sleep(seconds)
        delivered = page.evaluate("window.emojiFer.cameraFrames") - delivered
        if screenshot:
            page.screenshot(path=str(screenshot), full_page=True)  # the whole page, timeline included
        timings = page.evaluate("window.emojiFer.timings")[start:]
        readout = page.locator("#readout")
        detected = [t["detect"] for t in timings if t["detect"] > 0]
        last = page.evaluate("window.emojiFer.result")
        return {
            "backend": readout.get_attribute("data-backend"),
            "tta": readout.get_attribute("data-tta"),
            "frames": len(timings),
            "ms": statistics.median(t["frame"] for t in timings) if timings else float("nan"),
            # the detector runs on some frames only (js/live.js): its median where it ran
            "detect_ms": statistics.median(detected) if detected else float("nan"),
            "classify_ms": statistics.median(t["classify"] for t in timings) if timings else float("nan"),
            "fps": len(timings) / seconds,
            "camera_fps": delivered / seconds,  # frames the camera delivered to the page
            "page_fps": float(readout.get_attribute("data-fps") or 0),
            "workers": last.get("workers", 0),
            "detections_per_frame": len(detected) / len(timings) if timings else float("nan"),
            "faces": len(last["faces"]),
            "size": f"{last['width']}x{last['height']}",
        }
    finally:
        browser.close()


ANCHOR = ROOT.parent / "shared" / "anchors" / "faceapi" / "bench.py"


def run_anchor(video, camera_fps, seconds):
    """../shared/anchors/faceapi/bench.py on the same video and camera rate: its JSON line
    (median_ms, fps, frames, backend), or {"error": ...}."""
    if not ANCHOR.is_file():
        return {"error": f"{ANCHOR} is missing"}
    run = subprocess.run([sys.executable, str(ANCHOR), "--video", str(video), "--fps", str(camera_fps),
                          "--seconds", str(seconds)], capture_output=True, text=True, timeout=900)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if run.returncode != 0 or not lines:
        return {"error": (run.stderr or run.stdout).strip().splitlines()[-1:] or f"exit {run.returncode}"}
    return json.loads(lines[-1])


def main():
    from emoji_fer.inference import TTA_MODES

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["wasm"])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--camera-fps", type=int, default=60, help="the fake camera's frame rate (default 60)")
    parser.add_argument("--video", type=Path, default=ROOT.parent / "shared" / "samples" / "woman2.mp4")
    parser.add_argument("--screenshot", type=Path, help="save a screenshot of the first run here")
    # Comparing pages (e.g. an earlier commit's web_tfjs/ model) needs the same script
    # pointed at another copy of the folder.
    parser.add_argument("--web", type=Path, default=WEB, help="the page's folder (default: web_tfjs/)")
    parser.add_argument("--tta", nargs="+", default=["metadata"], choices=["metadata", *TTA_MODES],
                        help="TTA modes to measure per backend ('metadata': the model's own)")
    parser.add_argument("--query", default="", help='more URL parameters for the page, e.g. "&workers=1"')
    parser.add_argument("--no-anchor", action="store_true", help="skip face-api.js")
    parser.add_argument("--json", action="store_true", help="print one JSON line (first backend and TTA only)")
    parser.add_argument("--grid", help="call mode on a grid video of COLSxROWS faces, e.g. 3x2 (no anchor)")
    parser.add_argument("--screen", action="store_true", help="a shared screen (the fake capture device; no anchor)")
    args = parser.parse_args()
    if args.grid or args.screen:
        args.no_anchor = True

    import tempfile

    from playwright.sync_api import sync_playwright

    say = (lambda *a, **k: None) if args.json else print
    metadata = json.loads((args.web / "model" / "metadata.json").read_text())
    say(f"page: {args.web}; model download: {model_bytes(args.web):,} bytes (model.json + weights); "
        f"metadata TTA: {metadata['inference']['tta']}; camera {args.camera_fps} frames/s")
    # Other work on the machine slows every figure: say how busy it was.
    load_before = os.getloadavg()[0]
    say(f"load average before: {load_before:.1f} on {os.cpu_count()} CPUs")
    runs = []
    with tempfile.TemporaryDirectory() as tmp, serve(args.web) as url, sync_playwright() as pw:
        y4m = write_y4m(args.video, Path(tmp) / "camera.y4m", frames=300, fps=args.camera_fps)
        grid = None
        if args.grid:
            from tests.support.grid_video import write_grid_video

            cols, rows = (int(v) for v in args.grid.lower().split("x"))
            grid = Path(tmp) / "grid.webm"
            write_grid_video(grid, cols=cols, rows=rows, seconds=args.seconds + 20, fps=30)
            say(f"grid video: {cols}x{rows} faces, 30 frames/s, through the page's video source in call mode")
        say(f"{'backend':8} {'TTA':16} {'workers':>7} {'frames':>6} {'ms/frame':>9} {'detect':>7} {'classify':>8} "
            f"{'det/frame':>9} {'fps':>5} {'camera fps':>10}")
        shot = args.screenshot
        for backend in args.backends[:1] if args.json else args.backends:
            for tta in args.tta[:1] if args.json else args.tta:
                r = run_camera(pw, url, y4m, backend, None if tta == "metadata" else tta, args.seconds, shot,
                               args.query, video_file=grid, screen=args.screen)
                shot = None
                if "error" in r:
                    say(f"{backend:8} {tta:16} error: {r['error']}")
                    continue
                runs.append(r)
                say(f"{r['backend']:8} {r['tta']:16} {r['workers']:7d} {r['frames']:6d} {r['ms']:9.1f} "
                    f"{r['detect_ms']:7.1f} {r['classify_ms']:8.1f} {r['detections_per_frame']:9.2f} {r['fps']:5.1f} "
                    f"{r['camera_fps']:10.1f}" + (f"  ({r['faces']} faces in the last frame)" if grid else "")
                    + (f"  (screen {r['size']})" if args.screen else ""),
                    flush=True)
    anchor = {"error": "skipped (--no-anchor)"} if args.no_anchor else run_anchor(args.video, args.camera_fps,
                                                                                   args.seconds)
    if "error" in anchor:
        say(f"anchor: {anchor['error']}")
    else:
        say(f"anchor: {anchor['anchor']}, {anchor['backend']}: {anchor['frames']} frames, "
            f"{anchor['median_ms']:.1f} ms/frame, {anchor['fps']:.1f} fps")
    ratio = runs[0]["fps"] / anchor["fps"] if runs and anchor.get("fps") else None
    if ratio is not None:
        say(f"frame rate, page ({runs[0]['backend']}, TTA {runs[0]['tta']}) over anchor: {ratio:.2f}x")
    say(f"load average after: {os.getloadavg()[0]:.1f}")
    if args.screenshot:
        say(f"wrote {args.screenshot}")
    if args.json:
        first = runs[0] if runs else {}
        print(json.dumps({
            "ms_per_frame": round(first["ms"], 1) if runs else None,
            "fps": round(first["fps"], 1) if runs else None,
            "anchor_ms_per_frame": anchor.get("median_ms"),
            "anchor_fps": anchor.get("fps"),
            "ratio": round(ratio, 2) if ratio is not None else None,
            "camera_fps": args.camera_fps,
            "delivered_fps": round(first["camera_fps"], 1) if runs else None,
            "backend": first.get("backend"), "tta": first.get("tta"), "workers": first.get("workers"),
            "detect_ms": round(first["detect_ms"], 1) if runs and first["detect_ms"] == first["detect_ms"] else None,
            "classify_ms": round(first["classify_ms"], 1) if runs else None,
            "detections_per_frame": round(first["detections_per_frame"], 2) if runs else None,
            "grid": args.grid, "faces": first.get("faces"),
            "load_average_before": round(load_before, 2),
            "errors": [e for e in (anchor.get("error"),) if e],
        }))


if __name__ == "__main__":
    main()
