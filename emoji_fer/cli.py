"""Command line: `emoji-fer predict|evaluate|video ...` (or `python -m emoji_fer ...`).

predict  PATH... [--no-detect] [--top-k 3] [--detector blazeface|hog|mtcnn|haar] [--model PATH]
         prints a JSON list, one entry per path: {"schema_version", "path", "faces",
         "whole_image", "message", "error"}; exit status 2 if any path could not be read.
evaluate --data-dir DIR [--split PrivateTest] [--model PATH] [--json]
         accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.
video    PATH [--fps 2] [--csv FILE] [--plot PNG] [--annotate FILE.webm|.mp4] [--smoothing S]
         the expression timeline of a video: CSV rows (time_s, faces, 7 probabilities of
         the main face) to --csv, or to stdout without it; a summary on stdout (stderr
         when the rows go there); a progress bar on stderr; exit status 2 for a bad video.
feedback [--feedback-db URL] stats [--json] [--by day|week] | export DIR [--test-every 5]
         | delete ID... | purge --before DATE
         the feedback store (emoji_fer.feedback): model health per model version and
         over time, export for `python -m train --extra-data DIR`, deletion, retention;
         exit status 2 if the store cannot be opened.
"""

import argparse
import json
import sys

from emoji_fer.detect import DEFAULT_DETECTOR, DETECTORS
from emoji_fer.labels import LABELS


def build_parser():
    from emoji_fer import __version__

    parser = argparse.ArgumentParser(prog="emoji-fer", description="Facial expressions as emoji (FER-2013 CNN).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="classify the faces in image files, print JSON")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--no-detect", action="store_true", help="treat each image as one face crop")
    p.add_argument("--top-k", type=int, default=3, choices=range(1, len(LABELS) + 1), metavar="K")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTORS,
                   help=f"face detector (default: {DEFAULT_DETECTOR})")
    p.add_argument("--model", help="a model's .json, .tflite or .keras file, the others beside it "
                                   "(default: the shipped model)")
    p.set_defaults(func=predict)

    e = sub.add_parser("evaluate", help="accuracy and per-class metrics on a FER-2013 split")
    e.add_argument("--data-dir", help="FER-2013 folder layout or fer2013.csv (default: $FER2013_DIR)")
    e.add_argument("--split", default="PrivateTest", choices=("Training", "PublicTest", "PrivateTest"))
    e.add_argument("--model")
    e.add_argument("--json", action="store_true", help="print the full report as JSON")
    e.set_defaults(func=evaluate)

    v = sub.add_parser("video", help="expression timeline of a video file (CSV, summary, plot)")
    v.add_argument("path", metavar="PATH", help="an MP4, MOV, WebM, MKV or AVI file")
    v.add_argument("--fps", type=_rate, default=2.0, help="samples per second (Hz), up to 30 (default: 2)")
    v.add_argument("--csv", metavar="FILE", help="write the rows here (default: to stdout)")
    v.add_argument("--plot", metavar="PNG", help="also save a plot of the timeline")
    v.add_argument("--smoothing", type=float, default=0.0, metavar="S",
                   help="half-life in s of an exponential moving average, for the plot only (default: 0, none)")
    v.add_argument("--annotate", metavar="FILE", help="also write a copy with boxes and emoji (.webm, .mp4 or .avi)")
    v.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTORS,
                   help=f"face detector (default: {DEFAULT_DETECTOR})")
    v.add_argument("--model")
    v.set_defaults(func=video)

    f = sub.add_parser("feedback", help="the feedback store: model health, export for refitting, delete, purge")
    f.add_argument("--feedback-db", metavar="URL",
                   help="SQLAlchemy URL (default: $EMOJI_FER_FEEDBACK_DB, else a SQLite file in the user's data folder)")
    fsub = f.add_subparsers(dest="action", required=True)
    s = fsub.add_parser("stats", help="accuracy, corrections, confusion, calibration, drift; per model and over time")
    s.add_argument("--json", action="store_true", help="print every figure as JSON")
    s.add_argument("--by", choices=("day", "week"), default="day", help="period of the figures over time")
    s.add_argument("--model", help="the served model, for the reference label mix (default: the shipped model)")
    x = fsub.add_parser("export", help="write the faces in FER-2013's folder layout, for train --extra-data")
    x.add_argument("dir", metavar="DIR")
    x.add_argument("--test-every", type=int, default=5, metavar="K",
                   help="hold out rows whose id is divisible by K (default: 5, a 20 %% share)")
    d = fsub.add_parser("delete", help="delete rows by id")
    d.add_argument("ids", nargs="+", type=int, metavar="ID")
    r = fsub.add_parser("purge", help="delete every row older than a date (retention)")
    r.add_argument("--before", required=True, type=_date, metavar="DATE", help="YYYY-MM-DD or an ISO time (UTC)")
    f.set_defaults(func=feedback)
    return parser


def _date(text):
    from datetime import datetime, timezone

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _rate(text):
    from emoji_fer.video import MAX_FPS

    value = float(text)
    if not 0 < value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"must be in (0, {MAX_FPS:g}]")
    return value


def predict(args):
    from emoji_fer.images import ImageError
    from emoji_fer.predictor import SCHEMA_VERSION, Predictor

    predictor = Predictor(args.model, detector=None if args.no_detect else args.detector)
    results, failed = [], False
    for path in args.paths:
        try:
            out = predictor.predict(path, detect=not args.no_detect, top_k=args.top_k)
            results.append({"schema_version": out.pop("schema_version"), "path": path, **out, "error": None})
        except ImageError as err:
            failed = True
            results.append({"schema_version": SCHEMA_VERSION, "path": path, "faces": [], "whole_image": False,
                            "message": None, "error": str(err)})
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 2 if failed else 0


def evaluate(args):
    from emoji_fer.evaluation import evaluate_split
    from emoji_fer.fer2013 import DatasetError

    try:
        report = evaluate_split(args.data_dir, args.split, args.model)
    except DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_report(report))
    return 0


def video(args):
    import importlib.util
    import os

    import cv2
    from tqdm import tqdm

    from emoji_fer.predictor import Predictor
    from emoji_fer.timeline import plot_figure, summary_text
    from emoji_fer.video import VideoError, analyse_video, probe

    # FFmpeg's and OpenCV's own log lines ("moov atom not found") would only repeat the
    # error we print; FFmpeg reads this variable when a capture is first opened.
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        # Before decoding anything: a long video should not be analysed only to fail here.
        print("error: --plot needs matplotlib: pip install 'emoji-fer[plot]'", file=sys.stderr)
        return 2
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cv2.setLogLevel(2)  # errors only
    try:
        duration = probe(args.path).duration_s
        predictor = Predictor(args.model, detector=args.detector)
        with tqdm(total=round(duration, 1) or None, unit="s", desc="video", file=sys.stderr,
                  bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} s [{elapsed}<{remaining}]") as bar:
            def progress(t, _):
                bar.update(round(t, 1) - bar.n)

            timeline = analyse_video(predictor, args.path, args.fps, progress, args.annotate)
            if bar.total:
                bar.update(bar.total - bar.n)  # the last sample is up to one period before the end
    except VideoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    timeline.write_csv(args.csv or sys.stdout)
    if args.plot:
        plot_figure(timeline, args.smoothing, title=args.path).savefig(args.plot)
    print(summary_text(timeline.summary()), file=sys.stdout if args.csv else sys.stderr)
    return 0


def feedback(args):
    try:
        from emoji_fer.feedback import FeedbackStore, StoreUnavailable, export_folder
    except ImportError as err:  # the base install has no SQLAlchemy
        print(f"error: the feedback store needs the [feedback] extra: pip install 'emoji-fer[feedback]' ({err})",
              file=sys.stderr)
        return 2

    try:
        store = FeedbackStore(args.feedback_db)
    except StoreUnavailable as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        if args.action == "stats":
            from emoji_fer import health
            from emoji_fer.model_files import read_metadata, shipped_model

            reports = health.report_by_model(store.rows(), health.reference_mix(read_metadata(
                args.model or shipped_model())), args.by)
            if args.json:
                print(json.dumps(reports, indent=2))
            else:
                print(health.summary_text(reports["all"]))
                for sha, rep in reports["models"].items():
                    print(f"\nmodel {sha[:12]}: {rep['n']} rows, accuracy {rep['accuracy']:.1%}, "
                          f"ECE {rep['calibration']['ece']:.3f}")
        elif args.action == "export":
            if args.test_every < 2:
                print("error: --test-every must be at least 2", file=sys.stderr)
                return 2
            counts = export_folder(store, args.dir, args.test_every)
            print(f"wrote {counts['train']} faces to {args.dir}/train and {counts['test']} held out to {args.dir}/test")
        elif args.action == "delete":
            print(f"deleted {store.delete(args.ids)} of {len(args.ids)} rows")
        elif args.action == "purge":
            print(f"deleted {store.purge(args.before)} rows created before {args.before.isoformat()}")
    finally:
        store.close()
    return 0


def format_report(report):
    lines = [f"FER-2013 {report['split']}: n={report['n']}  accuracy {report['accuracy']:.2%}  "
             f"macro-F1 {report['macro_f1']:.3f}", "", f"{'label':<10}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}"]
    for label, m in report["per_class"].items():
        lines.append(f"{label:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9}")
    lines += ["", "confusion matrix (rows = true, columns = predicted): " + " ".join(l[:3] for l in LABELS)]
    lines += [f"{label[:3]:>4} " + " ".join(f"{n:>4}" for n in row) for label, row in zip(LABELS, report["confusion"])]
    return "\n".join(lines)


def main(argv=None):
    args = build_parser().parse_args(argv)
    from emoji_fer.model_files import ModelFileError

    try:
        return args.func(args)
    except ModelFileError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
