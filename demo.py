"""Emoji the Possibilities: the Gradio demo (also the Hugging Face Space's entry point).

python demo.py [--port 7860] [--share] [--model models/emoji_fer.json]
               [--feedback-db URL | --no-feedback] [--admin-password PASSWORD]
The model loads once at start-up; every request reuses it. Tabs: a photo, the live
webcam timeline, a video file's timeline, Model health. Under a photo or the webcam,
users may confirm or correct the emoji (stored only when they press a button). API:
/predict (photo), /live (one webcam frame of the caller's session), /live_csv,
/live_reset, /video, /feedback. With an admin password, /admin shows the latest
corrections (behind a login); the rest stays public. The Photo tab offers example
photos (examples/), their results cached at start-up.
"""

import argparse
import os
from pathlib import Path

import gradio as gr

from emoji_fer.detect import DEFAULT_DETECTOR, DETECTORS
from emoji_fer.feedback import ENV_VAR as FEEDBACK_DB_ENV
from emoji_fer.images import ImageError
from emoji_fer.live import DEFAULT_RATE
from emoji_fer.serving import (FeedbackDesk, PredictorPool, analyze, live_frame, live_summary, process_folder,
                               public_error, store_files, video_timeline, write_export, write_jpeg)
from emoji_fer.timeline import COLORS
from emoji_fer.ui import (ADMIN_PASSWORD_ENV, ADMIN_PATH, FEEDBACK_CONCURRENCY, FEEDBACK_ERRORS, ImageFile, VideoFile,
                          admin_app, confirm_label, face_picker, feedback_buttons, feedback_reply, health_tab, serve)
from emoji_fer.video import DEFAULT_FPS, VideoError

TITLE = "Emoji the Possibilities: facial expressions as emoji"
DESCRIPTION = ("Upload a photo or use your webcam. Every face gets a box and its most likely expression; "
               "the largest face's top-3 is shown with the share of people the model expects to pick each. "
               "Model: a CNN trained on ten people's votes for each FER-2013 face (FER+). "
               "The other tabs record a timeline of the main face's expressions, live from the webcam or from a video.")
LIVE_SESSIONS = 16  # webcam streams served at once (a stream holds its worker while it runs)
LIVE_TIME_LIMIT = 900  # s of server time per stream (frames cost ~5-60 ms each: an hour or more of webcam)
STATE_TTL = 3600  # s: a session's timeline is freed an hour after its last update (or when the tab closes)
# Sessions Gradio keeps (least recently used dropped first; its default is 10,000). Each
# holds its live timeline (<= 0.5 MB, emoji_fer.live.MAX_ROWS), with feedback on its
# latest sampled webcam frame (0.9 MB at 640x480, for the feedback buttons), and Gradio's
# copies of the latest outputs (a plot of <= 400 points), so this bounds the server's memory.
SESSIONS_KEPT = 1000
# The Photo tab's examples (MIT-licensed photos, see examples/SOURCES.md): one face, then
# groups of 3, 3 and 5 faces (group photos downscaled to 800 px).
EXAMPLE_PHOTOS = [Path(__file__).parent / "examples" / name
                  for name in ("justin.jpg", "sample1.jpg", "sample4.jpg", "sample5.jpg")]
# Predictors (model + face detector) the server keeps: one per CPU core, since a Predictor
# classifies one image at a time and its work runs outside the GIL (serving.PredictorPool).
# 16 clients sending photos (2-core VM, ../shared/samples justin.jpg and sample6.jpg) got
# 11.6 answers/s with Gradio's default of one call at a time, 15 with one Predictor and
# two calls, 19 with two of each; more calls at once gave no more, only more memory.
PREDICTORS = max(1, min(os.cpu_count() or 1, 4))
PHOTO_CONCURRENCY = PREDICTORS  # /predict calls in progress at once (Gradio's default: 1)


def fresh_examples_cache(root=None):
    """Point Gradio's example cache at a new folder of this process's, emoji_fer-examples-PID
    in `root` (default: the temp folder); returns it.

    Gradio caches examples in ./.gradio/cached_examples/<component id>/ and reuses a folder
    it finds there without checking what made it, so a changed model or a re-numbered
    component would show stale or wrong results; caching the four photos anew adds well
    under a second to start-up. The folders of processes that are gone are removed
    (serving.process_folder).
    """
    folder = process_folder("emoji_fer-examples", root)
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(folder)
    return folder


def timeline_plot(label):
    return gr.LinePlot(x="time_s", y="probability", color="expression", color_map=COLORS, y_lim=[0, 1],
                       x_title="time (s)", y_title="probability", label=label)


def plot_data(timeline, smoothing):
    # None, not an empty DataFrame, clears the plot: after an empty DataFrame, Gradio 6.31's
    # LinePlot draws nothing for the data that follows.
    if timeline is None or not timeline.summary()["with_face"]:
        return None
    return timeline.plot_frame(smoothing)


def build_demo(predictor, desk=None, admin=False):
    """The public demo. predictor: a Predictor or a serving.PredictorPool; desk: a
    FeedbackDesk (None or desk.enabled False: no feedback UI at all); admin: whether the
    admin app is served (the Model health tab says so)."""
    feedback = desk is not None and desk.enabled

    def predict(image):
        try:
            shown, top, result = analyze(predictor, image)
        except ImageError as err:
            raise gr.Error(str(err)) from None
        # Into Gradio's own cache folder: served from there without another copy, and
        # removed by delete_cache like the uploads.
        return write_jpeg(shown, annotated.GRADIO_CACHE), top, result

    def live(frame, rate, smoothing, session):
        try:
            # With feedback on, the session keeps its latest sampled frame for the buttons.
            session, update = live_frame(predictor, session, frame, rate, keep_frame=feedback and desk.on)
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

    def video(video_file, fps, annotate, smoothing, progress=gr.Progress()):
        def report(t, duration):
            progress(min(t / duration, 1.0) if duration else None, desc=f"{t:.1f} s of {duration:.1f} s")

        try:
            timeline, summary, csv_path, annotated = video_timeline(predictor, video_file, fps, annotate, report)
        except VideoError as err:
            raise gr.Error(str(err)) from None
        return plot_data(timeline, smoothing), summary, csv_path, annotated, timeline

    # Gradio's session_hash: random per browser tab (or gradio_client session), nothing
    # that identifies a person; it only tells which rows came from the same visit.
    def photo_handler(label):  # label None: confirm the top emoji shown
        def handler(image, face, shown, request: gr.Request):
            face = 0 if face is None else face  # no prediction yet: the main face
            return feedback_reply(desk.submit_image, image, face, label, request.session_hash, "photo", shown)
        return handler

    def webcam_handler(label):
        def handler(session, face, request: gr.Request):
            face = 0 if face is None else face  # an emptied number box: the main face
            return feedback_reply(desk.submit_webcam, session, face, label, request.session_hash)
        return handler

    def api_feedback(image, face_index, label, request: gr.Request):
        try:
            return desk.submit_image(image, face_index, label, request.session_hash, "api")
        except FEEDBACK_ERRORS as err:
            raise gr.Error(public_error(err)) from None

    # delete_cache: uploads older than an hour are removed hourly, so disk use stays bounded.
    with gr.Blocks(title="Emoji the Possibilities", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        with gr.Tab("Photo"):
            with gr.Row():
                with gr.Column():
                    image = ImageFile(sources=["upload", "webcam"], type="filepath", label="Photo")
                    button = gr.Button("Find expressions", variant="primary")
                with gr.Column():
                    # The boxes and emoji are drawn into the photo (serving.annotate), sent as
                    # one JPEG at most DISPLAY_SIDE px long: a gr.AnnotatedImage sent the photo
                    # at full size and a full-size mask image per face.
                    annotated = gr.Image(label="Faces", type="filepath", interactive=False)
                    top3 = gr.Label(num_top_classes=3, label="Main face: top-3")
                    faces = gr.JSON(label="All faces (box [x, y, w, h], scores, top-3)", render=False)
                    if feedback and desk.on:
                        face = gr.Dropdown([], label="Face (the number on its box; 0 = the largest)", render=False)
                        confirm = feedback_buttons(face, photo_handler, [image, face, faces])
                    elif feedback:
                        gr.Markdown(f"**Feedback is off**: {desk.off_reason}")
            # Cached when the server starts (into a fresh folder, see main): one click shows the
            # result at once. preload=False: the page still opens empty.
            examples = gr.Examples([[str(path)] for path in EXAMPLE_PHOTOS], inputs=image,
                                   outputs=[annotated, top3, faces], fn=predict, cache_examples=True, preload=False,
                                   label="Examples (photos under the MIT licence, see examples/SOURCES.md)")
            faces.render()
            # One photo per Predictor at once (one concurrency group for the button and
            # uploads): each runs on its own core, decoding, detecting, drawing, encoding.
            photo_io = dict(inputs=image, outputs=[annotated, top3, faces], concurrency_id="photo",
                            concurrency_limit=PHOTO_CONCURRENCY)
            predicted = [button.click(predict, **photo_io, api_name="predict"),
                         image.upload(predict, **photo_io, api_name=False)]
            if feedback and desk.on:
                # The picker lists the faces just found (not part of /predict's outputs).
                for event in [*predicted, examples.cache_event]:
                    event.then(face_picker, faces, [face, confirm], api_name=False, show_progress="hidden")
                face.input(confirm_label, [faces, face], confirm, api_name=False, show_progress="hidden")

        with gr.Tab("Live webcam"):
            session = gr.State(None, time_to_live=STATE_TTL)
            with gr.Row():
                with gr.Column(scale=2):
                    # Stream frames arrive as JPEG data URLs: ImageFile hands over their bytes,
                    # decoded in memory by the guarded decoder (none is written to disk).
                    webcam = ImageFile(sources=["webcam"], streaming=True, label="Webcam")
                    rate = gr.Slider(0.5, 4, DEFAULT_RATE, step=0.5, label="Samples per second")
                    live_smoothing = gr.Slider(0, 10, 0, step=0.5, label="Smoothing: half-life in s (0 = off)")
                    with gr.Row():
                        reset = gr.Button("Reset")
                        export = gr.Button("Download CSV")
                    live_file = gr.File(label="Session CSV", height=120)
                with gr.Column(scale=3):
                    now = gr.Label(num_top_classes=3, label="Now: top-3")
                    live_plot = timeline_plot("Expression timeline")
                    live_text = gr.Markdown(live_summary(None))
                    if feedback and desk.on:
                        # No precision: Gradio would round 0.4 to face 0; the store checks it is whole.
                        live_face = gr.Number(0, minimum=0, render=False,
                                              label="Face (0 = the largest) in the latest sample, shown in Now")
                        feedback_buttons(live_face, webcam_handler, [session, live_face])
                    elif feedback:
                        gr.Markdown(f"**Feedback is off**: {desk.off_reason}")
            live_io = dict(inputs=[webcam, rate, live_smoothing, session], outputs=[now, live_plot, live_text, session],
                           concurrency_id="live", concurrency_limit=LIVE_SESSIONS, show_progress="hidden")
            # stream_every 0.25 s lets the rate go up to 4 Hz; the rate itself is applied
            # server-side by LiveSession (faster frames are answered, not classified again).
            webcam.stream(live, **live_io, stream_every=0.25, time_limit=LIVE_TIME_LIMIT,
                          api_name="live_stream", api_visibility="private")
            # gradio_client cannot follow a stream event (it does not know the
            # "process_streaming" message), so API clients send frames one call at a time to
            # the same function, session state and concurrency group through this twin.
            gr.Button(visible=False).click(live, **live_io, api_name="live")
            live_smoothing.change(lambda s, sess: plot_data(sess and sess.timeline, s), [live_smoothing, session],
                                  live_plot, api_name=False, show_progress="hidden")
            reset.click(live_reset, inputs=session, outputs=[session, now, live_plot, live_text, live_file],
                        api_name="live_reset")
            export.click(live_csv, inputs=session, outputs=live_file, api_name="live_csv")

        with gr.Tab("Video file"):
            video_state = gr.State(None, time_to_live=STATE_TTL)
            with gr.Row():
                with gr.Column(scale=2):
                    video_in = VideoFile(sources=["upload"], label="Video (MP4, WebM or MOV)")
                    fps = gr.Slider(0.5, 10, DEFAULT_FPS, step=0.5, label="Samples per second")
                    video_smoothing = gr.Slider(0, 10, 0, step=0.5, label="Smoothing: half-life in s (0 = off)")
                    annotate = gr.Checkbox(False, label="Also make a copy with boxes and emoji (slower)")
                    analyse = gr.Button("Analyse video", variant="primary")
                with gr.Column(scale=3):
                    video_plot = timeline_plot("Expression timeline")
                    video_text = gr.Markdown()
                    video_file = gr.File(label="Timeline CSV", height=120)
                    with gr.Accordion("Annotated copy", open=False):
                        video_out = gr.Video(label="Annotated copy", interactive=False)
            analyse.click(video, inputs=[video_in, fps, annotate, video_smoothing],
                          outputs=[video_plot, video_text, video_file, video_out, video_state], api_name="video")
            video_smoothing.change(plot_data, [video_state, video_smoothing], video_plot, api_name=False,
                                   show_progress="hidden")

        if feedback and desk.on:
            health_tab(desk, admin_served=admin)
        # After the tabs: components between two gr.Tab would split them into two tab rows.
        if feedback:
            # /feedback for API users: the photo, the face number, the label. The server
            # classifies the photo again and stores its own result (emoji_fer.feedback.submit).
            api_inputs = [ImageFile(type="filepath", visible=False), gr.Number(0, visible=False),
                          gr.Textbox(visible=False)]
            gr.Button(visible=False).click(api_feedback, api_inputs, gr.JSON(visible=False), api_name="feedback",
                                           concurrency_id="feedback", concurrency_limit=FEEDBACK_CONCURRENCY)
    return demo


def main():
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--share", action="store_true", help="also serve on a public gradio.live link")
    parser.add_argument("--model", help="a model's .json, .tflite or .keras file, the others beside it "
                                           "(default: the shipped model)")
    parser.add_argument("--detector", default=DEFAULT_DETECTOR, choices=DETECTORS,
                        help=f"face detector (default: {DEFAULT_DETECTOR})")
    parser.add_argument("--feedback-db", metavar="URL",
                        help=f"the feedback store's SQLAlchemy URL (default: ${FEEDBACK_DB_ENV}, else a SQLite file "
                             "in the user's data folder)")
    parser.add_argument("--no-feedback", action="store_true",
                        help="no feedback buttons, no /feedback endpoint, no Model health tab")
    parser.add_argument("--admin-password", default=os.environ.get(ADMIN_PASSWORD_ENV),
                        help=f"serve the corrections gallery at {ADMIN_PATH} behind this password, user admin "
                             f"(default: ${ADMIN_PASSWORD_ENV}, which keeps it out of the process list; "
                             "none: not served)")
    args = parser.parse_args()
    fresh_examples_cache()
    predictor = PredictorPool.load(PREDICTORS, args.model, detector=args.detector)
    # A store that cannot be opened leaves feedback off (the page says why); the demo runs.
    desk = FeedbackDesk(predictor, args.feedback_db, enabled=not args.no_feedback)
    if desk.enabled and not desk.on:
        print(f"* Feedback is off: {desk.off_detail}", flush=True)
        if args.admin_password:
            print(f"* {ADMIN_PATH} is not served: it shows the feedback store", flush=True)
    admin = admin_app(desk) if desk.on and args.admin_password else None
    serve(build_demo(predictor, desk, admin=admin is not None), args.host, args.port, admin=admin,
          admin_password=args.admin_password, share=args.share, blocked_paths=store_files(desk.url),
          state_session_capacity=SESSIONS_KEPT)


if __name__ == "__main__":
    main()
