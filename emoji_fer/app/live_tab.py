"""The Live webcam tab: the expression timeline of a webcam stream, sampled at a rate the
user sets, with its summary, CSV and the feedback panel for the latest sample."""

import gradio as gr

from emoji_fer.app.feedback_panel import feedback_panel, feedback_reply
from emoji_fer.app.files import ImageFile, write_export
from emoji_fer.app.limits import load_image
from emoji_fer.app.photo_tab import main_top
from emoji_fer.app.timelines import STATE_TTL, plot_data, timeline_plot
from emoji_fer.images import ImageError
from emoji_fer.live import DEFAULT_RATE, LiveSession
from emoji_fer.timeline import summary_text


class FeedbackLiveSession(LiveSession):
    """A LiveSession that can also keep its latest sampled frame (decoded RGB, as the
    model saw it) and that frame's result, so that the Live tab's feedback buttons
    confirm or correct what the viewer was just shown. In memory only, one frame per
    session (0.9 MB at 640x480): a new sample replaces it, Reset drops it."""

    def reset(self):
        super().reset()
        self.frame = None
        self.result = None


def live_frame(predictor, session, image, rate, keep_frame=False):
    """One webcam frame of a live session.

    session: a LiveSession or None (a new FeedbackLiveSession is made); image: a frame as
    a file path or an (H, W, 3) uint8 RGB array (what the streaming gr.Image(type="numpy")
    sends); rate: samples per second (Hz); keep_frame: keep each sampled frame and its
    result in the session (for feedback). Returns (session, update): update is None when
    the frame came before the next sample was due (the display stays as it is), else a
    dict {"top": {"😄 happy": p, ...} or "no face", "summary": markdown text} for the
    sample just taken. Raises ImageError for an unusable frame.
    """
    session = session or FeedbackLiveSession()
    if image is None or not session.due(rate):
        return session, None
    rgb, factor = load_image(image)
    result = predictor.predict_rgb(rgb, factor)
    session.record(result, rate)
    if keep_frame:
        session.frame, session.result = rgb, result
    return session, {"top": main_top(result) or "no face", "summary": live_summary(session)}


def live_summary(session):
    """Markdown summary of a live session (or a prompt when it has no samples)."""
    if session is None or not len(session.timeline):
        return "Start the webcam to record your expression timeline."
    text = summary_text(session.timeline.summary(), markdown=True)
    if session.timeline.dropped:
        text += f"\n\n(the oldest {session.timeline.dropped} samples were dropped: a session keeps the latest " \
                f"{session.timeline.max_rows})"
    return text


LIVE_SESSIONS = 16  # webcam streams served at once (a stream holds its worker while it runs)
LIVE_TIME_LIMIT = 900  # s of server time per stream: at the demo's frame costs, an hour or more of webcam


def live_tab(predictor, desk=None):
    """The Live webcam tab, built inside the demo's gr.Blocks. predictor: a Predictor or
    PredictorPool; desk: a FeedbackDesk, or None for no feedback panel.
    API: /live (one frame of the caller's session), /live_reset, /live_csv."""
    keep_frames = desk is not None and desk.on  # the feedback buttons need the latest sample

    def live(frame, rate, smoothing, session):
        try:
            session, update = live_frame(predictor, session, frame, rate, keep_frame=keep_frames)
        except ImageError as err:
            raise gr.Error(str(err)) from None
        if update is None:  # before the next sample is due: leave the display as it is
            return gr.skip(), gr.skip(), gr.skip(), session
        return update["top"], plot_data(session.timeline, smoothing), update["summary"], session

    def live_reset(session):
        if session is not None:
            session.reset()
        return session, None, None, live_summary(None), None

    def live_csv(session):
        if session is None or not len(session.timeline):
            raise gr.Error("no samples yet: start the webcam first")
        return write_export(session.timeline, "webcam-timeline.csv")

    def feedback_handler(label):
        def handler(session, face, request: gr.Request):
            face = 0 if face is None else face  # an emptied number box: the main face
            return feedback_reply(desk.submit_webcam, session, face, label, request.session_hash)
        return handler

    with gr.Tab("Live webcam"):
        session = gr.State(None, time_to_live=STATE_TTL)
        with gr.Row():
            with gr.Column(scale=2):
                # Stream frames arrive as JPEG data URLs: ImageFile hands over their bytes,
                # decoded in memory by the guarded decoder (none is written to disk).
                webcam = ImageFile(sources=["webcam"], streaming=True, label="Webcam")
                rate = gr.Slider(0.5, 4, DEFAULT_RATE, step=0.5, label="Samples per second")
                smoothing = gr.Slider(0, 10, 0, step=0.5, label="Smoothing: half-life in s (0 = off)")
                with gr.Row():
                    reset = gr.Button("Reset")
                    export = gr.Button("Download CSV")
                csv_file = gr.File(label="Session CSV", height=120)
            with gr.Column(scale=3):
                now = gr.Label(num_top_classes=3, label="Now: top-3")
                plot = timeline_plot("Expression timeline")
                summary = gr.Markdown(live_summary(None))
                # No precision: Gradio would round 0.4 to face 0; the store checks it is whole.
                face = gr.Number(0, minimum=0, render=False,
                                 label="Face (0 = the largest) in the latest sample, shown in Now")
                feedback_panel(desk, face, feedback_handler, [session, face])
        live_io = dict(inputs=[webcam, rate, smoothing, session], outputs=[now, plot, summary, session],
                       concurrency_id="live", concurrency_limit=LIVE_SESSIONS, show_progress="hidden")
        # stream_every 0.25 s lets the rate go up to 4 Hz; the rate itself is applied
        # server-side by LiveSession (faster frames are answered, not classified again).
        webcam.stream(live, **live_io, stream_every=0.25, time_limit=LIVE_TIME_LIMIT,
                      api_name="live_stream", api_visibility="private")
        # gradio_client cannot follow a stream event (it does not know the
        # "process_streaming" message), so API clients send frames one call at a time to
        # the same function, session state and concurrency group through this twin.
        gr.Button(visible=False).click(live, **live_io, api_name="live")
        smoothing.change(lambda s, sess: plot_data(sess and sess.timeline, s), [smoothing, session], plot,
                         api_name=False, show_progress="hidden")
        reset.click(live_reset, inputs=session, outputs=[session, now, plot, summary, csv_file], api_name="live_reset")
        export.click(live_csv, inputs=session, outputs=csv_file, api_name="live_csv")
