"""Gradio building blocks of the demo (the wiring itself is in demo.py)."""

import gradio as gr


class ImageFile(gr.Image):
    """A gr.Image (upload + webcam, same frontend) that hands the handler the uploaded
    file's path untouched.

    gr.Image decodes uploads itself before the handler runs, so a corrupt file fails
    there with a generic processing error; passing the path lets emoji_fer.images give
    the clear message instead. `is_template` is Gradio's own mechanism for components
    that reuse a parent's frontend (as gr.Webcam-style templates do).
    """

    is_template = True

    def preprocess(self, payload):
        return None if payload is None else payload.path
