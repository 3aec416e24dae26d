"""Shared fixtures. Data comes from ../shared (FER-2013 and sample photos); tests that
need it skip with the reason when it is absent (a fresh clone elsewhere). CI has it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.data import FER_DIR, ROOT, SAMPLES, SHARED, SPLIT_SIZES, need
from tests.support.processes import demo_server, free_port, run_module, wait_for_http

# The page's fixtures (pw, site, camera_file), shared by tests/test_web*.py.
pytest_plugins = ["tests.support.web_fixtures"]

# Test modules import these helpers from here; their code lives in tests/support/ (which
# the scripts import too).
__all__ = ["FER_DIR", "ROOT", "SAMPLES", "SHARED", "SPLIT_SIZES", "need", "demo_server", "free_port", "run_module",
           "wait_for_http", "read_rows", "check_woman2_rows"]

# Markers (pytest.ini lists them; `-m` selects, docs/architecture.md has the fast lane).
# browser, postgres and needs_data follow from the fixtures a test uses, so a new test is
# marked by what it needs; `slow` is set in the test modules, where the cost is known.
MARKED_BY_FIXTURE = {
    "browser": {"pw", "site", "camera_file"},
    "postgres": {"postgres_url", "postgres_db"},
    "needs_data": {"fer_dir", "samples", "woman2", "cli_rows"},
}


def pytest_collection_modifyitems(items):
    for item in items:
        used = set(item.fixturenames)  # the whole closure: fixtures of fixtures too
        for marker, fixtures in MARKED_BY_FIXTURE.items():
            if used & fixtures:
                item.add_marker(marker)
        # Tests run on each backend ask for the PostgreSQL server only in its case
        # (request.getfixturevalue), which the closure cannot show: the parameter does.
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(value, str) and value == "postgresql" for value in params.values()):
            item.add_marker("postgres")


@pytest.fixture(scope="session")
def fer_dir():
    need(FER_DIR / "train", "FER-2013")
    return FER_DIR


@pytest.fixture(scope="session")
def samples():
    need(SAMPLES / "justin.jpg", "sample photos")
    return SAMPLES


@pytest.fixture(scope="session")
def woman2():
    return need(SAMPLES / "woman2.mp4", "the sample video woman2.mp4")


@pytest.fixture(scope="session")
def cli_rows(woman2, tmp_path_factory):
    """`python -m emoji_fer video woman2.mp4 --fps 2 --csv ... --plot ...`, run once per test
    session: (CompletedProcess, CSV text, output folder). test_video checks it,
    test_demo_timeline compares the demo's /video rows with it."""
    out = tmp_path_factory.mktemp("cli")
    proc = run_module("emoji_fer", "video", str(woman2), "--fps", "2", "--csv", str(out / "rows.csv"),
                      "--plot", str(out / "plot.png"))
    assert proc.returncode == 0, proc.stderr
    return proc, (out / "rows.csv").read_text(), out


def read_rows(text):
    """Timeline CSV text -> [{column: float, or None for an empty cell}]."""
    import csv
    import io

    return [{k: (float(v) if v else None) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def check_woman2_rows(rows):
    """The issue's expectations for woman2.mp4 (15.5 s, 29.97 fps) sampled at 2 Hz."""
    from emoji_fer.labels import LABELS

    assert len(rows) == 31  # 0, 0.5, ..., 15.0 s
    times = [r["time_s"] for r in rows]
    assert all(b > a for a, b in zip(times, times[1:]))
    assert all(abs(t - i / 2) <= 0.02 for i, t in enumerate(times))  # the nearest frame to each k / 2 s
    for row in rows:
        assert row["faces"] == 1
        assert sum(row[label] for label in LABELS) == pytest.approx(1.0, abs=1e-4)


@pytest.fixture(scope="session")
def predictor():
    from emoji_fer.predictor import Predictor

    return Predictor()


# The TF.js tools are set up by the test session itself when missing (the README's test
# command then needs nothing more): the converter in its own venv (requirements-convert.txt
# explains why), and TensorFlow.js for Node from the npm registry.
@pytest.fixture(scope="session")
def tfjs_converter():
    from convert.export import ConvertError, find_converter

    try:
        return find_converter()
    except ConvertError:
        venv = ROOT / ".venv-convert"
        print(f"\nsetting up the TF.js converter in {venv} (once; about 3 minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "-r", str(ROOT / "requirements-convert.txt")],
                       check=True)
        return find_converter()


@pytest.fixture(scope="session")
def node_tfjs():
    import shutil

    from convert.parity import NODE_MODULES

    if shutil.which("node") is None or shutil.which("npm") is None:
        need(Path("/nonexistent/node"), "Node.js and npm")
    if not (NODE_MODULES / "@tensorflow" / "tfjs").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(NODE_MODULES.parent)],
                       check=True, capture_output=True)
    return NODE_MODULES


# The feedback store's PostgreSQL tests run against a real server: a throwaway cluster
# that the test session creates (initdb) in a temp folder, starts on a free localhost port
# and deletes at the end, from Debian's postgresql package (.ci/run installs it). The
# machine's own cluster or service, if any, is never touched.
def pg_bindir():
    """The newest /usr/lib/postgresql/<major>/bin with initdb and pg_ctl, or None."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()]
    found.sort(key=lambda b: int(b.parent.name) if b.parent.name.isdigit() else 0)
    return found[-1] if found else None


@pytest.fixture(scope="session")
def postgres_url():
    """`postgresql+psycopg://emoji:PASSWORD@127.0.0.1:PORT/emoji_fer`: a database in a
    throwaway PostgreSQL cluster started for this test session, stopped and deleted after
    it. The user `emoji` is no superuser but may create databases (postgres_db does, for
    a fresh empty one per test). Skips when PostgreSQL is not installed; fails in CI."""
    import secrets
    import shutil
    import tempfile

    bindir = pg_bindir()
    if bindir is None:  # need()'s convention, with PostgreSQL's own reason
        reason = "PostgreSQL not installed (no /usr/lib/postgresql/*/bin/initdb; Debian: apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; CI must have it (.ci/run installs it)")
        pytest.skip(reason)
    # initdb refuses to run as root: as root (CI) the cluster belongs to the postgres OS
    # user and initdb and pg_ctl run as that user; otherwise as whoever runs pytest.
    as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    # Under /tmp, not pytest's tmp_path (inside a mode 0700 folder of root's when CI runs as
    # root, which the postgres user could not enter); the short path also keeps the Unix
    # socket's path under its 107-byte limit.
    top = Path(tempfile.mkdtemp(prefix="emoji-fer-pg-"))  # mode 0700
    data, sockets, log, pwfile = top / "data", top / "sockets", top / "server.log", top / "pwfile"
    sockets.mkdir(mode=0o700)
    password = secrets.token_hex(16)  # hex: nothing to quote in SQL or URLs
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if as_owner:
        for path in (top, sockets, pwfile):
            shutil.chown(path, "postgres", "postgres")
    port = free_port()

    def run(*args):
        proc = subprocess.run([*as_owner, *args], cwd=top, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            server_log = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}{server_log}")

    started = False
    try:
        # Password (SCRAM) authentication for every connection, local or TCP, as a shared
        # production store would have: not trust, so a wrong password is refused and the
        # tests can check that no message shows one. Superuser and `emoji` share the password.
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256",
            f"--pwfile={pwfile}", "--encoding=UTF8", "--locale=C", "--no-sync")
        # TCP on 127.0.0.1 only; the socket in our folder, not /var/run/postgresql; the
        # sessions' time zone UTC whatever the machine's (tests that need another set it per
        # database); fsync off: a throwaway cluster need not survive a power cut.
        # -w: return once it accepts connections.
        options = f"-p {port} -k {sockets} -h 127.0.0.1 -c timezone=UTC -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start")
        started = True

        import psycopg

        with psycopg.connect(host="127.0.0.1", port=port, user="postgres", password=password, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE ROLE emoji LOGIN CREATEDB PASSWORD '{password}'")
            conn.execute("CREATE DATABASE emoji_fer OWNER emoji")
        yield f"postgresql+psycopg://emoji:{password}@127.0.0.1:{port}/emoji_fer"
    finally:
        if started:
            run(str(bindir / "pg_ctl"), "-D", str(data), "stop", "-m", "fast", "-w", "-t", "60")
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url):
    """URL of a new, empty database for one test (in the postgres_url cluster, owned by
    its user), dropped afterwards; WITH (FORCE) also ends connections the test left open."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    admin = {"host": url.host, "port": url.port, "user": url.username, "password": url.password,
             "dbname": url.database, "autocommit": True}
    name = f"test_{uuid.uuid4().hex}"
    with psycopg.connect(**admin) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
