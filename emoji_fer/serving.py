"""What the Gradio demo shows for one image, independent of Gradio itself:
the boxes with their top emoji, the main face's top-3 and the per-face JSON."""

from pathlib import Path

from emoji_fer.images import ImageError, load_rgb


def analyze(predictor, image, top_k=3):
    """Classify one uploaded image for display.

    image: a path (what gr.Image(type="filepath") passes). Returns (annotations, main_top,
    result): annotations = (rgb (H, W, 3) uint8, [((x0, y0, x1, y1), "😄 happy 87 %"), ...])
    for gr.AnnotatedImage; main_top = {"😄 happy": p, ...} top-k of the largest face (empty
    if none) for gr.Label; result = the CLI's per-image dict (faces, whole_image, message).
    Raises ImageError with a user-facing message for unusable images.
    """
    if image is None:
        raise ImageError("no image given: upload a photo or take one with the webcam")
    try:
        rgb, factor = load_rgb(image)
    except ImageError as err:
        # Uploads arrive under a server temp folder: name only the file the user chose.
        raise ImageError(str(err).replace(str(image), Path(str(image)).name)) from None
    result = predictor.predict_rgb(rgb, factor, top_k=top_k)
    boxes = []
    for face in result["faces"]:
        x, y, w, h = (round(v / factor) for v in face["box"])
        best = face["top"][0]
        boxes.append(((x, y, x + w, y + h), f"{best['emoji']} {best['label']} {best['score']:.0%}"))
    main_top = {}
    if result["faces"]:
        main_top = {f"{t['emoji']} {t['label']}": t["score"] for t in result["faces"][0]["top"]}
    return (rgb, boxes), main_top, result


__all__ = ["analyze", "ImageError"]
