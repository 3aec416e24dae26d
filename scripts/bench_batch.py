"""Throughput of batch inference: a loop of predict, predict_batch, and Ray with W workers.

python scripts/bench_batch.py [--n 2000] [--fps 30] [--repeats 3] [--workers 1 2]
                              [--batch-size 32] [--json]

Faces per second, each way timed from the files to the answers (decoding included), on:

- **crops**: the first --n FER-2013 PrivateTest files by name (../shared/fer2013/test/
  <label>/PrivateTest_*.jpg, 48x48 face crops, each classified whole, no detection);
- **video**: the frames of ../shared/samples/woman2.mp4 sampled at --fps Hz (30: every
  frame), one face each, found by BlazeFace.

The ways, each with the shipped model:

- `predict`: one Predictor in this process, a loop of `predict(path)` (crops) or
  `predict_rgb(frame)` over `emoji_fer.video.iter_frames` (video);
- `predict_batch`: the same Predictor, `predict_batch` on all the paths or frames;
- `Ray, W workers`: `emoji_fer.ray.predict_paths` (crops) or `predict_video_frames`
  (video) on a local Ray cluster with as many CPUs as the machine has cores, started
  once before the timing; W actors, each loading its own Predictor when the dataset
  starts, so every Ray figure includes those loads. `Ray start-up` times the same on a
  single crop: the fixed cost of a run (actors, model loads, scheduling).

Medians over --repeats runs (after one warm-up run of each way), ratios against the
`predict` loop of the same input; `cores busy`: the machine's CPU time during a run over
its wall-clock time (Linux /proc/stat; every process, Ray's workers too). Run it on an idle machine: every figure depends on the
other work on the CPU. Ray's own files go to a temporary folder, removed at the end.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.data import FER_DIR, SAMPLES  # noqa: E402 - after the path is set

# Read by Ray when it is imported: "0" keeps the one-machine cluster on the loopback
# address instead of the machine's network address.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
# A token of this run's own: a new local cluster would otherwise write one to ~/.ray.
os.environ.setdefault("RAY_AUTH_TOKEN", os.urandom(32).hex())


def crop_paths(n):
    """The first n PrivateTest crops by file name, over all seven label folders."""
    paths = sorted((FER_DIR / "test").glob("*/PrivateTest_*.jpg"), key=lambda p: p.name)
    if len(paths) < n:
        sys.exit(f"error: {len(paths)} PrivateTest crops under {FER_DIR / 'test'}, asked for {n}")
    return paths[:n]


def cpu_jiffies():
    """(busy, total) CPU time of the whole machine so far, in jiffies (Linux /proc/stat):
    every process counts, Ray's workers too."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return sum(fields) - fields[3] - fields[4], sum(fields)  # less idle and iowait


def median_run(run, repeats):
    """(median wall-clock s of run(), median cores busy meanwhile, run()'s last return
    value), after one warm-up call."""
    result = run()
    times, busy = [], []
    for _ in range(repeats):
        start, (busy0, total0) = time.perf_counter(), cpu_jiffies()
        result = run()
        times.append(time.perf_counter() - start)
        busy1, total1 = cpu_jiffies()
        busy.append((busy1 - busy0) / max(total1 - total0, 1) * os.cpu_count())
    return statistics.median(times), statistics.median(busy), result


def faces_in(entries):
    faces = sum(len(e["faces"]) for e in entries)
    assert not any(e.get("error") for e in entries), [e["error"] for e in entries if e.get("error")]
    return faces


def measure(args):
    import ray

    from emoji_fer.predictor import Predictor
    from emoji_fer.ray import predict_paths, predict_video_frames
    from emoji_fer.video import iter_frames

    crops, video = crop_paths(args.n), SAMPLES / "woman2.mp4"
    whole = Predictor(detector=None).warm_up()  # crops: no detector, as `emoji-fer predict --no-detect`
    detect = Predictor().warm_up()
    ways = {
        "crops": {
            "predict": lambda: [whole.predict(p, detect=False) for p in crops],
            "predict_batch": lambda: whole.predict_batch(crops, detect=False),
            **{f"Ray, {w} worker{'s' * (w > 1)}": (lambda w=w: list(predict_paths(
                crops, workers=w, batch_size=args.batch_size, detector=None))) for w in args.workers},
        },
        "video": {
            "predict": lambda: [detect.predict_rgb(rgb) for _, rgb, _ in iter_frames(video, args.fps)],
            "predict_batch": lambda: detect.predict_batch([rgb for _, rgb, _ in iter_frames(video, args.fps)]),
            **{f"Ray, {w} worker{'s' * (w > 1)}": (lambda w=w: predict_video_frames(
                [video], args.fps, workers=w, batch_size=args.batch_size)) for w in args.workers},
        },
    }
    temp = tempfile.mkdtemp(prefix="ray-bench-")
    rows = []
    try:
        ray.init(num_cpus=os.cpu_count(), _temp_dir=temp, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        for name, runs in ways.items():
            base = None
            for way, run in runs.items():
                seconds, cores, entries = median_run(run, args.repeats)
                faces = faces_in(entries)
                base = base or faces / seconds
                rows.append({"input": name, "way": way, "images": len(entries), "faces": faces, "seconds": seconds,
                             "cores_busy": cores, "faces_per_s": faces / seconds, "ratio": faces / seconds / base})
                print(f"  {name:<6} {way:<15} {seconds:7.2f} s", file=sys.stderr)
        for w in args.workers:
            seconds, cores, _ = median_run(lambda w=w: list(predict_paths(crops[:1], workers=w, detector=None)),
                                           args.repeats)
            rows.append({"input": "1 crop", "way": f"Ray start-up, {w} worker{'s' * (w > 1)}", "images": 1,
                         "faces": 1, "seconds": seconds, "cores_busy": cores, "faces_per_s": None, "ratio": None})
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)
    return {"machine": f"{os.cpu_count()} cores", "ray": ray.__version__, "n": args.n, "fps": args.fps,
            "repeats": args.repeats, "batch_size": args.batch_size, "rows": rows}


def table(report):
    label = {"crops": f"FER-2013 PrivateTest crops ({report['n']})",
             "video": f"woman2.mp4 frames at {report['fps']:g} Hz", "1 crop": "1 crop"}
    lines = [f"{report['machine']}, Ray {report['ray']}, median of {report['repeats']} runs, "
             f"Ray batches of {report['batch_size']} images",
             "", "| input | way | images | faces | s | cores busy | faces/s | x predict |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in report["rows"]:
        rate = f"{r['faces_per_s']:.0f}" if r["faces_per_s"] else ""
        ratio = f"{r['ratio']:.2f}" if r["ratio"] else ""
        lines.append(f"| {label[r['input']]} | {r['way']} | {r['images']} | {r['faces']} | {r['seconds']:.2f} | "
                     f"{r['cores_busy']:.2f} | {rate} | {ratio} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="FER-2013 PrivateTest crops (default: 2000)")
    parser.add_argument("--fps", type=float, default=30.0, help="video samples per second, Hz (default: 30, every frame)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each way (default: 3)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray actor counts (default: 1 2)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per Ray batch (default: 32)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    report = measure(args)
    print(json.dumps(report, indent=2) if args.json else table(report))


if __name__ == "__main__":
    main()
