"""Files between a client and the demo: the inputs that take only files the client itself
uploaded (never a server path or a URL), and the folders where the server writes what it
sends back (exports, per-process folders), kept bounded on disk."""

import base64
import binascii
import os
import shutil
import tempfile
import time
from pathlib import Path

import gradio as gr
from gradio.exceptions import InvalidPathError
from gradio_client import utils as client_utils

from emoji_fer.images import ImageError


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


EXPORT_MAX_AGE_S = 900  # s: our copies of exported files; Gradio serves its own cached copy


def process_folder(prefix, root=None):
    """A new, empty folder `<prefix>-<PID>` of this process's in `root` (default: the temp
    folder), readable by this user only (mode 0700); returns its Path.

    The folders `<prefix>-<PID>` of processes that are gone are removed first: uvicorn
    ends a stopped server by raising its signal again, so exit handlers never run, and
    what a server kept there (face thumbnails among it) must not outlive it for long.
    """
    root = Path(root or tempfile.gettempdir())
    for old in root.glob(f"{prefix}-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    folder = root / f"{prefix}-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)  # left by an earlier process with this PID
    folder.mkdir(mode=0o700, parents=True)
    return folder


def _running(pid):
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


_EXPORT_ROOT = None


def export_dir():
    """A new folder for one request's files, under one temp folder per server process.

    Gradio copies returned files into its own cache (which `delete_cache` empties), so our
    originals are only needed for a moment: folders older than EXPORT_MAX_AGE_S are
    removed here, keeping disk use bounded.
    """
    global _EXPORT_ROOT
    if _EXPORT_ROOT is None or not _EXPORT_ROOT.is_dir():
        _EXPORT_ROOT = Path(tempfile.mkdtemp(prefix="emoji_fer-exports-"))
    now = time.time()
    for old in _EXPORT_ROOT.iterdir():
        try:
            if now - old.stat().st_mtime > EXPORT_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:  # removed by a concurrent request
            pass
    return Path(tempfile.mkdtemp(dir=_EXPORT_ROOT))


def write_export(timeline, name):
    """Write a timeline's CSV into a fresh export folder; returns its path (str)."""
    path = export_dir() / name
    timeline.write_csv(path)
    return str(path)
