"""The demo's web server: the public demo at "/" and the admin app behind a login, on one
FastAPI app run by uvicorn, with Gradio tuned for a public server (sessions, memory,
analytics)."""

import os

import gradio as gr
from gradio import state_holder

from emoji_fer.app.admin import ADMIN_PATH, ADMIN_USER, password_check
from emoji_fer.app.limits import MAX_UPLOAD_MB, RequestLimits


class LazySessionState(state_holder.SessionState):
    """Gradio's per-session state, with each component's config computed when first
    needed instead of for every component when the session starts.

    Gradio 6.31 starts a session for every API call made without a session_hash (curl,
    httpx, most scripts) and computes the config of each of the demo's ~100 components
    for it: time on the event loop for every call, and memory for every session held (up
    to demo.SESSIONS_KEPT of them; figures in docs/benchmarks.md). A session only ever
    changes the configs of the outputs it updates, which Gradio computes on demand anyway;
    the rest are computed here only if asked for (`components`, Gradio's /deep_link), in
    the demo's order. tests/test_demo_photo.py checks that both give the same configs.
    """

    def __init__(self, blocks):
        # Gradio's __init__ builds config_values for the components in blocks.blocks: none here.
        super().__init__(_NoBlocks(blocks))
        self._blocks = blocks

    @property
    def components(self):
        for key, block in self.blocks_config.blocks.items():
            if key in self._blocks.blocks:
                if key not in self.config_values:
                    self.config_values[key] = self.blocks_config.config_for_block(key, [], block)
                if self.config_values[key]:
                    yield self.config_values[key]


class _NoBlocks:
    """A Blocks seen by SessionState.__init__ with its default config but no components."""

    def __init__(self, blocks):
        self.default_config = blocks.default_config
        self.blocks = {}


def lazy_sessions():
    """Make Gradio start sessions as LazySessionState (for the whole process; Gradio's
    StateHolder looks its SessionState class up in its module at each new session)."""
    state_holder.SessionState = LazySessionState


MALLOC_ARENAS = 2  # glibc malloc arenas shared by the server's threads (glibc's default: up to 8 per core)


def bound_malloc(arenas=MALLOC_ARENAS):
    """Keep glibc's malloc from spreading the server's photo buffers over many arenas
    (Linux; returns False and does nothing elsewhere).

    Every photo is decoded into arrays of several MB in one of Gradio's worker threads
    (up to 40). glibc gives threads arenas of their own, up to 8 per core, and each keeps
    the space of freed buffers, fragmented, for itself. Under many concurrent clients the
    RSS levels off markedly lower with two arenas than with glibc's default, at the same
    speed (as MALLOC_ARENA_MAX=2 in the environment would, but set from inside the
    process; figures in docs/benchmarks.md); tests/test_demo_load.py holds the bound. (A
    fixed mmap threshold, which returns every large buffer at once, was rejected: every
    group photo paid for it in page faults.)
    """
    import ctypes
    import ctypes.util

    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to tune
        return False
    m_arena_max = -8  # glibc's malloc.h
    return bool(mallopt(m_arena_max, arenas))


# Gradio keeps a record of each of its latest 10,000 events and, after every event,
# summarises all of them with pandas for its monitoring page: CPU time on every request
# that grows with the number of records (docs/benchmarks.md). Here: the latest 1,000,
# summarised every 100 events. Read when a queue is made; values already in the
# environment win.
GRADIO_ANALYTICS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "100"}
SHUTDOWN_GRACE_S = 5


def serve(demo, host, port, admin=None, admin_password=None, share=False, blocked_paths=(),
          state_session_capacity=10000, max_upload_mb=MAX_UPLOAD_MB):
    """Serve the public demo at "/" and, if given, the admin Blocks at ADMIN_PATH behind
    Gradio's login (user "admin", `admin_password`), from one FastAPI app run by uvicorn
    until interrupted (SIGINT/SIGTERM).

    Why not demo.launch(): launch() can only put one login in front of the whole app, and
    the demo must stay public. Both apps are mounted with gr.mount_gradio_app, so "/"
    serves exactly what launch() served: the page, /predict and the other API endpoints,
    the Live tab's stream, gradio_client. The admin app is mounted first: Starlette tries
    mounts in order and "/" matches every path. blocked_paths: files neither app may
    serve (the feedback database). share: a gradio.live link, opened as launch() does.

    What a client may send (docs/security.md): each Blocks is marked as launched, as
    launch() would, because Gradio checks that a file input's path was uploaded by the
    client only for a launched app (a mounted one would take any server path, copy the
    file into its cache and serve it); uploads and request bodies are at most
    `max_upload_mb` MB (Gradio's max_file_size and emoji_fer.app.limits); the admin login is
    rate-limited per client (emoji_fer.app.limits).
    For a server's memory and speed, process-wide: sessions are LazySessionState, malloc
    is bounded (bound_malloc), Gradio's event analytics are trimmed (GRADIO_ANALYTICS).
    """
    import fastapi
    import uvicorn


    lazy_sessions()
    bound_malloc()
    for name, value in GRADIO_ANALYTICS.items():
        os.environ.setdefault(name, value)
    app = fastapi.FastAPI()
    # show_error=False as in launch(): only gr.Error messages reach the page, not the
    # text of unexpected exceptions (which may name server paths).
    common = dict(server_name=host, server_port=port, blocked_paths=list(blocked_paths), show_error=False,
                  max_file_size=f"{max_upload_mb}mb")
    mounted = []
    if admin is not None:
        if not admin_password:
            raise ValueError("the admin app needs a password")
        admin.queue()
        # The gallery's thumbnails live in a folder of the admin app's own, outside the
        # public app's cache: only the admin app (behind the login) may serve them.
        gr.mount_gradio_app(app, admin, path=ADMIN_PATH, auth=password_check(admin_password),
                            auth_message="Emoji the Possibilities: admin (user name: admin)",
                            allowed_paths=[admin.thumbnails], **common)
        mounted.append(admin)
    demo.queue()
    demo.state_session_capacity = state_session_capacity  # read when the app is created
    gr.mount_gradio_app(app, demo, path="/", **common)
    mounted.append(demo)
    for blocks in mounted:
        blocks.has_launched = True  # what launch() sets; see above
    # The body limit leaves room for the multipart wrapping of the largest upload, whose
    # own limit (max_file_size) Gradio checks with a clear message.
    guarded = RequestLimits(app, max_body=(max_upload_mb + 1) * 2**20, login_path=f"{ADMIN_PATH}/login")
    # On SIGTERM/SIGINT, requests in flight get SHUTDOWN_GRACE_S to finish; open streams
    # (the Live tab, gradio_client's event streams) would otherwise hold the exit forever.
    server = uvicorn.Server(uvicorn.Config(guarded, host=host, port=port, log_level="warning",
                                           timeout_graceful_shutdown=SHUTDOWN_GRACE_S))
    url_host = "localhost" if host == "0.0.0.0" else host
    print(f"* Running on local URL:  http://{url_host}:{port}", flush=True)
    if admin is not None:
        print(f"* Admin (corrections gallery): http://{url_host}:{port}{ADMIN_PATH}/ (user {ADMIN_USER})", flush=True)
    if share:
        import threading

        threading.Thread(target=_share_link, args=(server, host, port), daemon=True).start()
    server.run()  # in the main thread, so uvicorn handles SIGINT/SIGTERM and shuts down cleanly


def _share_link(server, host, port):
    """Open a gradio.live tunnel to the local server once it listens, as launch(share=True)
    does (the same gradio.networking call; not on Hugging Face Spaces)."""
    import secrets
    import time

    from gradio import networking

    if os.environ.get("SPACE_ID"):
        print("* --share is not supported on Hugging Face Spaces", flush=True)
        return
    while not server.started:
        if server.should_exit:
            return
        time.sleep(0.1)
    try:
        url = networking.setup_tunnel(local_host=host, local_port=port, share_token=secrets.token_urlsafe(32),
                                      share_server_address=None, share_server_tls_certificate=None)
    except Exception as err:  # noqa: BLE001 - the local server keeps running without the link
        print(f"* Could not create a share link: {err}", flush=True)
        return
    print(f"* Running on public URL: {url.replace('http://', 'https://', 1)}", flush=True)
