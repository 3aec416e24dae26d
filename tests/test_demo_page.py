"""The demo's page in a real browser (Debian's Chromium with a fake camera playing
woman2.mp4): every input still renders and works after the server-side guards of
docs/security.md (the file inputs are the project's own subclasses of Gradio's, which
take only the client's uploads and hand over images undecoded).

One pass through what a visitor does: a photo, a confirmation, an example photo sent
again, the live webcam stream, a video. No asset of the page may fail to load.
"""

import re
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_FLAGS, NO_GPU
from tests.support.camera import camera_flags, write_y4m
from tests.conftest import demo_server, need

pytestmark = pytest.mark.browser  # its own Chromium, not the page's fixtures


@pytest.fixture(scope="module")
def page(samples, woman2, tmp_path_factory):
    from playwright.sync_api import sync_playwright

    need(Path(CHROMIUM), "Debian's chromium")
    camera = write_y4m(woman2, tmp_path_factory.mktemp("camera") / "camera.y4m")
    store = tmp_path_factory.mktemp("store") / "feedback.sqlite3"
    with demo_server(env={"EMOJI_FER_FEEDBACK_DB": f"sqlite:///{store}"}) as (url, _), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS + NO_GPU + camera_flags(camera))
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.failed = []
        page.on("response", lambda r: r.status >= 400 and page.failed.append(f"{r.status} {r.url}"))
        page.goto(url)
        yield page
        browser.close()


def main_label(page):
    return page.get_by_test_id("label-output-value").first


def test_a_photo_and_its_confirmation(page, samples):
    page.locator("input[type=file]").first.set_input_files(str(samples / "justin.jpg"))
    page.get_by_role("button", name="Find expressions").click()
    page.get_by_role("button", name="Yes, 😄 happy is right").wait_for(timeout=60000)
    assert "happy" in main_label(page).inner_text()
    page.get_by_role("button", name="Yes, 😄 happy is right").click()
    page.get_by_text("you confirmed 😄 happy").wait_for(timeout=60000)


def test_an_example_photo_sent_again(page):
    """An example's photo is the server's own file: the page sends it back as an input,
    which the guard must still take (Gradio copied it into its cache as an upload)."""
    from playwright.sync_api import expect

    faces = page.get_by_label("Face (the number on its box; 0 = the largest)")
    page.locator(".gallery-item, button.gallery").nth(1).click()  # sample1.jpg, a group of 3
    expect(faces).to_have_value(re.compile(r"#0 \(largest\)"), timeout=60000)  # the cached result
    page.get_by_role("button", name="Find expressions").click()  # the example's photo, sent again
    page.wait_for_timeout(3000)
    expect(faces).to_have_value(re.compile(r"#0 \(largest\)"))
    assert page.get_by_text("Error").count() == 0


def test_the_live_webcam_stream(page):
    page.get_by_role("tab", name="Live webcam").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_text("Click to Access Webcam").click()
    panel.locator("button", has_text="Record").click()
    page.get_by_text("Dominant expression").wait_for(timeout=60000)
    page.get_by_text("0 with no face").wait_for(timeout=60000)
    panel.locator("button", has_text="Stop").click()


def test_a_video(page, woman2):
    page.get_by_role("tab", name="Video file").click()
    panel = page.get_by_role("tabpanel")
    panel.locator("input[type=file]").first.set_input_files(str(woman2))
    page.get_by_role("button", name="Analyze video").click()
    page.get_by_text("31 samples over 15.0 s").wait_for(timeout=180000)


def test_every_asset_loaded(page):
    assert page.failed == []
