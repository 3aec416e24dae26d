"""The page's personal model (web_tfjs/js/personal.js) measured in headless Chromium: the
numbers of docs/personal-model.md.

python scripts/bench_personal.py [--record-s 5] [--fer 200] [--pulls 0 1e-4 3e-4 1e-3 1e-2]
                                  [--screenshot docs/personal-model.png]

The same samples as tests/test_web_personal.py (both take them from tests/support/personal.py):
the fake camera's woman2.mp4 recorded as "disgust" with the panel's Record button, and
every face of ../shared/samples' photos confirmed with the base model's own label. Then, on the same stratified held-out share:
each variant's held-out accuracy (prototypes, and the fine-tuned head for each --pulls
value), and on --fer FER-2013 PrivateTest faces (other people, whom nobody taught) its
top-1 agreement with the shipped head, its accuracy and its share of "disgust". Last, the
time to fine-tune on 20 samples per class for all 7 classes (140 samples x 8 TTA views;
features reused from the recorded ones, as only the sizes matter) and to compute the
features of 20 samples as the page does (in its classifier workers), the camera off.
--screenshot saves the panel after its own *Adapt* (the page's method) as a PNG. Needs `pip install playwright`, Debian's chromium, ../shared.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: tests.support lives there

from tests.support.browser import Browser, serve, upload  # noqa: E402
from tests.support.camera import camera_flags, write_y4m  # noqa: E402
from tests.support.data import FER_DIR, SAMPLES  # noqa: E402
from tests.support.personal import CONFIRM_FACES, PHOTOS, TAUGHT  # noqa: E402

MEASURE = """async ({ fer, ferLabels, pulls }) => {
  const { fineTune, prototypeHead, accuracy, headProbabilities } = await import('./js/personal.js');
  const pm = window.emojiFer.personal.personal;
  await pm.featuresReady();
  const { train, test } = pm.samples.split();
  const counts = pm.samples.counts();
  const views = Array.from({ length: pm.engine.classifier.views }, (_, k) => k);
  const others = [];
  for (let i = 0; i < fer.length; i += 8) {
    const batch = fer.slice(i, i + 8).map((f) => Float32Array.from(f));
    const features = await pm.engine.classifier.featureViews(batch, batch.map(() => views));
    features.forEach((f, j) => others.push({ features: f, label: pm.labels[ferLabels[i + j]] }));
  }
  const top = (head, s) => { const p = headProbabilities(head, s.features, pm.F, pm.labels.length); return p.indexOf(Math.max(...p)); };
  const shippedTop = others.map((s) => top(pm.shipped, s));
  const row = (name, head, ms) => ({
    name, ms, heldOut: accuracy(head, test, pm.labels, pm.F), train: accuracy(head, train, pm.labels, pm.F),
    ferAgree: others.length ? others.filter((s, i) => top(head, s) === shippedTop[i]).length / others.length : null,
    ferAcc: accuracy(head, others, pm.labels, pm.F),
    ferDisgust: others.length ? others.filter((s) => pm.labels[top(head, s)] === 'disgust').length / others.length : null,
  });
  const rows = [row('shipped', pm.shipped, 0)];
  let t0 = performance.now();
  const prototypes = prototypeHead(train, pm.shipped, pm.labels, pm.F);
  rows.push(row('prototypes', prototypes, performance.now() - t0));
  for (const pull of pulls) {
    t0 = performance.now();
    const head = await fineTune(train, pm.shipped, pm.labels, pm.F, { pull });
    rows.push(row(`finetune pull=${pull}`, head, performance.now() - t0));
  }
  // 20 samples per class, all 7 classes: the features reused, labels cycled.
  const have = pm.samples.samples;
  const big = Array.from({ length: 20 * pm.labels.length }, (_, i) => ({ label: pm.labels[i % pm.labels.length], features: have[i % have.length].features }));
  const trainMs = [];
  for (let r = 0; r < 3; r += 1) {
    t0 = performance.now();
    await fineTune(big, pm.shipped, pm.labels, pm.F);
    trainMs.push(performance.now() - t0);
  }
  t0 = performance.now();
  prototypeHead(big, pm.shipped, pm.labels, pm.F);
  const prototypeMs = performance.now() - t0;
  // The page's own feature path (the classifier workers, or the page's thread without them), camera off.
  const inputs = have.slice(0, 20).map((s) => s.input);
  inputs.forEach((x, i) => pm.samples.add(have[i].label, x));
  t0 = performance.now();
  await pm.computeFeatures();
  const featuresMs = performance.now() - t0;
  return { counts, heldOut: test.length, rows, trainMs, prototypeMs, featuresMs,
    featureSamples: inputs.length, backend: pm.engine.backend, workers: pm.live.workers };
}"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record-s", type=int, default=5, choices=(3, 5, 10))
    parser.add_argument("--fer", type=int, default=200, help="FER-2013 PrivateTest faces (0: none)")
    parser.add_argument("--pulls", type=float, nargs="+", default=[0, 1e-4, 3e-4, 1e-3, 1e-2])
    parser.add_argument("--screenshot", metavar="PNG", help="save the panel after Adapt here")
    args = parser.parse_args(argv)

    import numpy as np
    from playwright.sync_api import sync_playwright

    fer, fer_labels = np.zeros((0, 2304), np.float32), []
    if args.fer:
        from emoji_fer.fer2013 import load_fer2013
        from emoji_fer.preprocessing import scale

        images, labels = load_fer2013(FER_DIR, splits=("PrivateTest",))["PrivateTest"]
        fer, fer_labels = scale(images[:args.fer]).reshape(args.fer, -1), labels[:args.fer].tolist()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw, serve() as url:
        y4m = write_y4m(SAMPLES / "woman2.mp4", Path(tmp) / "woman2.y4m")
        browser = Browser(pw, camera_flags(y4m))
        try:
            page = browser.open(url)
            page.click("#camera-button")
            page.wait_for_function("window.emojiFer.result?.source === 'camera' && window.emojiFer.result.faces.length > 0",
                                   timeout=30_000)
            page.select_option("#pm-label", TAUGHT)
            page.select_option("#pm-duration", str(args.record_s))
            page.wait_for_function("!document.getElementById('pm-record').disabled")
            page.click("#pm-record")
            page.wait_for_function(f"document.getElementById('pm-record').textContent === 'Record {args.record_s} s'",
                                   timeout=(args.record_s + 10) * 1000)
            page.click("#camera-button")
            for name in PHOTOS:
                upload(page, SAMPLES / name)
                page.evaluate(CONFIRM_FACES)
            out = page.evaluate(MEASURE, {"fer": fer.tolist(), "ferLabels": fer_labels, "pulls": args.pulls})
            if args.screenshot:
                page.evaluate("window.emojiFer.personal.personal.samples.samples.splice(-20)")  # MEASURE's extra 20
                page.evaluate("window.emojiFer.personal.render()")
                page.click("#pm-adapt")
                page.wait_for_function("document.getElementById('pm-report').textContent.includes('held-out')",
                                       timeout=60_000)
                page.locator("#personal").screenshot(path=args.screenshot)
                print(page.locator("#pm-report").text_content())
            assert browser.errors == [], browser.errors
        finally:
            browser.close()
    counts = {k: f"{v['train']}+{v['test']}" for k, v in out["counts"].items() if v["train"] + v["test"]}
    print(f"samples (train+held out): {json.dumps(counts)}; held out {out['heldOut']}; backend {out['backend']}")
    print(f"{'variant':22s} {'held-out':>8s} {'train':>6s} | on {len(fer_labels)} FER PrivateTest faces: "
          f"{'agree':>6s} {'acc':>6s} {TAUGHT:>8s} | fit ms")
    for r in out["rows"]:
        fmt = lambda v: "   n/a" if v is None else f"{v:6.3f}"  # noqa: E731
        print(f"{r['name']:22s} {r['heldOut']:8.3f} {r['train']:6.3f} | {' ' * 30}{fmt(r['ferAgree'])} "
              f"{fmt(r['ferAcc'])} {fmt(r['ferDisgust']):>8s} | {r['ms']:.0f}")
    print(f"fine-tune on 20 samples x 7 classes x 8 views: {', '.join(f'{t:.0f}' for t in out['trainMs'])} ms "
          f"(3 runs); prototypes {out['prototypeMs']:.0f} ms; features of {out['featureSamples']} samples "
          f"x 8 views {out['featuresMs']:.0f} ms ({out['workers']} workers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
