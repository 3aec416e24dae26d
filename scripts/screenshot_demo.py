"""Screenshots of the running demo for the README, taken in real headless Chromium.

python scripts/screenshot_demo.py [--url http://127.0.0.1:7860/] [--what photo|video|live|health]
  photo: ../shared/samples/justin.jpg in the Photo tab          -> docs/demo.png
  video: ../shared/samples/woman2.mp4 analyzed in the Video tab, smoothing 1 s -> docs/timeline.png
  live:  the Live webcam tab fed by Chromium's fake camera playing woman2.mp4 (converted
         to a .y4m file, the format the fake camera reads) for --seconds -> docs/live.png
  health: first submits FEEDBACK_SEED (faces of the sample photos, confirmed or corrected)
         through the demo's /feedback API, then the Model health tab  -> docs/health.png
         (so run it against a demo on a throwaway store:
         python demo.py --feedback-db sqlite:////tmp/health-demo.sqlite3)
Needs `pip install playwright` and Debian's chromium (/usr/bin/chromium).
"""

import argparse
import tempfile
from pathlib import Path

import cv2
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
OUT = {"photo": ROOT / "docs" / "demo.png", "video": ROOT / "docs" / "timeline.png", "live": ROOT / "docs" / "live.png",
       "health": ROOT / "docs" / "health.png"}
# (photo, face number, the label a user gives): 19 faces of the sample photos, 5 of them
# corrections (faces the model calls happy with low confidence, given their second label).
FEEDBACK_SEED = [("justin.jpg", 0, "happy"), ("sample1.jpg", 0, "happy"), ("sample1.jpg", 1, "happy"),
                 ("sample1.jpg", 2, "sad"), ("sample2.jpg", 0, "sad"), ("sample3.jpg", 0, "happy"),
                 ("sample3.jpg", 1, "neutral"), ("sample3.jpg", 2, "happy"), ("sample4.jpg", 0, "happy"),
                 ("sample4.jpg", 1, "fear"), ("sample4.jpg", 2, "happy"), ("sample5.jpg", 0, "happy"),
                 ("sample5.jpg", 1, "happy"), ("sample5.jpg", 2, "happy"), ("sample5.jpg", 3, "sad"),
                 ("sample5.jpg", 4, "neutral"), ("sample6.jpg", 0, "happy"), ("sample6.jpg", 1, "happy"),
                 ("sample6.jpg", 3, "neutral")]


def write_y4m(video, path):
    """Convert a video to the raw YUV 4:2:0 .y4m that --use-file-for-fake-video-capture plays (in a loop)."""
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30
    with open(path, "wb") as out:
        header = False
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            h, w = bgr.shape[:2]
            if not header:
                out.write(f"YUV4MPEG2 W{w} H{h} F{round(fps * 1000)}:1000 Ip A1:1 C420jpeg\n".encode())
                header = True
            out.write(b"FRAME\n" + cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420).tobytes())
    cap.release()
    return path


def photo(page, args):
    page.locator("input[type=file]").first.set_input_files(str(args.image))
    page.get_by_role("button", name="Find expressions").click()
    page.get_by_text("Main face: top-3").wait_for()
    page.wait_for_function("document.querySelectorAll('.output-class, [data-testid=\"label-output-value\"]').length > 0",
                           timeout=60000)


def video(page, args):
    page.get_by_role("tab", name="Video file").click()
    panel = page.get_by_role("tabpanel")
    panel.locator("input[type=file]").first.set_input_files(str(args.video))
    smoothing = panel.get_by_role("spinbutton").nth(1)
    smoothing.fill(str(args.smoothing))
    smoothing.press("Enter")
    page.get_by_role("button", name="Analyze video").click()
    page.get_by_text("Dominant expression").wait_for(timeout=180000)


def live(page, args):
    page.get_by_role("tab", name="Live webcam").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_text("Click to Access Webcam").click()
    panel.locator("button", has_text="Record").click()  # starts the stream
    page.get_by_text("Dominant expression").wait_for(timeout=60000)
    page.wait_for_timeout(args.seconds * 1000)


def health(page, args):
    from gradio_client import Client, handle_file

    client = Client(args.url, verbose=False)
    for name, face, label in FEEDBACK_SEED:
        client.predict(handle_file(str(SAMPLES / name)), face, label, api_name="/feedback")
    page.reload()
    page.get_by_role("tab", name="Model health").click()
    page.get_by_text("correction rate").first.wait_for(timeout=60000)
    page.wait_for_function("document.querySelectorAll('img[src^=\"data:image/png\"]').length >= 4", timeout=60000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--what", choices=sorted(OUT), default="photo")
    parser.add_argument("--image", type=Path, default=SAMPLES / "justin.jpg")
    parser.add_argument("--video", type=Path, default=SAMPLES / "woman2.mp4")
    parser.add_argument("--seconds", type=int, default=20, help="live: how long to stream before the screenshot")
    parser.add_argument("--smoothing", type=float, default=1.0, help="video: smoothing half-life in s for the plot")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    flags = list(CHROMIUM_FLAGS)
    with tempfile.TemporaryDirectory() as tmp:
        if args.what == "live":
            camera = write_y4m(args.video, Path(tmp) / "camera.y4m")
            flags += ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                      f"--use-file-for-fake-video-capture={camera}"]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(args.url)
            {"photo": photo, "video": video, "live": live, "health": health}[args.what](page, args)
            page.wait_for_timeout(2000)
            out = args.out or OUT[args.what]
            page.screenshot(path=str(out), full_page=True)
            browser.close()
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
