"""The page's personal model (web_tfjs/js/personal*.js) in Debian's Chromium, on the fake
camera playing woman2.mp4 and on the sample photos.

The base model almost never calls woman2.mp4's frames "disgust" (0 of 58 frames top-1 in
Python, mean probability 0.025: docs/personal-model.md), so the test records her as
disgust with the panel's Record button, and confirms the base model's own label on every
face of the sample photos (other people, mostly happy): a head that said "disgust" for
every face would fail the photos' held-out share. Then:

- held-out accuracy (every 4th sample of each expression) rises from the base's, as the
  panel reports it; on the held-out camera frames, the issue's bar, to >= 90 %; and the
  held-out photo faces (other people, whom the head is not for) mostly keep their label;
- the personal head classifies the user's own face (the main face of the camera's self
  view, in the workers) and nothing else: photos keep the shipped model exactly;
- export -> reset -> the shipped model's probabilities exactly -> import -> the personal
  head's probabilities exactly; a corrupt or mismatched file changes nothing;
- the head survives a reload (IndexedDB);
- the samples zip has the FER-2013 layout of 48x48 grayscale PNGs, which the
  --extra-data loader (emoji_fer.fer2013.load_feedback) reads, split as the page split it.

Speed of the training is printed (docs/personal-model.md), not asserted.
"""

import json
import zipfile

import numpy as np
import pytest

from tests.support.browser import Browser, upload
from tests.support.camera import camera_flags, video_frames
from tests.support.personal import CONFIRM_FACES, PHOTOS, TAUGHT  # shared with scripts/bench_personal.py

RECORD_S = 10
MIN_RECORDED = 12  # samples from 10 s at most 5 per second, on a busy 2-core machine
# Held-out accuracy of the fine-tuned head on the user's own held-out camera frames:
# issue 31's bar ("accuracy on held-out frames rises from the base's to at least 90 %").
MIN_ACCURACY = 0.9
# The held-out photo faces are other people, confirmed with the shipped model's labels:
# the head is fitted to one face and is worse on others (docs/personal-model.md), and a
# sad face of sample2-6 that the shipped model calls sad at 0.39 the head turned happy in
# every run seen. Until 2026-12-05 the test asked 0.9 of all held-out samples together
# (16-17, 4-5 of them photo faces): 0.938, 0.941, 0.938, 0.938 in four runs, and 0.882
# (two errors) in one CI run. Most of the photo faces must keep their label: a head that
# called every face TAUGHT would keep none.
MIN_OTHERS_KEPT = 0.6


def scores(page, path):
    """The photo's main face as the page's photo path gives it (always the shipped model)."""
    return upload(page, path)["faces"][0]["scores"]


def own_face_scores(page, path):
    """The photo's main face as the camera's workers classify the user's own face (the
    self view's main face, marked personal): all 8 TTA views, their mean."""
    upload(page, path)
    return page.evaluate("""async () => {
        const { engine, live, result } = window.emojiFer;
        const ctx = document.getElementById('photo').getContext('2d');
        const [input] = engine.crops(ctx.getImageData(0, 0, ctx.canvas.width, ctx.canvas.height), [result.faces[0]]);
        const views = Array.from({ length: engine.classifier.views }, (_, k) => k);
        const [probs] = await live.classifier.classifyViews([input], [views], [true]);
        const { meanOfViews } = await import('./js/classifier.js');
        const C = engine.labels.length;
        const mean = meanOfViews(views.map((v) => probs.subarray(v * C, (v + 1) * C)));
        return Object.fromEntries(engine.labels.map((label, c) => [label, mean[c]])); }""")


def test_personal_model(pw, site, camera_file, samples, tmp_path):
    import cv2

    # Frame 75 of woman2.mp4 is in the fake camera's loop (its first 150 frames, write_y4m);
    # frame 300 never is: the same face 10 s later, which the recorder never saw.
    frames = dict(video_frames(samples / "woman2.mp4", every=75, limit=5))
    woman, unseen = tmp_path / "woman2-075.png", tmp_path / "woman2-300.png"
    cv2.imwrite(str(woman), frames[75])
    cv2.imwrite(str(unseen), frames[300])
    browser = Browser(pw, camera_flags(camera_file))
    try:
        page = browser.open(site)
        assert page.locator("#pm-using").text_content() == "Results use the shipped model."
        # Every control of the panel is a native, focusable one with a name (keyboard and screen readers).
        unnamed = page.evaluate("""() => [...document.querySelectorAll('#personal button, #personal select, #personal input')]
            .filter((el) => !el.hidden && !(el.labels?.[0]?.textContent.trim() || el.textContent.trim() || el.getAttribute('aria-label')))
            .map((el) => el.id)""")
        assert unnamed == []
        assert all(label in page.locator("#pm-label").text_content() for label in ("disgust", "happy"))  # text, not only emoji
        shipped = {p: scores(page, samples / p) for p in ("justin.jpg", woman, unseen)}
        shipped_own = {p: own_face_scores(page, samples / p) for p in shipped}  # no head yet: the shipped model
        assert max(shipped[woman], key=shipped[woman].get) != TAUGHT

        # Record woman2 as TAUGHT from the camera (which must run first).
        assert page.locator("#pm-record").is_disabled() and page.locator("#pm-adapt").is_disabled()
        page.click("#camera-button")
        page.wait_for_function("window.emojiFer.result?.source === 'camera' && window.emojiFer.result.faces.length > 0",
                               timeout=30_000)
        page.select_option("#pm-label", TAUGHT)
        page.select_option("#pm-duration", str(RECORD_S))
        page.wait_for_function("!document.getElementById('pm-record').disabled")
        page.click("#pm-record")
        page.wait_for_function(f"document.getElementById('pm-record').textContent === 'Record {RECORD_S} s'",
                               timeout=(RECORD_S + 10) * 1000)
        recorded = int(page.locator(f"#pm-counts li[data-label={TAUGHT}]").get_attribute("data-count"))
        print(f"\nrecorded {recorded} samples of woman2 in {RECORD_S} s")
        assert MIN_RECORDED <= recorded <= RECORD_S * 5 + 1
        page.click("#pm-add")  # and one more: the camera's next main face, with the chosen label
        page.wait_for_function(f"document.querySelector('#pm-counts li[data-label={TAUGHT}]').dataset.count === '{recorded + 1}'")
        recorded += 1
        page.click("#camera-button")  # stop

        # Other faces, confirmed with the base model's labels.
        confirmed = []
        for name in PHOTOS:
            upload(page, samples / name)
            confirmed += page.evaluate(CONFIRM_FACES)
        # The panel's own Confirm on the photo shown (the last one): its main face, with its top-1.
        page.click("#pm-confirm")
        page.wait_for_function("n => window.emojiFer.personal.personal.samples.size === n", arg=recorded + len(confirmed) + 1)
        confirmed.append(page.evaluate("window.emojiFer.result.faces[0].top[0].label"))
        assert page.evaluate("window.emojiFer.personal.personal.samples.samples.at(-1).label") == confirmed[-1]
        assert TAUGHT not in confirmed and len(confirmed) >= 15
        counts = {li["label"]: int(li["count"]) for li in page.locator("#pm-counts li").evaluate_all(
            "els => els.map(e => ({label: e.dataset.label, count: e.dataset.count}))")}
        assert counts[TAUGHT] == recorded and sum(counts.values()) == recorded + len(confirmed)

        # Both methods on the same held-out samples (lab notes), then the page's default.
        variants = page.evaluate("""async () => {
            const out = {};
            for (const method of ['prototypes', 'finetune']) {
              const { info } = await window.emojiFer.personal.personal.adapt({ method });
              out[method] = { ...info.accuracy, train_ms: info.ms.train };
            }
            return out; }""")
        page.click("#pm-adapt")
        page.wait_for_function("window.emojiFer.personal.personal.active !== null", timeout=60_000)
        info = page.evaluate("window.emojiFer.personal.lastAdapted.info")
        acc = info["accuracy"]
        split = page.evaluate("""() => window.emojiFer.personal.personal.samples.split().test
            .map((s) => s.label)""")
        print(f"held out {acc['heldOut']} samples ({split.count(TAUGHT)} {TAUGHT}): shipped {acc['before']:.3f} -> "
              f"personal {acc['after']:.3f} ({info['method']}); training {info['ms']['train']:.0f} ms, "
              f"features of {sum(counts.values())} samples x 8 views {info['ms']['features']:.0f} ms; variants {variants}")
        assert acc["heldOut"] == len(split) >= 6 and split.count(TAUGHT) >= 3
        assert acc["after"] > acc["before"]
        # The same head on the held-out camera frames (all TAUGHT) and photo faces (none is).
        parts = page.evaluate("""async (taught) => {
            const { accuracy } = await import('./js/personal.js');
            const { personal: pm, lastAdapted } = window.emojiFer.personal;
            const test = pm.samples.split().test;
            const part = (own) => test.filter((s) => (s.label === taught) === own);
            return Object.fromEntries([['frames', true], ['others', false]].map(([k, own]) => [k, {
              n: part(own).length, before: accuracy(pm.shipped, part(own), pm.labels, pm.F),
              after: accuracy(lastAdapted.head, part(own), pm.labels, pm.F) }]));
            }""", TAUGHT)
        print(f"held-out camera frames: {parts['frames']}; held-out photo faces: {parts['others']}")
        assert parts["frames"]["n"] + parts["others"]["n"] == acc["heldOut"]
        assert parts["frames"]["after"] >= MIN_ACCURACY and parts["frames"]["after"] > parts["frames"]["before"]
        assert parts["others"]["after"] >= MIN_OTHERS_KEPT
        assert "held-out" in page.locator("#pm-report").text_content()
        # The panel says so once the head is saved (IndexedDB) and the panel redrawn.
        page.wait_for_function("n => document.getElementById('pm-using').textContent"
                               ".startsWith(`Results use your personal model (${n} samples`)", arg=sum(counts.values()))

        # The head classifies the user's own face (the camera's workers), and photos keep the
        # shipped model exactly: on other people's faces the head is worse (docs/personal-model.md).
        assert {p: scores(page, samples / p) for p in shipped} == shipped
        personal = {p: own_face_scores(page, samples / p) for p in ("justin.jpg", woman, unseen)}
        assert max(personal[woman], key=personal[woman].get) == TAUGHT
        # A moment never recorded: more of the taught expression than before (one 10 s
        # recording does not promise the top-1 there; docs/personal-model.md).
        print(f"{TAUGHT} on an unrecorded frame: shipped {shipped_own[unseen][TAUGHT]:.3f}, personal "
              f"{personal[unseen][TAUGHT]:.3f} (top-1 {max(personal[unseen], key=personal[unseen].get)})")
        assert personal[unseen][TAUGHT] > shipped_own[unseen][TAUGHT]
        assert max(personal["justin.jpg"], key=personal["justin.jpg"].get) == "happy"
        page.click("#camera-button")
        page.wait_for_function(f"""() => {{ const r = window.emojiFer.result;
            return r?.source === 'camera' && r.faces[0]?.views === 8 && r.faces[0].top[0].label === '{TAUGHT}'; }}""",
                               timeout=30_000)
        assert page.evaluate("window.emojiFer.live.worker")
        page.click("#camera-button")

        # Export, reset (the shipped model exactly), import (the personal head exactly).
        with page.expect_download() as download:
            page.click("#pm-export")
        exported = tmp_path / "head.json"
        download.value.save_as(exported)
        head = json.loads(exported.read_text())
        assert head["format"] == "emoji-fer-personal-head" and head["version"] == 1
        assert len(head["W"]) == 320 * 7 and len(head["b"]) == 7 and head["samples"][TAUGHT] == recorded
        page.click("#pm-reset")
        page.wait_for_function("document.getElementById('pm-using').dataset.personal === 'no'")
        assert {p: own_face_scores(page, samples / p) for p in shipped} == shipped_own
        page.locator("#pm-import-file").set_input_files(str(exported))
        page.wait_for_function("document.getElementById('pm-using').dataset.personal === 'yes'")
        assert {p: own_face_scores(page, samples / p) for p in personal} == personal

        # Bad files say so and change nothing.
        bad = tmp_path / "bad.json"
        for text, says in [(exported.read_text()[:500], "not JSON"),
                           (exported.read_text().replace(head["model"]["source_sha256"], "0" * 64), "another model"),
                           (json.dumps({**head, "W": head["W"][:-1]}), "must have 2240 numbers")]:
            bad.write_text(text)
            page.locator("#pm-import-file").set_input_files(str(bad))
            page.wait_for_function("says => !document.getElementById('pm-message').hidden && "
                                   "document.getElementById('pm-message').textContent.includes(says)", arg=says)
            message = page.locator("#pm-message").text_content()
            assert says in message and "Nothing was changed" in message, message
            assert own_face_scores(page, samples / "justin.jpg") == personal["justin.jpg"]

        # The samples as a FER-2013 folder.
        with page.expect_download() as download:
            page.click("#pm-samples")
        zipped = tmp_path / "samples.zip"
        download.value.save_as(zipped)
        check_samples_zip(zipped, counts, split, tmp_path / "unzipped")

        # A reload keeps the head (IndexedDB), not the samples.
        page.reload()
        page.wait_for_function("window.emojiFer.ready", timeout=60_000)
        assert page.locator("#pm-using").text_content().startswith("Results use your personal model")
        assert page.evaluate("window.emojiFer.personal.personal.samples.size") == 0
        assert {p: own_face_scores(page, samples / p) for p in personal} == personal
        assert browser.errors == []
    finally:
        browser.close()


def check_samples_zip(path, counts, held_out_labels, out):
    from PIL import Image

    from emoji_fer.fer2013 import load_feedback
    from emoji_fer.labels import LABELS

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for name in names:
            split, label, file = name.split("/")
            assert (split, file.split("_")[0]) in {("train", "Feedback"), ("test", "FeedbackTest")}, name
            assert label in LABELS and file.endswith(".png"), name
            with z.open(name) as f, Image.open(f) as im:
                assert im.size == (48, 48) and im.mode == "L", name
        z.extractall(out)
    assert len(names) == sum(counts.values())
    for label in LABELS:
        assert sum(n.split("/")[1] == label for n in names) == counts[label]
    test = sorted(n.split("/")[1] for n in names if n.startswith("test/"))
    assert test == sorted(held_out_labels)
    data = load_feedback(out)
    assert data["Feedback"][0].shape == (len(names) - len(test), 48, 48)
    assert data["FeedbackTest"][0].shape == (len(test), 48, 48)
    assert np.bincount(data["FeedbackTest"][1], minlength=7).tolist() == [test.count(label) for label in LABELS]


def test_metadata_names_the_head_of_the_shipped_graph():
    """convert/ writes the classifier head's nodes into metadata.json (found by structure:
    output <- Softmax <- a dense layer with bias); they are the graph's, with the page's
    label count, and model.json is the converter's own (--metadata-only keeps it)."""
    from convert.export import DEFAULT_OUT, head_nodes

    graph = json.loads((DEFAULT_OUT / "model.json").read_text())
    meta = json.loads((DEFAULT_OUT / "metadata.json").read_text())
    assert meta["head"] == head_nodes(graph)
    shapes = {w["name"]: w["shape"] for g in graph["weightsManifest"] for w in g["weights"]}
    assert shapes[meta["head"]["kernel"]] == [meta["head"]["size"], len(meta["labels"])]
    assert shapes[meta["head"]["bias"]] == [len(meta["labels"])]
    assert meta["head"]["features"] in {n["name"] for n in graph["modelTopology"]["node"]}
    with pytest.raises(ValueError, match="dense layer"):
        broken = json.loads(json.dumps(graph))
        softmax = next(n for n in broken["modelTopology"]["node"] if n["op"] == "Softmax")
        softmax["input"] = [meta["head"]["features"]]
        head_nodes(broken)


def test_metadata_only_rewrites_the_shipped_metadata_as_committed(tmp_path):
    """`python -m convert --metadata-only` on a copy of web_tfjs/model/ writes the committed
    metadata.json byte for byte and leaves model.json and the shard as they are."""
    import shutil

    from convert.export import DEFAULT_OUT
    from tests.support.processes import run_module

    out = tmp_path / "model"
    shutil.copytree(DEFAULT_OUT, out)
    (out / "metadata.json").write_text(json.dumps({"export": json.loads(
        (DEFAULT_OUT / "metadata.json").read_text())["export"]}))  # only the export settings are kept
    done = run_module("convert", "--metadata-only", "--out", str(out))
    assert done.returncode == 0, done.stderr
    for path in DEFAULT_OUT.iterdir():
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
