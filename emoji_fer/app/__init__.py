"""The app room: the Gradio demo (demo.py wires these pieces; the Hugging Face Space runs
it). Everything that imports Gradio is here, behind the `[demo]` extra.

One module per tab, each with what it computes first and its Gradio builder last:
- `photo_tab`: a photo's faces drawn with their emoji, the top-3 and the JSON (/predict);
- `live_tab`: the webcam's expression timeline (/live, /live_reset, /live_csv);
- `video_tab`: a video file's timeline (/video);
- `health_tab`: the Model health tab, from the feedback store.
What they share:
- `feedback_panel`: confirm or correct an emoji, and /feedback; `desk`: the demo's side
  of the feedback store (emoji_fer.feedback), without Gradio;
- `timelines`: the timeline plot of the webcam and video tabs;
- `files`: inputs that take only the client's own uploads, and the server's export folders;
- `limits`: what a client may send (sizes, the decode budget, the request middleware);
- `pool`: several Predictors of one model, one per core;
- `admin`: the corrections gallery behind a login; `server`: serving it all with uvicorn.

The core library (emoji_fer's top-level modules) never imports this package
(tests/test_architecture.py holds the rule); docs/architecture.md draws the rooms.
"""

# Fail early, with the remedy, when the [demo] extra is missing.
try:
    import gradio
except ImportError as err:  # pragma: no cover
    raise ImportError("emoji_fer.app is the Gradio demo: pip install 'emoji-fer[demo]'") from err
del gradio
