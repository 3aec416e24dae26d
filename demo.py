"""Emoji the Possibilities: the Gradio demo (also the Hugging Face Space's entry point).

python demo.py [--port 7860] [--share] [--model models/emoji_fer.keras]
The model loads once at start-up; every request reuses it.
"""

import argparse
import os

import gradio as gr

from emoji_fer.detect import DETECTORS
from emoji_fer.images import ImageError
from emoji_fer.predictor import Predictor
from emoji_fer.serving import analyze
from emoji_fer.ui import ImageFile

TITLE = "Emoji the Possibilities: facial expressions as emoji"
DESCRIPTION = ("Upload a photo or use your webcam. Every face gets a box and its most likely expression; "
               "the largest face's top-3 is shown with the model's confidence. Model: a CNN trained on FER-2013.")


def build_demo(predictor):
    def predict(image):
        try:
            return analyze(predictor, image)
        except ImageError as err:
            raise gr.Error(str(err)) from None

    # delete_cache: uploads older than an hour are removed hourly, so disk use stays bounded.
    with gr.Blocks(title="Emoji the Possibilities", delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# {TITLE}\n{DESCRIPTION}")
        with gr.Row():
            with gr.Column():
                image = ImageFile(sources=["upload", "webcam"], type="filepath", label="Photo")
                button = gr.Button("Find expressions", variant="primary")
            with gr.Column():
                annotated = gr.AnnotatedImage(label="Faces")
                top3 = gr.Label(num_top_classes=3, label="Main face: top-3")
        faces = gr.JSON(label="All faces (box [x, y, w, h], scores, top-3)")
        button.click(predict, inputs=image, outputs=[annotated, top3, faces], api_name="predict")
        image.upload(predict, inputs=image, outputs=[annotated, top3, faces], api_name=False)
    return demo


def main():
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"))
    parser.add_argument("--share", action="store_true", help="also serve on a public gradio.live link")
    parser.add_argument("--model", help="a .keras model with its .json beside it (default: the shipped model)")
    parser.add_argument("--detector", default="hog", choices=DETECTORS, help="face detector (default: hog)")
    args = parser.parse_args()
    predictor = Predictor(args.model, detector=args.detector).warm_up()
    build_demo(predictor).queue().launch(server_name=args.host, server_port=args.port, share=args.share)


if __name__ == "__main__":
    main()
