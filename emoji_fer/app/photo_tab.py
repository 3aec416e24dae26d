"""The Photo tab: every face of a photo with its box and top emoji drawn in, the main
face's top-3, the per-face JSON (/predict), and the feedback panel under it."""

import hashlib
import os
import threading
from pathlib import Path

import cv2
import gradio as gr

from emoji_fer.app.feedback_panel import confirm_label, face_picker, feedback_panel, feedback_reply
from emoji_fer.app.files import ImageFile
from emoji_fer.app.limits import load_image
from emoji_fer.draw import draw_faces
from emoji_fer.images import ImageError


# px: the longest side of the photo the demo sends back. The Photo tab shows it in half
# the page's width (about 600 CSS px, 1200 device px on a HiDPI screen), so more would
# only cost encoding time and bandwidth; the boxes in the JSON stay in original pixels.
DISPLAY_SIDE = 1024
# The JPEG quality of that photo (libjpeg's scale, 0-100): small and quick to encode at
# DISPLAY_SIDE, and the drawn lines and labels stay clean (sizes and times in
# docs/benchmarks.md).
JPEG_QUALITY = 80


def analyze(predictor, image, top_k=3):
    """Classify one uploaded image for display.

    image: a path (what gr.Image(type="filepath") passes). Returns (annotated, main_top,
    result): annotated = the photo as shown, (h, w, 3) uint8 RGB with max(h, w) <=
    DISPLAY_SIDE, every face's box, emoji and top label drawn (see annotate); main_top =
    {"😄 happy": p, ...} top-k of the largest face (empty if none) for gr.Label; result =
    the CLI's per-image dict (faces, whole_image, message).
    Raises ImageError with a user-facing message for unusable images.
    """
    if image is None:
        raise ImageError("no image given: upload a photo or take one with the webcam")
    rgb, factor = load_image(image)
    result = predictor.predict_rgb(rgb, factor, top_k=top_k)
    return annotate(rgb, result["faces"], factor), main_top(result), result


def annotate(rgb, faces, factor=1.0, max_side=DISPLAY_SIDE):
    """The photo as the demo shows it: downscaled to at most `max_side` px on its longest
    side, each face's box in its expression's colour with a drawn emoji and its top label
    (emoji_fer.draw.draw_faces).

    rgb: (H, W, 3) uint8 as decoded; faces: result["faces"] (boxes in original px);
    factor: original size / rgb size. Returns a new (h, w, 3) uint8 array.
    With several faces each label starts with the face's number ("#1 sad 64%"): the
    face_index of the feedback buttons and of /feedback (0 = the largest, as in the JSON).
    """
    small = _downscale(rgb, max_side)
    factor *= max(rgb.shape[:2]) / max(small.shape[:2])
    return draw_faces(small, faces, factor, numbered=len(faces) > 1)


def _downscale(rgb, max_side):
    """rgb with its longest side at most max_side px (the array itself if it is already).
    Halved with a Gaussian pyramid step (blur, then every other pixel) while at least
    twice too large, then bilinear, which aliases little at ratios under 2: several times
    faster than OpenCV's area averaging at these ratios (docs/benchmarks.md)."""
    while max(rgb.shape[:2]) >= 2 * max_side:
        rgb = cv2.pyrDown(rgb)
    height, width = rgb.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)


def write_jpeg(rgb, folder, quality=JPEG_QUALITY):
    """Encode an (H, W, 3) uint8 RGB image as a JPEG file in `folder`, named by the
    SHA-256 of its bytes (the same picture is written once); returns its path (str).

    The demo passes Gradio's cache folder: a file already there is served as it is
    (neither copied nor encoded again), and `delete_cache` removes it with the uploads
    once nobody has asked for that picture for its age limit.
    """
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a {rgb.shape} image as JPEG")
    data = data.tobytes()
    path = Path(folder) / f"{hashlib.sha256(data).hexdigest()}.jpg"
    try:
        # Already there: touched, as Gradio does with its own cached files, since
        # delete_cache goes by a file's age and this is a new reference to it.
        os.utime(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name, then renamed: a concurrent request for the
        # same picture never sees half a file.
        partial = path.with_name(f".{path.name}.{threading.get_ident()}")
        partial.write_bytes(data)
        os.replace(partial, path)
    return str(path)


def main_top(result):
    """{"😄 happy": p, ...}: the top-k of the largest face, or {} with no face."""
    if not result["faces"]:
        return {}
    return {f"{t['emoji']} {t['label']}": t["score"] for t in result["faces"][0]["top"]}


def photo_tab(predictor, desk=None, examples=(), concurrency=1):
    """The Photo tab, built inside the demo's gr.Blocks.

    predictor: a Predictor or PredictorPool; desk: a FeedbackDesk, or None for no feedback
    panel; examples: photo paths offered as gr.Examples, their results cached when the
    server starts; concurrency: photos classified at once (one per Predictor of the pool).
    API: /predict (a photo -> the annotated JPEG, the main face's top-3, the per-face JSON).
    """
    def predict(image):
        try:
            shown, top, result = analyze(predictor, image)
        except ImageError as err:
            raise gr.Error(str(err)) from None
        # Into Gradio's own cache folder: served from there without another copy, and
        # removed by delete_cache like the uploads.
        return write_jpeg(shown, annotated.GRADIO_CACHE), top, result

    # Gradio's session_hash: random per browser tab (or gradio_client session), nothing
    # that identifies a person; it only tells which rows came from the same visit.
    def feedback_handler(label):  # label None: confirm the top emoji shown
        def handler(image, face, shown, request: gr.Request):
            face = 0 if face is None else face  # no prediction yet: the main face
            return feedback_reply(desk.submit_image, image, face, label, request.session_hash, "photo", shown)
        return handler

    with gr.Tab("Photo"):
        with gr.Row():
            with gr.Column():
                image = ImageFile(sources=["upload", "webcam"], type="filepath", label="Photo")
                button = gr.Button("Find expressions", variant="primary")
            with gr.Column():
                # The boxes and emoji are drawn into the photo (annotate), sent as one JPEG
                # at most DISPLAY_SIDE px long: a gr.AnnotatedImage would send the photo at
                # full size and a full-size mask image per face.
                annotated = gr.Image(label="Faces", type="filepath", interactive=False)
                top3 = gr.Label(num_top_classes=3, label="Main face: top-3")
                faces = gr.JSON(label="All faces (box [x, y, w, h], scores, top-3)", render=False)
                face = gr.Dropdown([], label="Face (the number on its box; 0 = the largest)", render=False)
                confirm = feedback_panel(desk, face, feedback_handler, [image, face, faces])
        # Cached when the server starts: one click shows the result at once.
        # preload=False: the page still opens empty.
        cached = gr.Examples([[str(path)] for path in examples], inputs=image, outputs=[annotated, top3, faces],
                             fn=predict, cache_examples=True, preload=False,
                             label="Examples (photos under the MIT licence, see examples/SOURCES.md)")
        faces.render()
        # One concurrency group for the button and uploads: each photo runs on its own
        # Predictor, decoding, detecting, drawing, encoding.
        photo_io = dict(inputs=image, outputs=[annotated, top3, faces], concurrency_id="photo",
                        concurrency_limit=concurrency)
        predicted = [button.click(predict, **photo_io, api_name="predict"),
                     image.upload(predict, **photo_io, api_name=False)]
        if confirm is not None:
            # The picker lists the faces just found (not part of /predict's outputs).
            for event in [*predicted, cached.cache_event]:
                event.then(face_picker, faces, [face, confirm], api_name=False, show_progress="hidden")
            face.input(confirm_label, [faces, face], confirm, api_name=False, show_progress="hidden")
