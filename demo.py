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

This file only wires the pieces: each tab is built by emoji_fer.app (one module per
tab), served by emoji_fer.app.server (docs/architecture.md).
"""

import argparse
import os
from pathlib import Path

import gradio as gr

from emoji_fer.app.admin import ADMIN_PASSWORD_ENV, ADMIN_PATH, admin_app
from emoji_fer.app.desk import FeedbackDesk, store_files
from emoji_fer.app.feedback_panel import feedback_api
from emoji_fer.app.files import process_folder
from emoji_fer.app.health_tab import health_tab
from emoji_fer.app.live_tab import live_tab
from emoji_fer.app.photo_tab import photo_tab
from emoji_fer.app.pool import PredictorPool
from emoji_fer.app.server import serve
from emoji_fer.app.video_tab import video_tab
from emoji_fer.detect import DEFAULT_DETECTOR, DETECTORS
from emoji_fer.feedback import ENV_VAR as FEEDBACK_DB_ENV

TITLE = "Emoji the Possibilities: facial expressions as emoji"
DESCRIPTION = ("Upload a photo or use your webcam. Every face gets a box and its most likely expression; "
               "the largest face's top-3 is shown with the share of people the model expects to pick each. "
               "Model: a CNN trained on ten people's votes for each FER-2013 face (FER+). "
               "The other tabs record a timeline of the main face's expressions, live from the webcam or from a video.")
# Sessions Gradio keeps (least recently used dropped first; its default is 10,000). Each
# holds its live timeline (bounded by emoji_fer.live.MAX_ROWS), with feedback on its
# latest sampled webcam frame (for the feedback buttons), and Gradio's copies of the
# latest outputs (a plot of at most emoji_fer.timeline.PLOT_POINTS points), so this
# bounds the server's memory (docs/security.md adds it up).
SESSIONS_KEPT = 1000
# The Photo tab's examples (MIT-licensed photos, see examples/SOURCES.md): one face, then
# groups of 3, 3 and 5 faces (group photos downscaled to 800 px).
EXAMPLE_PHOTOS = [Path(__file__).parent / "examples" / name
                  for name in ("justin.jpg", "sample1.jpg", "sample4.jpg", "sample5.jpg")]
# Predictors (model + face detector) the server keeps: one per CPU core, since a Predictor
# classifies one image at a time and its work runs outside the GIL (emoji_fer.app.pool).
# As many photos run at once as there are Predictors: more gave no more answers per
# second, only more memory (docs/benchmarks.md, the demo under load).
PREDICTORS = max(1, min(os.cpu_count() or 1, 4))
PHOTO_CONCURRENCY = PREDICTORS  # /predict calls in progress at once (Gradio's default: 1)


def fresh_examples_cache(root=None):
    """Point Gradio's example cache at a new folder of this process's, emoji_fer-examples-PID
    in `root` (default: the temp folder); returns it.

    Gradio caches examples in ./.gradio/cached_examples/<component id>/ and reuses a folder
    it finds there without checking what made it, so a changed model or a re-numbered
    component would show stale or wrong results; caching the four photos anew costs only
    their four predictions at start-up. The folders of processes that are gone are removed
    (emoji_fer.app.files.process_folder).
    """
    folder = process_folder("emoji_fer-examples", root)
    os.environ["GRADIO_EXAMPLES_CACHE"] = str(folder)
    return folder


def build_demo(predictor, desk=None, admin=False):
    """The public demo. predictor: a Predictor or an emoji_fer.app.pool.PredictorPool;
    desk: a FeedbackDesk (None or desk.enabled False: no feedback UI at all); admin:
    whether the admin app is served (the Model health tab says so)."""
    feedback = desk if desk is not None and desk.enabled else None
    # delete_cache: uploads older than an hour are removed hourly, so disk use stays bounded.
    with gr.Blocks(title="Emoji the Possibilities", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        photo_tab(predictor, feedback, EXAMPLE_PHOTOS, PHOTO_CONCURRENCY)
        live_tab(predictor, feedback)
        video_tab(predictor)
        if feedback is not None and feedback.on:
            health_tab(feedback, admin_served=admin)
        # After the tabs: components between two gr.Tab would split them into two tab rows.
        if feedback is not None:
            feedback_api(feedback)
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
