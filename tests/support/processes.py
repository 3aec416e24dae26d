"""Child processes of the tests and benchmarks: `python -m ...` from the repo root, a free
localhost port, waiting for an HTTP server to answer, and demo.py on a free port."""

import contextlib
import os
import socket
import subprocess
import sys
import time

from tests.support.data import ROOT


def run_module(*args, timeout=600, env=None):
    """Run `python -m ...` from the repo root; returns the CompletedProcess."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(env or {})}
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url, proc, timeout=180):
    import urllib.request

    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def demo_server(*args, env=None, log_to=None):
    """Launch demo.py on a free localhost port; yields (url, process); stops it afterwards.
    Its output goes to a temp file (a pipe nobody reads would block a chatty server) and
    is shown if it fails to start. env: variables set for the server on top of the
    defaults (which give it a throwaway feedback store); log_to: a list that receives the
    server's whole log once it has stopped."""
    import tempfile

    port = free_port()
    with tempfile.TemporaryFile("w+") as log, tempfile.TemporaryDirectory() as scratch:
        # Without --feedback-db the demo would open the user's own store (in ~/.local/share):
        # tests get a throwaway one instead.
        full_env = {**os.environ, "EMOJI_FER_FEEDBACK_DB": f"sqlite:///{scratch}/feedback.sqlite3", **(env or {})}
        proc = subprocess.Popen([sys.executable, "demo.py", "--port", str(port), *args], cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, text=True, env=full_env)
        try:
            url = f"http://127.0.0.1:{port}/"
            try:
                wait_for_http(url, proc)
            except (RuntimeError, TimeoutError) as err:
                log.seek(0)
                raise RuntimeError(f"{err}\n{log.read()[-5000:]}") from None
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a server stuck on a request ignores SIGTERM
                proc.kill()
                proc.wait(timeout=30)
            if log_to is not None:
                log.seek(0)
                log_to.append(log.read())
