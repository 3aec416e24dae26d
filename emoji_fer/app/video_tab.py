"""The Video file tab: the expression timeline of an uploaded video (/video), its summary,
CSV and, on request, a copy with boxes and emoji."""

from pathlib import Path

import gradio as gr

from emoji_fer.app.files import VideoFile, export_dir
from emoji_fer.app.limits import VIDEO_MAX_S
from emoji_fer.app.timelines import STATE_TTL, plot_data, timeline_plot
from emoji_fer.timeline import summary_text
from emoji_fer.video import DEFAULT_FPS, VideoError, analyze_video, probe


def video_timeline(predictor, path, fps, annotate=False, progress=None):
    """Analyze an uploaded video for the demo.

    path: the upload's file path; fps: samples per second (Hz); annotate: also write an
    annotated WebM copy; progress(t, duration) in s. Returns (timeline, summary markdown,
    csv path, annotated path or None). Raises VideoError with the file's name (never the
    server's temp path) for missing, non-video, undecodable, frameless or too long videos.
    """
    if path is None:
        raise VideoError("no video given: upload an MP4, WebM or MOV file")
    name = Path(path).name
    try:
        info = probe(path)
        if info.duration_s > VIDEO_MAX_S:
            raise VideoError(f"{name}: {info.duration_s / 60:.0f} min is longer than the demo's limit of "
                             f"{VIDEO_MAX_S // 60} min; use the command `emoji-fer video` instead")
        folder = export_dir()
        annotated = folder / f"{Path(name).stem}-emoji.webm" if annotate else None
        timeline = analyze_video(predictor, path, fps, progress, annotated)
    except VideoError as err:
        raise VideoError(str(err).replace(str(path), name)) from None
    csv_path = folder / f"{Path(name).stem}-timeline.csv"
    timeline.write_csv(csv_path)
    summary = summary_text(timeline.summary(), markdown=True)
    return timeline, summary, str(csv_path), str(annotated) if annotated else None


def video_tab(predictor):
    """The Video file tab, built inside the demo's gr.Blocks. predictor: a Predictor or
    PredictorPool. API: /video (a video, samples per second, annotate?, smoothing -> the
    plot's data, summary, CSV path, annotated copy's path, the timeline)."""
    def video(video_file, fps, annotate, smoothing, progress=gr.Progress()):
        def report(t, duration):
            progress(min(t / duration, 1.0) if duration else None, desc=f"{t:.1f} s of {duration:.1f} s")

        try:
            timeline, summary, csv_path, annotated = video_timeline(predictor, video_file, fps, annotate, report)
        except VideoError as err:
            raise gr.Error(str(err)) from None
        return plot_data(timeline, smoothing), summary, csv_path, annotated, timeline

    with gr.Tab("Video file"):
        state = gr.State(None, time_to_live=STATE_TTL)
        with gr.Row():
            with gr.Column(scale=2):
                video_in = VideoFile(sources=["upload"], label="Video (MP4, WebM or MOV)")
                fps = gr.Slider(0.5, 10, DEFAULT_FPS, step=0.5, label="Samples per second")
                smoothing = gr.Slider(0, 10, 0, step=0.5, label="Smoothing: half-life in s (0 = off)")
                annotate = gr.Checkbox(False, label="Also make a copy with boxes and emoji (slower)")
                analyze = gr.Button("Analyze video", variant="primary")
            with gr.Column(scale=3):
                plot = timeline_plot("Expression timeline")
                summary = gr.Markdown()
                csv_file = gr.File(label="Timeline CSV", height=120)
                with gr.Accordion("Annotated copy", open=False):
                    video_out = gr.Video(label="Annotated copy", interactive=False)
        analyze.click(video, inputs=[video_in, fps, annotate, smoothing],
                      outputs=[plot, summary, csv_file, video_out, state], api_name="video")
        smoothing.change(plot_data, [state, smoothing], plot, api_name=False, show_progress="hidden")
