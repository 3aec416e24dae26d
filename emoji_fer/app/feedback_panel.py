"""The feedback panel under a photo or the webcam (confirm the emoji, or pick the right
one) and the /feedback API endpoint, in Gradio; what they store is emoji_fer.app.desk's."""

import gradio as gr

from emoji_fer.app.desk import WHAT_IS_STORED, face_choices, feedback_message, public_error, top_label
from emoji_fer.app.files import ImageFile
from emoji_fer.feedback import FeedbackError, StoreUnavailable
from emoji_fer.images import ImageError
from emoji_fer.labels import EMOJI, LABELS


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


def feedback_panel(desk, face, make_handler, inputs):
    """Where a tab offers feedback: the panel (feedback_buttons) when the store is open,
    one line saying why feedback is off when the store could not be opened, nothing when
    the demo runs without feedback (desk None). Returns the confirm button, or None."""
    if desk is None:
        return None
    if not desk.on:
        gr.Markdown(f"**Feedback is off**: {desk.off_reason}")
        return None
    return feedback_buttons(face, make_handler, inputs)


def feedback_api(desk):
    """/feedback for API users: the photo, the face number, the label (hidden components;
    the same concurrency group as the buttons). The server classifies the photo again and
    stores its own result (emoji_fer.feedback.submit)."""
    def api_feedback(image, face_index, label, request: gr.Request):
        try:
            return desk.submit_image(image, face_index, label, request.session_hash, "api")
        except FEEDBACK_ERRORS as err:
            raise gr.Error(public_error(err)) from None

    inputs = [ImageFile(type="filepath", visible=False), gr.Number(0, visible=False), gr.Textbox(visible=False)]
    gr.Button(visible=False).click(api_feedback, inputs, gr.JSON(visible=False), api_name="feedback",
                                   concurrency_id="feedback", concurrency_limit=FEEDBACK_CONCURRENCY)
