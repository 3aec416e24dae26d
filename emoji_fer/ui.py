"""Gradio building blocks of the demo (the wiring itself is in demo.py): the image
input, the feedback buttons, the Model health tab, the admin app, and the server that
serves the demo and the admin app side by side."""

import base64
import binascii
import os

import gradio as gr
from gradio import state_holder
from gradio.exceptions import InvalidPathError
from gradio_client import utils as client_utils

from emoji_fer.feedback import FeedbackError, StoreUnavailable
from emoji_fer.images import ImageError
from emoji_fer.labels import EMOJI, LABELS
from emoji_fer.serving import (MAX_UPLOAD_MB, WHAT_IS_STORED, face_choices, feedback_message, process_folder,
                               public_error, top_label)


class ClientFiles:
    """For the demo's file inputs: a file reaches a handler only if the client sent it.

    A client names a file input's value by a server path (after uploading it) or a URL.
    Gradio refuses a path that is not in its upload folder only when it believes the app
    was launched, which `serve` makes sure of (see there). URLs are refused here: Gradio
    would download any public one into its cache, with no size limit, on a stranger's
    behalf; no input of the demo needs that.
    """

    def get_block_name(self):
        # The frontend is the Gradio component's this class extends (Gradio takes the
        # first base class's name, which is this mixin's).
        return next(c for c in type(self).__mro__ if c.__module__.startswith("gradio.")).__name__.lower()

    get_block_class = get_block_name

    async def async_move_resource_to_block_cache(self, url_or_file_path):
        _refuse_urls(url_or_file_path)
        return await super().async_move_resource_to_block_cache(url_or_file_path)

    def move_resource_to_block_cache(self, url_or_file_path):
        _refuse_urls(url_or_file_path)
        return super().move_resource_to_block_cache(url_or_file_path)


def _refuse_urls(url_or_file_path):
    # Gradio's own error for a path that was not uploaded: the client gets the same
    # answer for a URL as for any server path, existing or not (no oracle).
    if client_utils.is_http_url_like(str(url_or_file_path)):
        raise InvalidPathError("only files uploaded by this client are accepted")


class ImageFile(ClientFiles, gr.Image):
    """A gr.Image (upload, webcam or a streaming webcam; same frontend) that hands the
    handler the image undecoded: the uploaded file's path, or the bytes of a frame the
    page sent inline as a data URL (the webcam stream does).

    gr.Image would decode it itself before the handler runs, with no limit on its size
    and with a generic error for a corrupt file; undecoded, every image goes through
    emoji_fer.images, the project's one guarded decoder. The frontend is gr.Image's
    (ClientFiles.get_block_name).
    """

    def preprocess(self, payload):
        if payload is None:
            return None
        if payload.url and payload.url.startswith("data:"):
            return _data_url_bytes(payload.url)
        return payload.path


class VideoFile(ClientFiles, gr.Video):
    """gr.Video that takes only the client's own uploads (ClientFiles); gr.Video's frontend."""


def _data_url_bytes(url):
    """The bytes of a base64 data URL; raises ImageError for anything else. Its size is
    bounded by the server's request body limit (serve)."""
    header, _, data = url.partition(",")
    if not header.endswith(";base64"):
        raise ImageError("a frame sent inline must be a base64 data URL")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ImageError("a frame sent inline is not valid base64") from None


class LazySessionState(state_holder.SessionState):
    """Gradio's per-session state, with each component's config computed when first
    needed instead of for every component when the session starts.

    Gradio 6.31 starts a session for every API call made without a session_hash (curl,
    httpx, most scripts) and computes the config of each of the demo's ~100 components
    for it: 8.4 ms on the event loop per call and 147 KB per session held (up to
    demo.SESSIONS_KEPT of them; 2-core VM, tracemalloc). A session only ever changes the
    configs of the outputs it updates, which Gradio computes on demand anyway; the rest
    are computed here only if asked for (`components`, Gradio's /deep_link), in the
    demo's order. tests/test_demo_photo.py checks that both give the same configs.
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
    the space of freed buffers, fragmented, for itself. 16 clients sending photos (2-core
    VM, 2000 requests) took the demo's RSS from 280 MB to a level of ~540 MB with glibc's
    default, ~440 MB with two arenas (as MALLOC_ARENA_MAX=2 in the environment would, but
    set from inside the process), at the same speed; tests/test_demo_load.py holds the
    bound. (A fixed mmap threshold, which returns every large buffer at once, made each
    group photo ~20 ms slower in page faults.)
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
# summarises all of them with pandas for its monitoring page: 1.6 ms of CPU per request
# with 300 records, 7 ms with 10,000 (2-core VM). Here: the latest 1,000, summarised
# every 100 events. Read when a queue is made; values already in the environment win.
GRADIO_ANALYTICS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "100"}


ADMIN_USER = "admin"
ADMIN_PATH = "/admin"
ADMIN_PASSWORD_ENV = "EMOJI_FER_ADMIN_PASSWORD"
SHUTDOWN_GRACE_S = 5
CONFIRM = "👍 Yes, the emoji is right"
# What a feedback submission raises for a user's mistake or a store that is down: shown
# as a gr.Error with its message; nothing was stored.
FEEDBACK_ERRORS = (FeedbackError, ImageError, StoreUnavailable)
FEEDBACK_CONCURRENCY = 4  # feedback events (buttons and /feedback) run at once; each classifies one photo


def feedback_buttons(face, make_handler, inputs):
    """The feedback panel: the face picker, a confirm button and the seven emoji buttons,
    a status line, and what a press stores. face: the (unrendered) component picking the
    face by number; make_handler(label) returns a button's event function (label None:
    confirm), taking `inputs`. Returns the confirm button (the photo tab relabels it)."""
    gr.Markdown("**Is the emoji right?** Confirm it, or pick the right one:")
    with gr.Row():
        face.render()
        with gr.Column():
            confirm = gr.Button(CONFIRM, variant="primary")
    with gr.Row():
        buttons = {label: gr.Button(f"{EMOJI[label]} {label}", size="sm", min_width=80) for label in LABELS}
    status = gr.Markdown()
    gr.Markdown(f"<small>{WHAT_IS_STORED}</small>")
    # One concurrency group for every feedback event (the API's too).
    io = dict(inputs=inputs, outputs=status, api_name=False, concurrency_id="feedback",
              concurrency_limit=FEEDBACK_CONCURRENCY)
    confirm.click(make_handler(None), **io)
    for label, button in buttons.items():
        button.click(make_handler(label), **io)
    return confirm


def feedback_reply(submit, *args):
    """Run one FeedbackDesk submission; the page's message, or a gr.Error with the reason."""
    try:
        return feedback_message(submit(*args))
    except FEEDBACK_ERRORS as err:
        raise gr.Error(public_error(err)) from None


def face_picker(result):
    """After a prediction: the picker lists the faces found, the first one picked."""
    choices = face_choices(result)
    return gr.Dropdown(choices=choices, value=0 if choices else None), confirm_label(result, 0)


def confirm_label(result, face):
    """The confirm button names the emoji it confirms."""
    try:
        label = top_label(result, 0 if face is None else face)
    except FeedbackError:
        return gr.Button(value=CONFIRM)
    return gr.Button(value=f"👍 Yes, {EMOJI[label]} {label} is right")


def health_tab(desk, admin_served=False):
    """The Model health tab (public aggregates of the feedback store): the model and
    period pickers, a Refresh button, a summary and the four figures."""
    def health(model, by):
        try:
            view = desk.health(model, by)
        except StoreUnavailable as err:
            raise gr.Error(public_error(err)) from None
        values = [value for _, value in view["choices"]]
        figures = view["figures"]
        return (gr.Dropdown(choices=view["choices"], value=model if model in values else "all"), view["summary"],
                figures["over_time"], figures["confusion"], figures["calibration"], figures["mix"])

    with gr.Tab("Model health") as tab:
        gr.Markdown(
            "How the model does on the faces users confirmed or corrected: accuracy and corrections over time, "
            "which expressions it confuses, whether its confidence matches its accuracy, and whether the "
            "expressions it sees here differ from FER-2013's. "
            + (f"Admins: the latest corrections (face crops) are at [{ADMIN_PATH}]({ADMIN_PATH}/)." if admin_served
               else "The gallery of the latest corrections shows faces, so it is for an admin only; it is not "
               "served: the demo was started without an admin password "
               f"(`--admin-password` or `{ADMIN_PASSWORD_ENV}`)."))
        with gr.Row():
            model = gr.Dropdown([("all models", "all")], value="all", label="Model version (SHA-256 prefix)", scale=3)
            by = gr.Radio(["day", "week"], value="day", label="Over time, by", scale=2)
            with gr.Column(scale=1):
                refresh = gr.Button("Refresh")
        summary = gr.Markdown()
        # The figures carry their own titles (a component label would cover them).
        plot = dict(format="png", show_label=False)
        over_time = gr.Plot(label="Accuracy and correction rate over time", **plot)
        confusion = gr.Plot(label="Confusion matrix, precision and recall", **plot)
        with gr.Row():
            calibration = gr.Plot(label="Calibration (reliability diagram)", **plot)
            mix = gr.Plot(label="Predicted-label mix against FER-2013", **plot)
    # Computed when the tab is opened or refreshed, not at every page load: it reads every row.
    gr.on([tab.select, refresh.click, model.input, by.input], health, [model, by],
          [model, summary, over_time, confusion, calibration, mix], api_name=False, concurrency_id="health")


def admin_app(desk):
    """The admin app (served behind a login at ADMIN_PATH): the latest corrections as a
    gallery of the stored crops, "predicted -> given" and id, with delete. API:
    /corrections, /delete (row id). The Blocks' `thumbnails` is the private folder of
    the gallery's images, which only this app serves (serve)."""
    thumbnails = str(process_folder("emoji_fer-admin"))  # mode 0700; a stopped server's goes when the next starts

    def corrections():
        try:
            items, ids = desk.corrections(thumbnails)
        except StoreUnavailable as err:
            raise gr.Error(str(err)) from None
        text = f"The {len(ids)} latest corrections, newest first." if ids else "No corrections yet."
        return items, ids, text

    def select(ids, evt: gr.SelectData):
        return str(ids[evt.index])

    def delete(row_id):
        try:
            message = desk.delete(row_id)
        except (FeedbackError, StoreUnavailable) as err:
            raise gr.Error(str(err)) from None
        items, ids, _ = corrections()  # also removes the deleted face's thumbnail
        return items, ids, message, ""

    with gr.Blocks(title="Emoji the Possibilities: admin") as admin:
        gr.Markdown("# Latest corrections\nFaces users corrected: the crop the model saw (48x48), "
                    "*predicted -> given*, and the row's id. Select one to delete its row from the store.")
        gallery = gr.Gallery(label="Latest corrections", columns=8, height="auto", format="png",
                             object_fit="contain", allow_preview=False)
        # Gradio serves a gallery's files from the component's cache folder: this one's is
        # the private folder (the public app's cache is served to anyone with the URL).
        gallery.GRADIO_CACHE = thumbnails
        ids = gr.State([])
        with gr.Row(equal_height=True):
            # A textbox, not gr.Number, which would show an empty selection as 0.
            selected = gr.Textbox(label="Selected id", placeholder="select a face above, or type its id")
            remove = gr.Button("Delete this row", variant="stop")
            refresh = gr.Button("Refresh")
        status = gr.Markdown()
        gr.on([admin.load, refresh.click], corrections, outputs=[gallery, ids, status], api_name="corrections")
        gallery.select(select, ids, selected, api_name=False)
        remove.click(delete, selected, [gallery, ids, status, selected], api_name="delete")
    admin.thumbnails = thumbnails
    return admin


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
    `max_upload_mb` MB (Gradio's max_file_size and emoji_fer.limits); the admin login is
    rate-limited per client (emoji_fer.limits).
    For a server's memory and speed, process-wide: sessions are LazySessionState, malloc
    is bounded (bound_malloc), Gradio's event analytics are trimmed (GRADIO_ANALYTICS).
    """
    import fastapi
    import uvicorn

    from emoji_fer.limits import RequestLimits

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
        gr.mount_gradio_app(app, admin, path=ADMIN_PATH, auth=_password_check(admin_password),
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


def _password_check(password):
    """Gradio's auth callable: user ADMIN_USER and `password`, compared in constant time."""
    import hmac

    def check(user, given):
        return hmac.compare_digest(user.encode(), ADMIN_USER.encode()) & \
            hmac.compare_digest(given.encode(), password.encode())
    return check


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
