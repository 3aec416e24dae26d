"""Command line: `emoji-fer predict|evaluate|video ...` (or `python -m emoji_fer ...`).

predict  PATH... [--no-detect] [--top-k 3] [--detector blazeface|hog|mtcnn|haar] [--model PATH]
         [--recursive] [--output FILE.jsonl|FILE.parquet [--resume] [--batch-size 32] [--ray [ADDRESS]]]
         prints a JSON list, one entry per image: {"schema_version", "path", "faces",
         "whole_image", "message", "error"}; exit status 2 if any path could not be read
         (each such error also one line on stderr). A folder gives its images (by suffix;
         its subfolders' too with --recursive; videos and other files skipped with a
         count on stderr). --output writes the same entries as rows, batch by batch, with
         a progress bar on stderr and a summary on stdout; an existing output is refused
         unless --resume, which skips the images already in it (emoji_fer/batch.py,
         docs/batch.md); exit status 130 when interrupted (Ctrl-C).
evaluate --data-dir DIR [--split PrivateTest] [--model NAME|PATH] [--json]
         [--labels fer2013|ferplus] [--votes FILE]
         against FER-2013's labels (default): accuracy, macro-F1, per-class
         precision/recall/F1 and the confusion matrix; against the FER+ crowd votes
         (--labels ferplus, votes from --votes, $FERPLUS_VOTES or beside the data): FER+'s
         protocol accuracy, human agreement, cross-entropy against the votes, per-class
         recall, confusion, and accuracy on the original labels of the same faces.
video    PATH [--fps 2] [--csv FILE] [--plot PNG] [--annotate FILE.webm|.mp4] [--smoothing S]
         the expression timeline of a video: CSV rows (time_s, faces, 7 probabilities of
         the main face) to --csv, or to stdout without it; a summary on stdout (stderr
         when the rows go there); a progress bar on stderr; exit status 2 for a bad video.
feedback [--feedback-db URL] stats [--json] [--by day|week] | export DIR [--test-every 5]
         [--replace] | delete ID... | purge --before DATE
         the feedback store (emoji_fer.feedback): model health per model version and
         over time, export for `python -m train --extra-data DIR`, deletion, retention;
         exit status 2 if there is no store at the URL (none is created) or it cannot be
         opened, 1 if an id to delete was not there.

Every error is one line `error: ...` on stderr with a non-zero exit status (2 unless
said otherwise); a traceback means a bug.
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

from emoji_fer.detect import DEFAULT_DETECTOR, DETECTORS
from emoji_fer.labels import LABELS

# Images per batch of `predict --output`: the faces of a batch go through the model
# together and are written together (one Parquet part); a batch is also what an
# interrupted run loses.
BATCH_IMAGES = 32
# The end of emoji_fer.images.VideoNotImage's message: such a row gets the remedy as
# `predict` without --output gives it.
VIDEO_ERROR = "a video file, not an image"
# emoji_fer.feedback.MAX_ID, the largest id a row can have; not imported from there: the
# base install has no SQLAlchemy, and argparse checks ids before the command runs.
MAX_ID = 2**31 - 1


def build_parser():
    from emoji_fer import __version__

    parser = argparse.ArgumentParser(prog="emoji-fer", description="Facial expressions as emoji (FER-2013 CNN).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("predict", help="classify the faces in image files and folders, print JSON or write a "
                                        "results file")
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files, and folders of them")
    p.add_argument("--no-detect", action="store_true", help="treat each image as one face crop")
    p.add_argument("--top-k", type=int, default=3, choices=range(1, len(LABELS) + 1), metavar="K")
    p.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTORS,
                   help=f"face detector (default: {DEFAULT_DETECTOR})")
    p.add_argument("--model", help="a model's .json, .tflite or .keras file, the others beside it "
                                   "(default: the shipped model)")
    p.add_argument("--recursive", "-r", action="store_true", help="also the images in a folder's subfolders")
    p.add_argument("--output", "-o", metavar="FILE", help="write one row per image to FILE.jsonl or FILE.parquet "
                                                          "(a folder of parts; needs the [parquet] extra), in batches, "
                                                          "with a progress bar, instead of printing a JSON list")
    p.add_argument("--resume", action="store_true", help="continue an --output that exists: skip the images "
                                                         "already in it, append the others")
    p.add_argument("--batch-size", type=_positive, default=BATCH_IMAGES, metavar="N",
                   help=f"with --output: images per batch, their faces classified together (default: {BATCH_IMAGES})")
    p.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                   help="with --output: spread the batches over a Ray cluster (ADDRESS, default: a local one)")
    p.set_defaults(func=predict)

    e = sub.add_parser("evaluate", help="accuracy and per-class metrics on a FER-2013 split")
    e.add_argument("--data-dir", help="FER-2013 folder layout or fer2013.csv (default: $FER2013_DIR)")
    e.add_argument("--split", default="PrivateTest", choices=("Training", "PublicTest", "PrivateTest"))
    e.add_argument("--model", help="a shipped model's name or a model's .json, .tflite or .keras file "
                                   "(default: the shipped model)")
    e.add_argument("--json", action="store_true", help="print the full report as JSON")
    e.add_argument("--labels", choices=("fer2013", "ferplus"), default="fer2013",
                   help="judge against FER-2013's labels (default) or the FER+ crowd votes of the same faces")
    e.add_argument("--votes", metavar="FILE", help="FER+ votes for --labels ferplus: ferplus.csv for the folder "
                                                   "layout, fer2013new.csv for fer2013.csv (default: $FERPLUS_VOTES, "
                                                   "else beside the data)")
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
    x.add_argument("--replace", action="store_true",
                   help="replace an earlier export in DIR (without it DIR must be empty or new)")
    d = fsub.add_parser("delete", help="delete rows by id")
    d.add_argument("ids", nargs="+", type=_row_id, metavar="ID")
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


def _row_id(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"not a row id: {text!r} (a whole number from 1 to {MAX_ID})")
    return value


def _positive(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return value


def _rate(text):
    from emoji_fer.video import MAX_FPS

    value = float(text)
    if not 0 < value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"must be in (0, {MAX_FPS:g}]")
    return value


def predict(args):
    from emoji_fer.batch import list_images

    for option, given in (("--resume", args.resume), ("--ray", args.ray is not None)):
        if given and not args.output:
            print(f"error: {option} needs --output", file=sys.stderr)
            return 2
    paths, skipped = list_images(args.paths, args.recursive)
    if skipped["video"]:
        print(f"skipped {_count(skipped['video'], 'video file')} in the folders (use: emoji-fer video PATH)",
              file=sys.stderr)
    if skipped["other"]:
        print(f"skipped {_count(skipped['other'], 'file')} in the folders without an image suffix", file=sys.stderr)
    if not paths:
        print(f"error: no image files in {' '.join(map(shlex.quote, args.paths))}", file=sys.stderr)
        return 2
    if args.output:
        return _predict_to_output(args, paths)
    return _predict_to_stdout(args, paths)


def _predict_to_stdout(args, paths):
    """A JSON list on stdout, one entry per path, each image on its own."""
    from emoji_fer.images import ImageError, VideoNotImage
    from emoji_fer.predictor import SCHEMA_VERSION

    predictor = _predictor(args)
    results, failed = [], False
    for path in paths:
        try:
            out = predictor.predict(path, detect=not args.no_detect, top_k=args.top_k)
            results.append({"schema_version": out.pop("schema_version"), "path": path, **out, "error": None})
        except ImageError as err:
            failed = True
            message = _one_line(err)
            if isinstance(err, VideoNotImage):
                message += f"; use: emoji-fer video {shlex.quote(path)}"
            print(f"error: {message}", file=sys.stderr)
            results.append({"schema_version": SCHEMA_VERSION, "path": path, "faces": [], "whole_image": False,
                            "message": None, "error": message})
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 2 if failed else 0


def _predict_to_output(args, paths):
    """Rows to --output (emoji_fer.batch), batch by batch, skipping those already there
    with --resume; a progress bar and each error on stderr, a summary on stdout."""
    from tqdm import tqdm

    from emoji_fer.batch import OutputError, check_output, open_results, remove_if_empty

    try:
        check_output(args.output, args.resume)  # before the model loads, and before anything is created
        # The rows' source before the output: a model or Ray that cannot be loaded must not
        # leave an empty output behind, which a run without --resume would then refuse.
        source = _ray_source(args) if args.ray is not None else _local_source(args)
        writer = open_results(args.output, resume=args.resume)
    except OutputError as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    written = failed = 0
    try:
        with writer:
            todo = [path for path in dict.fromkeys(paths) if path not in writer.done]
            already = len(set(paths)) - len(todo)
            if already:
                print(f"resuming: {already} images already in {args.output}", file=sys.stderr)
            with tqdm(total=len(todo), unit="image", desc="predict", file=sys.stderr) as bar:
                for batch in source(todo):
                    writer.write(batch)
                    for row in batch:
                        if row["error"]:
                            failed += 1
                            bar.write(f"error: {row['error']}", file=sys.stderr)
                    written += len(batch)
                    bar.update(len(batch))
    except KeyboardInterrupt:
        # The way to stop a long run: what was written stays, and --resume goes on from there.
        remove_if_empty(args.output)
        print(f"\ninterrupted: {written} rows written to {args.output}; continue with --resume", file=sys.stderr)
        return 130
    except BaseException:
        # A cluster or a disk that fails before the first batch leaves no empty output
        # behind, which the next run would refuse without --resume.
        remove_if_empty(args.output)
        raise
    print(f"wrote {written} rows to {args.output}" + (f" ({failed} with an error)" if failed else "")
          + (f"; {already} were there already" if already else ""))
    return 2 if failed else 0


def _local_source(args):
    """paths -> batches of rows (lists of dicts), --batch-size images each, from one
    Predictor in this process (loaded now)."""
    predictor = _predictor(args)

    def batches(paths):
        for start in range(0, len(paths), args.batch_size):
            chunk = paths[start:start + args.batch_size]
            results = predictor.predict_batch(chunk, detect=not args.no_detect, top_k=args.top_k, errors="return")
            yield [_row(path, result) for path, result in zip(chunk, results)]

    return batches


def _predictor(args):
    """The Predictor `predict` asks for, its detector built now: a detector that cannot be
    (a missing extra) fails before any file is read or any output created."""
    from emoji_fer.predictor import Predictor

    predictor = Predictor(args.model, detector=None if args.no_detect else args.detector)
    predictor.detector
    return predictor


def _ray_source(args):
    """paths -> batches of rows from emoji_fer.ray (imported only here: Ray is optional),
    in the order its workers finish them."""
    try:
        from emoji_fer import ray
    except ImportError as err:
        if getattr(err, "name", None) == "emoji_fer.ray":
            raise _RayMissing("--ray: this version of emoji_fer has no Ray support (emoji_fer/ray.py)") from None
        raise _RayMissing(f"--ray: {_one_line(err)}") from None

    def batches(paths):
        rows = ray.predict_paths(paths, address=args.ray or None, batch_size=args.batch_size, model=args.model,
                                 detector=None if args.no_detect else args.detector, top_k=args.top_k)
        batch = []
        try:
            for row in rows:
                batch.append(_row(row["path"], row))
                if len(batch) == args.batch_size:
                    yield batch
                    batch = []
        except ImportError as err:  # Ray itself, imported when the first batch starts
            raise _RayMissing(f"--ray: {_one_line(err)}") from None
        if batch:
            yield batch

    return batches


class _RayMissing(ImportError):
    """--ray without emoji_fer.ray or without Ray itself; reported as one line by main()."""


def _count(n, noun):
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _row(path, result):
    """The CLI's entry for one image from a predict_batch result (or a row of emoji_fer.ray),
    the keys in the order the JSON list has them."""
    error = result["error"]
    if error and error.endswith(VIDEO_ERROR):  # emoji_fer.images.VideoNotImage's message
        error += f"; use: emoji-fer video {shlex.quote(path)}"
    return {"schema_version": result["schema_version"], "path": path, "faces": result["faces"],
            "whole_image": result["whole_image"], "message": result["message"], "error": error}


def evaluate(args):
    from emoji_fer.evaluation import evaluate_ferplus, evaluate_split
    from emoji_fer.fer2013 import DatasetError
    from emoji_fer.model_files import ModelFileError

    if args.votes and args.labels != "ferplus":
        print("error: --votes is for --labels ferplus", file=sys.stderr)
        return 2
    try:
        if args.labels == "ferplus":
            report = evaluate_ferplus(args.data_dir, args.split, args.model, args.votes)
        else:
            report = evaluate_split(args.data_dir, args.split, args.model)
    except (DatasetError, ModelFileError) as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(format_ferplus_report(report) if args.labels == "ferplus" else format_report(report))
    return 0


def video(args):
    import importlib.util
    import os

    import cv2
    from tqdm import tqdm

    from emoji_fer.predictor import Predictor
    from emoji_fer.timeline import plot_figure, summary_text
    from emoji_fer.video import VideoError, analyze_video, probe

    # FFmpeg's and OpenCV's own log lines ("moov atom not found") would only repeat the
    # error we print; FFmpeg reads this variable when a capture is first opened.
    if args.plot and importlib.util.find_spec("matplotlib") is None:
        # Before decoding anything: a long video should not be analyzed only to fail here.
        print("error: --plot needs matplotlib: pip install 'emoji-fer[plot]'", file=sys.stderr)
        return 2
    for option, out in (("--csv", args.csv), ("--plot", args.plot), ("--annotate", args.annotate)):
        # The same reason: the usual mistakes in an output path, before decoding. Whatever
        # else fails at writing is an OSError, which main() reports.
        problem = out and _unwritable(Path(out))
        if problem:
            print(f"error: {option} {out}: {problem}", file=sys.stderr)
            return 2
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    cv2.setLogLevel(2)  # errors only
    try:
        duration = probe(args.path).duration_s
        predictor = Predictor(args.model, detector=args.detector)
        predictor.detector  # built now: a detector that cannot be fails before the progress bar
        with tqdm(total=round(duration, 1) or None, unit="s", desc="video", file=sys.stderr,
                  bar_format="{l_bar}{bar}| {n:.1f}/{total_fmt} s [{elapsed}<{remaining}]") as bar:
            def progress(t, _):
                bar.update(round(t, 1) - bar.n)

            timeline = analyze_video(predictor, args.path, args.fps, progress, args.annotate)
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


def _unwritable(path):
    """Why a file cannot be written at `path` (its folder is missing, it is a folder), or None."""
    if path.is_dir():
        return "is a folder"
    if not path.parent.is_dir():
        return f"{path.parent} is not a folder" if path.parent.exists() else f"folder {path.parent} does not exist"
    return None


def feedback(args):
    try:
        from emoji_fer.feedback import FeedbackError, FeedbackStore, StoreUnavailable, export_folder
    except ImportError as err:  # the base install has no SQLAlchemy
        print(f"error: the feedback store needs the [feedback] extra: pip install 'emoji-fer[feedback]' ({err})",
              file=sys.stderr)
        return 2

    try:
        # create=False: a mistyped path must not leave a new, empty store behind.
        store = FeedbackStore(args.feedback_db, create=False)
    except StoreUnavailable as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    try:
        return _feedback_action(args, store, export_folder)
    except (StoreUnavailable, FeedbackError) as err:  # FeedbackError: ExportError among them
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2
    finally:
        store.close()


def _feedback_action(args, store, export_folder):
    """One `feedback` action on an open store; returns the exit status."""
    if args.action == "stats":
        from emoji_fer.feedback import health
        from emoji_fer.model_files import read_metadata, resolve_model

        reports = health.report_by_model(store.rows(), health.reference_mix(read_metadata(
            resolve_model(args.model))), args.by)
        if args.json:
            print(json.dumps(reports, indent=2))
        else:
            print(health.report_text(reports["all"]))
            for sha, rep in reports["models"].items():
                print(f"\nmodel {sha[:12]}: {rep['n']} rows, accuracy {rep['accuracy']:.1%}, "
                      f"ECE {rep['calibration']['ece']:.3f}")
    elif args.action == "export":
        if args.test_every < 2:
            print("error: --test-every must be at least 2", file=sys.stderr)
            return 2
        counts = export_folder(store, args.dir, args.test_every, replace=args.replace)
        print(f"wrote {counts['train']} faces to {args.dir}/train and {counts['test']} held out to {args.dir}/test")
    elif args.action == "delete":
        ids = list(dict.fromkeys(args.ids))  # an id given twice is one row
        deleted = set(store.delete_ids(ids))
        print(f"deleted {len(deleted)} of {len(ids)} rows")
        missing = [f"#{i}" for i in ids if i not in deleted]
        if missing:
            # Exit status 1, not 2: the other rows were deleted; a script must still notice.
            print(f"error: no row{'s' if len(missing) > 1 else ''} {', '.join(missing)} (already deleted?)",
                  file=sys.stderr)
            return 1
    elif args.action == "purge":
        print(f"deleted {store.purge(args.before)} rows created before {args.before.isoformat()}")
    return 0


def format_report(report):
    lines = [f"FER-2013 {report['split']}: n={report['n']}  accuracy {report['accuracy']:.2%}  "
             f"macro-F1 {report['macro_f1']:.3f}", "", f"{'label':<10}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}"]
    for label, m in report["per_class"].items():
        lines.append(f"{label:<10}{m['precision']:>10.3f}{m['recall']:>8.3f}{m['f1']:>7.3f}{m['support']:>9}")
    lines += ["", "confusion matrix (rows = true, columns = predicted): " + " ".join(l[:3] for l in LABELS)]
    lines += [f"{label[:3]:>4} " + " ".join(f"{n:>4}" for n in row) for label, row in zip(LABELS, report["confusion"])]
    return "\n".join(lines)


def format_ferplus_report(report):
    """Text of emoji_fer.ferplus.ferplus_report: each figure on a line that says what it is."""
    original = report["original"]
    lines = [
        f"FER+ {report['split']}, judged by the crowd votes (Barsoum et al. 2016):",
        f"  FER+ protocol accuracy (top-1 vs the majority of the votes): {report['protocol_accuracy']:.2%}  "
        f"n={report['n']} faces, {report['contempt']} of them with a contempt majority (counted wrong)",
        f"  human agreement (mean share of the expression votes, single votes dropped, for the model's answer): "
        f"{report['human_agreement']:.3f}",
        f"  cross-entropy against the votes: {report['cross_entropy']:.3f} nats  "
        f"(floor, the votes' own entropy: {report['vote_entropy']:.3f})",
        f"  accuracy on the original FER-2013 labels (faces FER+ labelled): {original['accuracy']:.2%}  "
        f"n={original['n']}",
        f"  the original labels agree with the FER+ majority on {original['agrees_with_majority']:.2%} "
        "of the protocol faces",
        "", "per-class recall (faces of each FER+ majority label):"]
    lines += [f"  {label:<10}{recall:.3f}" for label, recall in report["per_class_recall"].items()]
    width = max(map(len, LABELS)) + 1
    lines += ["", "confusion matrix (rows = FER+ majority, columns = predicted; contempt faces left out):",
              " " * width + "".join(f"{label:>{width}}" for label in LABELS)]
    lines += [f"{label:<{width}}" + "".join(f"{n:>{width}}" for n in row)
              for label, row in zip(LABELS, report["confusion"])]
    return "\n".join(lines)


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except _expected_errors() as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2


def _expected_errors():
    """What a user's input or machine can cause, each reported as one line; anything else
    is a bug and keeps its traceback. The feedback store's errors are caught in feedback():
    its module needs the [feedback] extra."""
    from emoji_fer.detect import DetectorUnavailable
    from emoji_fer.fer2013 import DatasetError
    from emoji_fer.images import ImageError
    from emoji_fer.model_files import ModelFileError
    from emoji_fer.video import VideoError

    # OSError: an output path (--csv, --plot, --annotate, --output) that cannot be written, ...
    return ModelFileError, ImageError, VideoError, DatasetError, DetectorUnavailable, OSError, _RayMissing


def _one_line(err):
    """An error's message on one line; an OSError as "path: reason", not "[Errno 2] ..."."""
    if isinstance(err, OSError) and err.strerror:
        text = f"{err.filename}: {err.strerror}" if err.filename is not None else err.strerror
    else:
        text = str(err) or type(err).__name__
    return " ".join(line.strip() for line in text.splitlines() if line.strip())
