"""The demo's /predict round trip over Gradio's HTTP API, against the Predictor's own time.

flock /tmp/cpu.lock python scripts/bench_demo.py [--calls 30] [--seconds 20] [--clients 16]
                                                  [--no-feedback] [--json]

Starts demo.py on a free localhost port (feedback on, as deployed, with a throwaway
SQLite store as the tests have; --no-feedback: without) and talks to it with raw HTTP
(httpx; not gradio_client, which adds ~130 ms of its own to each call). For each of
../shared/samples justin.jpg (one face, 381x384) and sample6.jpg (4 faces, 1920x1537):

- the round trip, one call at a time: upload the photo (POST /gradio_api/upload), start
  the call (POST /gradio_api/call/predict) and read its result stream (GET
  /gradio_api/call/predict/{event_id}) to its `complete` event; median and 90th
  percentile of --calls calls after WARM_UP warm-up calls, in ms;
- the Predictor's own time for the same photo, measured in this process after the
  server has stopped: median of `Predictor().predict(path)` (decoding, detection,
  classification) over as many calls, in ms; and the difference.

Then --clients threads send round trips back to back for --seconds, the photos
alternating (client i starts with photo i % 2), each answer checked (`complete`, faces
found): answered requests per second, and the server's resident memory (VmRSS, MB)
before and after that run. Prints a table (--json: the same figures as JSON). On a
shared machine run it under `flock /tmp/cpu.lock`: other work on the CPU changes every
figure.
"""

import argparse
import itertools
import json
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.timing import timed  # noqa: E402 - after the path is set

WARM_UP = 5
PHOTOS = ("justin.jpg", "sample6.jpg")


class DemoAPI:
    """Gradio's HTTP API of the demo's /predict, without gradio_client.

    url: the demo's root URL ("http://127.0.0.1:PORT/"). One httpx.Client (keep-alive
    connections) per DemoAPI; use one per thread."""

    def __init__(self, url, timeout=60):
        import httpx

        self.url = url.rstrip("/")
        self.http = httpx.Client(timeout=timeout)

    def close(self):
        self.http.close()

    def upload(self, name, data):
        """Upload one file's bytes; returns its path on the server (str)."""
        reply = self.http.post(f"{self.url}/gradio_api/upload", files={"files": (name, data)})
        reply.raise_for_status()
        return reply.json()[0]

    def call(self, api_name, *data):
        """Start a call of /api_name with the given inputs and read its result stream.
        Returns ("complete", outputs list) or ("error", the message or None)."""
        reply = self.http.post(f"{self.url}/gradio_api/call/{api_name}", json={"data": list(data)})
        reply.raise_for_status()
        event_id = reply.json()["event_id"]
        event = None
        with self.http.stream("GET", f"{self.url}/gradio_api/call/{api_name}/{event_id}") as stream:
            stream.raise_for_status()
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event in ("complete", "error"):
                    return event, json.loads(line.removeprefix("data: "))
        raise RuntimeError(f"/{api_name}'s stream ended without a result (last event {event!r})")

    def predict(self, name, data):
        """One /predict round trip of a photo (its file name and bytes): upload, call,
        result. Returns ("complete", [image, top3, result]) or ("error", message)."""
        path = self.upload(name, data)
        return self.call("predict", {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}})

    def fetch(self, file_data):
        """The bytes of an output file (a FileData dict of an answer)."""
        reply = self.http.get(file_data["url"])
        reply.raise_for_status()
        return reply.content


def rss_mb(pid):
    """Resident memory of a process in MB (VmRSS of /proc/PID/status; Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def load(url, photos, clients, seconds=None, requests=None, check=None):
    """`clients` threads send /predict round trips back to back, the photos alternating
    (client i starts with photo i % len(photos)), for `seconds` s or until `requests`
    round trips were started in all. photos: [(name, bytes)]; check(name, answer) may
    raise: the first exception of any thread stops them all and is raised here.
    Returns (the answered photos' names, wall time in s)."""
    done, errors, lock = [], [], threading.Lock()
    tickets = itertools.count()
    deadline = time.perf_counter() + seconds if seconds else float("inf")

    def client(i):
        api = DemoAPI(url)
        try:
            for k in itertools.count(i):
                if errors or time.perf_counter() >= deadline or (requests and next(tickets) >= requests):
                    return
                name, data = photos[k % len(photos)]
                answer = api.predict(name, data)
                if check:
                    check(name, answer)
                with lock:
                    done.append(name)
        except Exception as err:  # noqa: BLE001 - raised again in the caller's thread
            errors.append(err)
        finally:
            api.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return done, time.perf_counter() - start


def round_trips(url, photos, calls):
    """{name: [ms] * calls}: one /predict round trip at a time, after WARM_UP unmeasured."""
    api = DemoAPI(url)
    try:
        return {name: timed(lambda: api.predict(name, data), WARM_UP + calls)[WARM_UP:]  # noqa: B023
                for name, data in photos}
    finally:
        api.close()


def predictor_times(paths, calls):
    """{name: [ms] * calls}: Predictor().predict(path) in this process, after WARM_UP calls."""
    from emoji_fer import Predictor

    predictor = Predictor().warm_up()
    return {path.name: timed(lambda: predictor.predict(path), WARM_UP + calls)[WARM_UP:]  # noqa: B023
            for path in paths}


def answered(name, answer):
    """bench load's check: a complete answer with at least one face."""
    event, outputs = answer
    if event != "complete" or not outputs[2]["faces"]:
        raise AssertionError(f"{name}: {event} {str(outputs)[:300]}")


def cpu_model():
    """The CPU's model name, as lscpu gives it (Linux), or "unknown CPU"."""
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def main():
    import os

    from tests.support.data import SAMPLES
    from tests.support.processes import demo_server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=30, help="round trips per photo, one at a time (default 30)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the concurrent run in s (default 20)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="start the demo with --no-feedback (default: feedback on, a throwaway SQLite store)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    photos = [(name, (SAMPLES / name).read_bytes()) for name in PHOTOS]

    with demo_server(*(["--no-feedback"] if args.no_feedback else [])) as (url, proc):
        trips = round_trips(url, photos, args.calls)
        rss_before = rss_mb(proc.pid)
        done, wall = load(url, photos, args.clients, seconds=args.seconds, check=answered)
        rss_after = rss_mb(proc.pid)
    own = predictor_times([SAMPLES / name for name in PHOTOS], args.calls)

    rows = []
    for name in PHOTOS:
        trip, mine = statistics.median(trips[name]), statistics.median(own[name])
        p90 = statistics.quantiles(trips[name], n=10)[-1]
        rows.append({"photo": name, "round_trip_ms": trip, "round_trip_p90_ms": p90, "predictor_ms": mine,
                     "difference_ms": trip - mine})
    figures = {"cpu": f"{cpu_model()}, {os.cpu_count()} cores", "feedback": not args.no_feedback,
               "calls": args.calls, "rows": rows, "clients": args.clients, "seconds": round(wall, 1),
               "answered": len(done), "requests_per_s": len(done) / wall,
               "server_rss_mb_before": rss_before, "server_rss_mb_after": rss_after}
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['cpu']}; demo with feedback {'on' if figures['feedback'] else 'off'}")
    print(f"/predict round trip over raw HTTP (upload + call + result stream), {args.calls} calls after {WARM_UP} "
          f"warm-up calls, against Predictor.predict in this process (medians):")
    print("| photo | round trip (ms) | round trip p90 (ms) | Predictor (ms) | difference (ms) |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['photo']} | {row['round_trip_ms']:.1f} | {row['round_trip_p90_ms']:.1f} | "
              f"{row['predictor_ms']:.1f} | {row['difference_ms']:+.1f} |")
    print(f"{args.clients} concurrent clients, photos alternating, {wall:.1f} s: {len(done)} answered, "
          f"{figures['requests_per_s']:.1f} requests/s; server RSS {rss_before:.0f} MB before, "
          f"{rss_after:.0f} MB after")


if __name__ == "__main__":
    main()
