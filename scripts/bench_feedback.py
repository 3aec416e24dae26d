"""Time of the demo's /feedback, against /predict, as an API user sees it.

python scripts/bench_feedback.py [--calls 50] [--photo ../shared/samples/justin.jpg] [--db URL]

Starts demo.py on a free localhost port with its own store (default: a SQLite file in
a temp folder, deleted afterwards), then times --calls gradio_client calls of /predict
and of /feedback (face 0, label "happy") one after the other from one client, after a
few warm-up calls of each, and prints the median, 10th and 90th percentile and mean in ms.
For the server's share, it then times the same work in this process, without HTTP:
Predictor.predict of the photo, and emoji_fer.feedback.submit (which classifies it again
and writes one row: one transaction, synchronous=FULL on SQLite) into another temp store.
/predict also sends back the annotated photo, which /feedback does not.
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.timing import timed  # noqa: E402

WARM_UP = 5


def describe(name, times):
    q = statistics.quantiles(times, n=10)
    return (f"{name:<10} n={len(times):>3}  median {statistics.median(times):6.1f} ms  p10 {q[0]:6.1f}  "
            f"p90 {q[-1]:6.1f}  mean {statistics.fmean(times):6.1f}")


def main():
    from gradio_client import Client, handle_file

    from emoji_fer.feedback import FeedbackStore
    from tests.support.data import SAMPLES
    from tests.support.processes import demo_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--photo", type=Path, default=SAMPLES / "justin.jpg")
    parser.add_argument("--db", help="the store's URL (default: a SQLite file in a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        with demo_server("--feedback-db", db) as (url, _):
            client = Client(url, verbose=False)
            photo = handle_file(str(args.photo))
            predict = lambda: client.predict(photo, api_name="/predict")  # noqa: E731
            feedback = lambda: client.predict(photo, 0, "happy", api_name="/feedback")  # noqa: E731
            timed(predict, WARM_UP)
            timed(feedback, WARM_UP)
            results = {"/predict": timed(predict, args.calls), "/feedback": timed(feedback, args.calls)}
        store = FeedbackStore(db)
        rows = store.count()
        store.close()

        from emoji_fer import Predictor
        from emoji_fer.feedback import submit

        predictor = Predictor().warm_up()
        local = FeedbackStore(f"sqlite:///{Path(tmp) / 'local.sqlite3'}")
        in_process = {"predict": lambda: predictor.predict(args.photo),
                      "submit": lambda: submit(local, predictor, args.photo, 0, "happy", "api")}
        for call in in_process.values():
            timed(call, WARM_UP)
        local_results = {name: timed(call, args.calls) for name, call in in_process.items()}
        local.close()
    print(f"{args.photo.name}, {args.calls} calls each after {WARM_UP} warm-up calls, store {db.split(':')[0]}")
    print("over HTTP (gradio_client):")
    for name, times in results.items():
        print("  " + describe(name, times))
    print("in this process (no HTTP):")
    for name, times in local_results.items():
        print("  " + describe(name, times))
    print(f"rows stored through /feedback: {rows} (expected {args.calls + WARM_UP} in a fresh store)")


if __name__ == "__main__":
    main()
