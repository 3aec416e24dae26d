"""Screenshot of the running demo for the README, taken in real headless Chromium.

python scripts/screenshot_demo.py [--url http://127.0.0.1:7860/] [--image ../shared/samples/justin.jpg]
Needs `pip install playwright` and Debian's chromium (/usr/bin/chromium); writes docs/demo.png.
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--image", type=Path, default=ROOT.parent / "shared" / "samples" / "justin.jpg")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "demo.png")
    args = parser.parse_args()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(args.url)
        page.locator("input[type=file]").first.set_input_files(str(args.image))
        page.get_by_role("button", name="Find expressions").click()
        page.get_by_text("Main face: top-3").wait_for()
        page.wait_for_function("document.querySelectorAll('.output-class, [data-testid=\"label-output-value\"]').length > 0",
                               timeout=60000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(args.out), full_page=True)
        browser.close()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
