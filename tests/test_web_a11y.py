"""Accessibility of the browser page (web_tfjs/) in Debian's Chromium: spoken cues and the
live region, axe-core, keyboard operation, the high-contrast theme.

- Speech and live region: speechSynthesis is replaced by a recorder (the page cannot
  tell); with spoken cues on and a 1 s hold, the fake camera (woman2.mp4) runs for some
  seconds. speak() is called at least once, never twice for one person within a hold
  period nor twice overall within a second (by the results' clock, which the recorder
  reads at each call), never on top of a cue still being spoken, and the live region
  shows the same texts in the same order.
- axe-core (tests/a11y/package.json, pinned; installed here with `npm ci` on first use)
  on the page in the default and the high-contrast theme, with the camera running and
  after a photo: no violation of impact "serious" or "critical".
- Keyboard: Tab reaches every control of the page, whichever panels it has, in document
  order, each with a visible focus ring and an accessible name (Chromium's own, through
  the DevTools protocol); the camera button and the photo input work with Enter and Space.
- High contrast: the toggle switches the CSS custom properties (the face boxes' too), is
  remembered across a reload, and the system's `prefers-contrast: more` or
  `forced-colors: active` turns it on until the user chooses. The honesty note is there.
Every page fails its test on any console error or uncaught exception (tests/support/browser.py).
"""

import json
import re
import subprocess
from pathlib import Path

import pytest

from convert import SHIPPED_KERAS
from emoji_fer.model_files import read_metadata
from tests.support.browser import FIRST_RESULT_S, Browser, upload
from tests.support.camera import camera_flags, write_y4m
from tests.support.data import need

A11Y = Path(__file__).with_name("a11y")
AXE = A11Y / "node_modules" / "axe-core" / "axe.min.js"
HOLD_S = 1  # the shortest hold the page allows: the most cues in a short run
MIN_GAP_S = 1  # js/cues.js DEFAULT_MIN_GAP_S: at most one cue per second overall
# s of camera after the first result. The fake camera plays the first CAMERA_S + 0.5 s of
# woman2.mp4: the page shows her as happy, then, from about 7 s, as fearful for more than
# a second, then happy again (the 5 s clip of tests/test_web.py's camera is happy only).
CAMERA_S = 12
BLOCKING = {"serious", "critical"}  # axe impacts that fail the test

# Replaces the browser's speech synthesis before the page's scripts run: speak() records
# the text, the page's clock (the timestamp of the result being published: cues are
# spoken while the page dispatches it) and whether an utterance was still being spoken;
# each utterance "speaks" for SPEAK_MS, longer than a hold, so that cancel() is exercised.
SPEAK_MS = 1500
SPEECH_STUB = """(() => {
  const record = { calls: [], cancels: 0 };
  window.speechRecord = record;
  let speakingUntil = 0;
  window.SpeechSynthesisUtterance = class extends EventTarget {
    constructor(text) { super(); this.text = text; }
  };
  const synth = {
    get speaking() { return performance.now() < speakingUntil; },
    get pending() { return false; },
    speak(utterance) {
      record.calls.push({ text: utterance.text, wall: performance.now(), busy: this.speaking,
        clock: window.emojiFer && window.emojiFer.result ? window.emojiFer.result.timestamp : null });
      speakingUntil = performance.now() + %d;
    },
    cancel() { record.cancels += 1; speakingUntil = 0; },
    getVoices() { return []; },
  };
  Object.defineProperty(window, 'speechSynthesis', { value: synth, configurable: true });
})();""" % SPEAK_MS
NO_SPEECH = "Object.defineProperty(window, 'speechSynthesis', { value: undefined, configurable: true });"

# Records every text the live region shows (a MutationObserver, installed after load).
# Records every text the live region is given, from the mutation records themselves (several
# changes within one task reach the observer together).
WATCH_LIVE = """() => {
  window.liveTexts = [];
  const keep = (text) => { text = (text || '').trim(); if (text) window.liveTexts.push(text); };
  new MutationObserver((records) => records.forEach((r) => (r.type === 'characterData' ? keep(r.target.data)
      : r.addedNodes.forEach((n) => keep(n.textContent)))))
    .observe(document.getElementById('cue-live'), { childList: true, characterData: true, subtree: true });
}"""


class WithInitScript:
    """A Playwright browser whose new pages run `script` before the page's own scripts;
    stands in for Browser.browser, so that Browser.open (and its error recording) is used."""

    def __init__(self, browser, script):
        self.browser, self.script = browser, script

    def new_page(self, **kwargs):
        page = self.browser.new_page(**kwargs)
        page.add_init_script(self.script)
        return page

    def close(self):
        self.browser.close()


def browser_with(pw, flags, script=None):
    browser = Browser(pw, flags)
    if script:
        browser.browser = WithInitScript(browser.browser, script)
    return browser


@pytest.fixture(scope="module")
def axe_source():
    """axe-core's browser bundle: tests/a11y/node_modules from `npm ci` (package-lock.json
    pins it), installed by the first test session that needs it, as conftest does for convert/."""
    import shutil

    if not AXE.exists():
        if shutil.which("npm") is None:
            need(Path("/nonexistent/npm"), "npm (to install axe-core)")
        run = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(A11Y)],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, f"npm ci in {A11Y} failed:\n{run.stdout}{run.stderr}"
    return AXE.read_text()


@pytest.fixture(scope="module")
def changing_camera(woman2, tmp_path_factory):
    """woman2.mp4's first CAMERA_S + 0.5 s as a fake camera (640x480 I420: 170 MB, removed after)."""
    path = write_y4m(woman2, tmp_path_factory.mktemp("changing") / "woman2-long.y4m", frames=int((CAMERA_S + 0.5) * 30))
    yield path
    path.unlink()


def person(text):
    """'Person 2: happy' -> 'Person 2'; 'happy' (the main face) -> 'main'."""
    return text.split(":")[0] if ":" in text else "main"


def test_spoken_cues_and_live_region_on_the_camera(pw, site, changing_camera):
    browser = browser_with(pw, camera_flags(changing_camera), SPEECH_STUB)
    try:
        page = browser.open(site)
        assert page.locator("#cue-speak").is_enabled() and not page.locator("#cue-speak").is_checked()  # off by default
        page.check("#cue-speak")
        page.locator("#cue-hold").fill(str(HOLD_S))
        assert page.locator("#cue-hold-value").text_content() == f"{HOLD_S} s"
        assert page.locator("#cue-hold").get_attribute("aria-valuetext") == "1 second"
        page.evaluate(WATCH_LIVE)
        page.click("#camera-button")
        page.wait_for_function("window.emojiFer.result && window.emojiFer.result.faces.length > 0",
                               timeout=FIRST_RESULT_S * 1000)
        first = page.evaluate("window.emojiFer.result.timestamp")
        page.wait_for_function(f"window.emojiFer.result.timestamp - {first} > {CAMERA_S * 1000}",
                               timeout=(CAMERA_S + 30) * 1000)
        page.click("#camera-button")  # stop
        record = page.evaluate("window.speechRecord")
        live = page.evaluate("window.liveTexts")
        log = page.evaluate("window.emojiFer.cues.log.map(c => ({text: c.text, time: c.time, spoken: c.spoken}))")
        frames = int(page.locator("#readout").get_attribute("data-frames"))
    finally:
        browser.close()

    calls = record["calls"]
    texts = [c["text"] for c in calls]
    clocks = [c["clock"] / 1000 for c in calls]
    print(f"\n{len(calls)} spoken cues over {CAMERA_S} s of camera ({frames} frames), hold {HOLD_S} s: "
          + "; ".join(f"{c['clock'] / 1000 - first / 1000:.2f} s {c['text']!r}" for c in calls)
          + f"; cancel() {record['cancels']} times; wall-clock gaps "
          + ", ".join(f"{(b['wall'] - a['wall']) / 1000:.2f}" for a, b in zip(calls, calls[1:])))
    assert 1 <= len(calls)
    assert texts == [c["text"] for c in log] and all(c["spoken"] for c in log)
    assert clocks == pytest.approx([c["time"] for c in log], abs=1e-6)  # spoken as each cue came
    # At most one per hold period per person, and one per second overall, by the clock.
    assert all(b - a >= MIN_GAP_S - 1e-6 for a, b in zip(clocks, clocks[1:])), clocks
    for who in {person(t) for t in texts}:
        times = [c for c, t in zip(clocks, texts) if person(t) == who]
        assert all(b - a >= HOLD_S - 1e-6 for a, b in zip(times, times[1:])), (who, times)
    assert len(calls) <= (clocks[-1] - first / 1000) / HOLD_S + 1
    # Never queued behind a cue still being spoken: the page cancels it first.
    assert not any(c["busy"] for c in calls)
    assert record["cancels"] >= sum(1 for a, b in zip(calls, calls[1:]) if b["wall"] - a["wall"] < SPEAK_MS)
    # The live region showed the same cues, in the same order.
    assert live == texts
    assert browser.errors == []


def test_cues_for_several_people_merge_and_cancel_stale_speech(pw, site):
    """The panel on call-mode results for three tracks of a video source, in the page's
    result schema (every panel of the page gets them), dispatched as the page's own
    `emoji-fer:result` events with a clock that the test sets: one merged cue, then one
    per person as each changes and holds."""
    browser = browser_with(pw, [], SPEECH_STUB)
    try:
        page = browser.open(site)
        page.check("#cue-speak")
        page.locator("#cue-hold").fill("2")
        page.evaluate(WATCH_LIVE)
        cues = page.evaluate("""async () => {
            const { labels, emoji } = window.emojiFer.engine.metadata;
            const face = (track, label) => {  // `label` on top with 0.55, the rest shared
              const scores = Object.fromEntries(labels.map((l) => [l, l === label ? 0.55 : 0.45 / (labels.length - 1)]));
              const top = [...labels].sort((a, b) => scores[b] - scores[a]).slice(0, 3)
                .map((l) => ({ label: l, emoji: emoji[l], score: scores[l] }));
              return { track, box: [20 + 120 * (track - 1), 20, 100, 100], scores, top, views: 8 };
            };
            const t0 = performance.now();  // any clock: the cues follow the results' timestamps
            for (let ms = 0, frame = 1; ms <= 6000; ms += 50, frame += 1) {
              const shown = ms < 3000 ? ['happy', 'sad', 'neutral'] : ['happy', 'surprise', 'angry'];
              const result = { source: 'video', callMode: true, timestamp: t0 + ms, frame, width: 400, height: 200,
                               faces: shown.map((label, i) => face(i + 1, label)),
                               ms: { detect: 0, classify: 0, total: 0 } };
              window.emojiFer.result = result;
              document.dispatchEvent(new CustomEvent('emoji-fer:result', { detail: result }));
            }
            await new Promise((r) => setTimeout(r, 300));
            return window.emojiFer.cues.log.map((c) => [Math.round((c.time * 1000 - t0)), c.text]);
        }""")
        record = page.evaluate("window.speechRecord")
        live = page.evaluate("window.liveTexts")
        log_items = page.locator("#cue-log li").count()
        log_emoji = page.locator("#cue-log li .person .emoji").count()
        log_text = page.locator("#cue-log").text_content()
    finally:
        browser.close()
    print(f"\ncues: {cues}; cancel() {record['cancels']} times")
    # 2 s hold, one cue per second overall: all three at 2 s, merged; persons 2 and 3
    # change at 3 s and are both due at 5 s, merged again.
    assert cues == [[2000, "Person 1: happy. Person 2: sad. Person 3: neutral"],
                    [5000, "Person 2: surprise. Person 3: angry"]]
    assert [c["text"] for c in record["calls"]] == [c[1] for c in cues] == live
    # The second cue came while the first was still being spoken: cancelled, not queued.
    assert record["cancels"] == 1 and not any(c["busy"] for c in record["calls"])
    assert log_items == 2 and log_emoji == 5 and "Person 2: surprise" in log_text  # emoji next to each text
    assert "😲" in log_text and "😠" in log_text
    assert browser.errors == []


def test_no_speech_synthesis_says_so(pw, site):
    browser = browser_with(pw, [], NO_SPEECH)
    try:
        page = browser.open(site)
        assert page.locator("#cue-speak").is_disabled()
        note = page.locator("#cue-speech-note")
        assert note.is_visible() and "no speech synthesis" in note.text_content()
        assert browser.errors == []
    finally:
        browser.close()


AXE_RUN = """async () => {
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return { version: axe.version, violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary) })) };
}"""


def axe_check(page, axe_source, where, found):
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)
    for theme in ("default", "contrast"):
        if page.evaluate("document.documentElement.dataset.theme") != theme:
            page.click("#theme-toggle")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        report = page.evaluate(AXE_RUN)
        found[f"{where}, {theme}"] = report["violations"]
        print(f"\naxe-core {report['version']}, {where}, {theme} theme: "
              + (json.dumps(report["violations"], indent=1) if report["violations"] else "no violations"))


def test_axe_core_finds_no_serious_violations(pw, site, camera_file, samples, axe_source):
    browser = browser_with(pw, camera_flags(camera_file))
    found = {}
    try:
        page = browser.open(site)
        page.click("#camera-button")
        page.wait_for_function("""() => { const r = window.emojiFer.result;
            return r && r.source === 'camera' && r.faces.length > 0
                && document.querySelectorAll('#top3 li').length === 3; }""",
                               timeout=FIRST_RESULT_S * 1000)
        page.locator("details").first.evaluate("d => d.open = true")  # the JSON too
        axe_check(page, axe_source, "camera running", found)
        upload(page, samples / "sample1.jpg")  # several faces; stops the camera
        axe_check(page, axe_source, "after a photo", found)
        assert browser.errors == []
    finally:
        browser.close()
    blocking = {where: [v for v in violations if v["impact"] in BLOCKING] for where, violations in found.items()}
    assert not any(blocking.values()), json.dumps(blocking, indent=1)


# Every control a keyboard user must reach: visible, enabled, not taken out of the tab order.
CONTROLS = """() => {
    const query = 'a[href], button, input, select, textarea, summary, [tabindex]';
    // checkVisibility: also false inside a closed <details> (content-visibility: hidden).
    const shown = (el) => el.checkVisibility({ visibilityProperty: true }) && el.getClientRects().length > 0;
    const controls = [...document.querySelectorAll(query)].filter((el) => !el.disabled && el.tabIndex >= 0
        && shown(el) && !el.closest('[inert], [hidden]'));
    controls.forEach((el, i) => { el.dataset.a11yIndex = i; });
    return controls.map((el) => el.id || el.tagName.toLowerCase() + ':' + el.textContent.trim().slice(0, 30));
}"""

# The keyboard focus and its ring: the focused element's outline or box shadow, or, for a
# control drawn by its label (the photo input), the label's.
FOCUSED = """() => {
    const el = document.activeElement;
    const ring = (e) => { const s = getComputedStyle(e);
        return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none'; };
    const label = el.closest('label');
    return { index: el.dataset.a11yIndex ?? null, id: el.id, tag: el.tagName,
             focusVisible: el.matches(':focus-visible'),
             ring: ring(el) || (label !== null && ring(label)) };
}"""


def accessible(cdp):
    """(role, name) of the focused element, as Chromium's accessibility tree has them."""
    handle = cdp.send("Runtime.evaluate", {"expression": "document.activeElement"})["result"]["objectId"]
    node = cdp.send("Accessibility.getPartialAXTree", {"objectId": handle, "fetchRelatives": False})["nodes"][0]
    return node.get("role", {}).get("value"), (node.get("name", {}).get("value") or "").strip()


def test_keyboard_reaches_every_control_with_a_name_and_a_ring(pw, site, camera_file, samples):
    browser = browser_with(pw, camera_flags(camera_file))
    try:
        page = browser.open(site)
        # One file-chooser listener for the whole test: Playwright intercepts the chooser
        # only while a listener exists, and a fresh expect_file_chooser() per key press
        # raced with turning that on (the chooser was missed in 2 of 12 presses).
        choosers = []
        page.on("filechooser", lambda chooser: choosers.append(chooser))
        controls = page.evaluate(CONTROLS)
        assert {"camera-button", "photo-input", "theme-toggle", "cue-speak", "cue-hold"} <= set(controls), controls
        cdp = page.context.new_cdp_session(page)
        visits = []
        for _ in range(len(controls) + 1):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            role, name = accessible(cdp)
            visits.append({**focused, "role": role, "name": name})
        print("\nTab order: " + " → ".join(f"{v['role']} {v['name']!r}" for v in visits[:len(controls)]))
        order = [v["index"] for v in visits[:len(controls)]]
        assert order == [str(i) for i in range(len(controls))], (controls, visits)  # all, in document order
        for v in visits[:len(controls)]:
            assert v["focusVisible"] and v["ring"], v
            assert v["name"] and v["role"] not in (None, "generic", "none", "presentation"), v
        # The first control is the skip link; it moves the focus to the main content.
        assert controls[0] == "a:" + page.locator(".skip-link").text_content().strip()
        page.focus(".skip-link")
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"

        # The camera button with Enter (start) and Space (stop).
        page.focus("#camera-button")
        page.keyboard.press("Enter")
        page.wait_for_function("window.emojiFer.result && window.emojiFer.result.source === 'camera'",
                               timeout=FIRST_RESULT_S * 1000)
        assert page.locator("#camera-button").text_content() == "Stop camera"
        # The button is disabled while the camera starts, which drops the focus; the page
        # gives it back (js/a11y.js), so that Space reaches it without another Tab.
        assert page.evaluate("document.activeElement.id") == "camera-button"
        page.keyboard.press("Space")
        page.wait_for_function("document.getElementById('camera-button').textContent === 'Start camera'")
        # The photo input opens the file chooser with Enter, and with Space.
        for key, photo in (("Enter", "justin.jpg"), ("Space", "sample1.jpg")):
            page.focus("#photo-input")
            opened = len(choosers)
            page.keyboard.press(key)
            for _ in range(100):  # 5 s
                if len(choosers) > opened:
                    break
                page.wait_for_timeout(50)
            assert len(choosers) == opened + 1, f"{key} on the photo input opened no file chooser"
            choosers[-1].set_files(str(samples / photo))
            page.wait_for_function("name => window.emojiFer.result && window.emojiFer.result.name === name", arg=photo,
                                   timeout=60_000)
        assert page.locator("#top3 li").count() == 3
        assert browser.errors == []
    finally:
        browser.close()


THEME_VARS = """() => Object.fromEntries(['--fg', '--accent', '--bar', '--box-main', '--box-other', '--box-halo']
    .map((v) => [v, getComputedStyle(document.documentElement).getPropertyValue(v).trim()]))"""


OVERLAY_COLOUR_PIXELS = """variable => {
    // Overlay pixels of the theme's colour `variable` (style.css), within 8 per channel.
    const hex = variable.startsWith('#') ? variable
      : getComputedStyle(document.documentElement).getPropertyValue(variable).trim();
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const c = document.getElementById('overlay');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 200 && rgb.every((v, k) => Math.abs(data[i + k] - v) <= 8)) n += 1;
    }
    return n; }"""


def test_honesty_note_and_high_contrast_theme(pw, site, samples):
    """The caveats are on the page, above the camera. The high-contrast toggle works from
    the keyboard, changes the palette (the face boxes' colours too), is remembered across
    a reload, and a fresh profile follows the system's prefers-contrast and forced-colors."""
    browser = browser_with(pw, [])
    try:
        page = browser.open(site)
        note = page.locator("#honesty")
        text = re.sub(r"\s+", " ", note.text_content())
        print(f"\nhonesty note: {text}")
        # The share of people who pick the model's answer: the shipped model's FER+ human agreement.
        agreement = read_metadata(SHIPPED_KERAS)["ferplus"]["PrivateTest"]["human_agreement"]
        for needed in ("not a feeling", "Barrett", "2019", "Ten people", "FER+", "Barsoum", f"{agreement:.0%}".replace("%", " %"),
                       "2024/1689", "5(1)(f)", "ask the other participants", "Nothing is recorded", "CSV"):
            assert needed in text, needed
        assert note.is_visible() and note.bounding_box()["y"] < page.locator("#camera-button").bounding_box()["y"]

        toggle = page.locator("#theme-toggle")
        assert toggle.get_attribute("aria-pressed") == "false"
        default = page.evaluate(THEME_VARS)
        upload(page, samples / "justin.jpg")  # a face box on the overlay, in the theme's colours
        assert page.evaluate(OVERLAY_COLOUR_PIXELS, "--box-main") > 100
        black = page.evaluate(OVERLAY_COLOUR_PIXELS, "#000000")
        page.evaluate("""() => { window.themeEvents = [];
            document.addEventListener('emoji-fer:theme', (e) => window.themeEvents.push(e.detail.theme)); }""")
        toggle.focus()
        page.keyboard.press("Space")
        assert toggle.get_attribute("aria-pressed") == "true"
        contrast = page.evaluate(THEME_VARS)
        print(f"\ndefault {default}\ncontrast {contrast}")
        assert all(contrast[v] != default[v] for v in default), (default, contrast)
        assert page.evaluate("window.themeEvents") == ["contrast"]
        # The photo's box is redrawn in the high-contrast colours, with its dark halo.
        assert page.evaluate(OVERLAY_COLOUR_PIXELS, "--box-main") > 100
        assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--box-halo').trim()") == "#000"
        assert page.evaluate(OVERLAY_COLOUR_PIXELS, "#000000") > black + 100
        # Remembered (localStorage) across a reload, applied before the page's modules run.
        page.reload()
        page.wait_for_function("window.emojiFer.ready")
        assert page.evaluate("document.documentElement.dataset.theme") == "contrast"
        assert page.locator("#theme-toggle").get_attribute("aria-pressed") == "true"
        page.locator("#theme-toggle").click()
        assert page.evaluate(THEME_VARS) == default

        # A fresh profile follows the system's contrast setting, live.
        fresh = browser.open(site)
        assert fresh.evaluate("document.documentElement.dataset.theme") == "default"
        fresh.emulate_media(contrast="more")
        fresh.wait_for_function("document.documentElement.dataset.theme === 'contrast'")
        assert fresh.locator("#theme-toggle").get_attribute("aria-pressed") == "true"
        fresh.emulate_media(contrast="no-preference")
        fresh.wait_for_function("document.documentElement.dataset.theme === 'default'")
        fresh.emulate_media(forced_colors="active")
        fresh.wait_for_function("document.documentElement.dataset.theme === 'contrast'")
        assert browser.errors == []
    finally:
        browser.close()
