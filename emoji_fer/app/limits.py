"""What any client may send the demo's server: the sizes and budgets (docs/security.md
says how they were chosen), the guarded decoding of a client's image, and the request
limits enforced before Gradio sees a request.

Every image a client sends is decoded by `load_image`: emoji_fer.images' guarded
decoder within the server-wide DECODES budget, its errors naming only the file's name.

`RequestLimits` is an ASGI middleware (no Gradio, no FastAPI: the ASGI protocol alone)
in front of the whole app, so that every route is covered, the ones Gradio adds in later versions too:

- a request body of at most `max_body` bytes (uploads, and frames sent inline as data
  URLs in a JSON body): 413 at once when Content-Length says more, and 413 when a body
  sent without it grows past the limit;
- `/file=<URL>` refused (403): Gradio would fetch any public URL and stream it back on
  a stranger's behalf; the demo never serves a file from elsewhere;
- a login rate limit on `login_path`: a client (its IP address) that gets
  `LOGIN_FAILURES` answers of "wrong password" within `LOGIN_WINDOW_S` is answered 429,
  without its password being checked, until the oldest of those failures is that old.

docs/security.md lists the limits and the tests that hold them.
"""

import collections
import threading
import time
from pathlib import Path

from emoji_fer.images import DecodeBudget, ImageError, load_rgb

# The demo's limits for what a client may send (docs/security.md says how they were chosen):
# the largest file one upload (or one request body) may hold, and the resident memory the
# server must stay within while its concurrent requests all decode the largest image allowed.
MAX_UPLOAD_MB = 100
MEMORY_BUDGET_MB = 2048
# Of which the images being decoded at once may take this much (emoji_fer.images'
# DecodeBudget): the costliest image allowed (a WebP of MAX_PIXELS) is decoded alone,
# while webcam frames and photos decode side by side.
DECODE_BUDGET_MB = 800
DECODES = DecodeBudget(DECODE_BUDGET_MB * 2**20)
VIDEO_MAX_S = 3600  # s: longer videos are refused by the demo (the CLI has no limit)


def load_image(image):
    """Decode a client's image (a path or bytes) within the server's decode budget."""
    try:
        return load_rgb(image, budget=DECODES)
    except ImageError as err:
        raise _named(err, image) from None


def _named(err, image):
    """The ImageError naming only the file the user chose: uploads arrive under a server
    temp folder, whose path is not the user's business."""
    if not isinstance(image, (str, Path)):
        return err
    return ImageError(str(err).replace(str(image), Path(str(image)).name))


LOGIN_FAILURES = 5  # wrong passwords a client may send within LOGIN_WINDOW_S
LOGIN_WINDOW_S = 300
LOGIN_CLIENTS_KEPT = 10_000  # clients whose failures are remembered (oldest forgotten first)


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was being read."""


class LoginLimiter:
    """Failed logins per client within a sliding window (thread-safe)."""

    def __init__(self, failures=LOGIN_FAILURES, window_s=LOGIN_WINDOW_S, clock=time.monotonic):
        self.failures, self.window_s, self.clock = failures, window_s, clock
        self._seen = collections.OrderedDict()  # client -> deque of failure times
        self._lock = threading.Lock()

    def retry_after(self, client):
        """Seconds until `client` may try again (0: now)."""
        with self._lock:
            times = self._recent(client)
            if len(times) < self.failures:
                return 0
            return max(1, int(times[0] + self.window_s - self.clock()) + 1)

    def failed(self, client):
        with self._lock:
            self._recent(client).append(self.clock())
            self._seen.move_to_end(client)
            while len(self._seen) > LOGIN_CLIENTS_KEPT:
                self._seen.popitem(last=False)

    def _recent(self, client):
        times = self._seen.setdefault(client, collections.deque())
        while times and times[0] <= self.clock() - self.window_s:
            times.popleft()
        return times


class RequestLimits:
    """ASGI middleware: `app` behind the body limit, the URL-file refusal and the login
    rate limit described in the module's docstring.

    max_body: bytes; login_path: the path of the login form (e.g. "/admin/login"), or
    None; limiter: a LoginLimiter (default: a new one).
    """

    def __init__(self, app, max_body, login_path=None, limiter=None):
        self.app, self.max_body = app, max_body
        self.login_paths = {login_path, login_path + "/"} if login_path else set()
        self.limiter = limiter or LoginLimiter()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope.get("path", "")
        if "/file=http:" in path or "/file=https:" in path:
            return await _answer(send, 403, "files from other servers are not served")
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return await _answer(send, 413, f"request body over {self.max_body // 2**20} MB")
        if path in self.login_paths and scope.get("method") == "POST":
            return await self._login(scope, receive, send)
        return await self._limited(scope, receive, send)

    async def _limited(self, scope, receive, send):
        received, started = 0, False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, f"request body over {self.max_body // 2**20} MB")

    async def _login(self, scope, receive, send):
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.limiter.retry_after(client)
        if wait:
            return await _answer(send, 429, "too many wrong passwords: try again later",
                                 [(b"retry-after", str(wait).encode())])
        status = None

        async def watching_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self._limited(scope, receive, watching_send)
        if status is not None and 400 <= status < 500:  # Gradio answers a wrong password with 400
            self.limiter.failed(client)


async def _answer(send, status, text, headers=()):
    body = f'{{"detail": "{text}"}}'.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *headers]})
    await send({"type": "http.response.body", "body": body})
