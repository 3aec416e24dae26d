"""Draw faces onto video frames and the demo's photos: a box in the expression's colour,
a small emoji face and the label with its probability.

The emoji are drawn with OpenCV shapes rather than an emoji font: none ships with pip
packages, and a server (or a Hugging Face Space) has none installed.
"""

import cv2
import numpy as np

from emoji_fer.timeline import COLORS

_SKIN = {"angry": (235, 90, 60), "disgust": (150, 205, 90), "fear": (175, 205, 245)}  # RGB; default yellow
_YELLOW = (255, 205, 70)
_INK = (40, 30, 20)
# Eyebrows (y of the outer end, y of the inner end, in radii from the centre; up is negative):
# angry frowns towards the nose, sad and fear lift the inner ends, surprise lifts both.
_BROWS = {"angry": (-0.62, -0.36), "sad": (-0.42, -0.6), "fear": (-0.42, -0.62), "surprise": (-0.62, -0.7)}


def _rgb(hex_colour):
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def draw_emoji(rgb, label, center, size):
    """Draw a round emoji face for `label` (a FER-2013 label) in place.
    rgb: (H, W, 3) uint8; center: (x, y) px; size: diameter in px (>= 8)."""
    cx, cy = map(int, center)
    r = size / 2
    th = max(1, int(size / 14))
    p = lambda dx, dy: (int(cx + dx * r), int(cy + dy * r))  # noqa: E731 - offsets in radii
    cv2.circle(rgb, (cx, cy), int(r), _SKIN.get(label, _YELLOW), -1, cv2.LINE_AA)
    cv2.circle(rgb, (cx, cy), int(r), _INK, th, cv2.LINE_AA)
    eye = max(1, int(r * (0.16 if label in ("surprise", "fear") else 0.11)))
    for side in (-1, 1):
        cv2.circle(rgb, p(0.35 * side, -0.2), eye, _INK, -1, cv2.LINE_AA)
        if label in _BROWS:
            outer, inner = _BROWS[label]
            cv2.line(rgb, p(0.6 * side, outer), p(0.15 * side, inner), _INK, th, cv2.LINE_AA)
    axes = lambda ax, ay: (max(1, int(ax * r)), max(1, int(ay * r)))  # noqa: E731
    if label == "happy":
        cv2.ellipse(rgb, p(0, 0.15), axes(0.5, 0.4), 0, 10, 170, _INK, th, cv2.LINE_AA)
    elif label == "sad":
        cv2.ellipse(rgb, p(0, 0.65), axes(0.4, 0.25), 0, 200, 340, _INK, th, cv2.LINE_AA)
        cv2.circle(rgb, p(0.45, 0.1), max(1, int(r * 0.1)), (70, 150, 240), -1, cv2.LINE_AA)  # a tear
    elif label in ("surprise", "fear"):
        cv2.ellipse(rgb, p(0, 0.45), axes(0.18 if label == "surprise" else 0.3, 0.22), 0, 0, 360, _INK, -1, cv2.LINE_AA)
    elif label == "disgust":
        wave = np.array([p(x, 0.45 + (0.08 if i % 2 else -0.08)) for i, x in enumerate(np.linspace(-0.45, 0.45, 6))])
        cv2.polylines(rgb, [wave.astype(np.int32)], False, _INK, th, cv2.LINE_AA)
    elif label == "angry":
        cv2.ellipse(rgb, p(0, 0.65), axes(0.35, 0.18), 0, 200, 340, _INK, th, cv2.LINE_AA)
    else:  # neutral
        cv2.line(rgb, p(-0.35, 0.45), p(0.35, 0.45), _INK, th, cv2.LINE_AA)


def draw_faces(rgb, faces, factor=1.0, numbered=False):
    """Draw every face of a Predictor result onto a copy of the frame.

    rgb: (H, W, 3) uint8; faces: result["faces"] (boxes in original px); factor: original
    size / rgb size; numbered: each label starts with the face's number in `faces`
    ("#0 happy 87%"), the face_index that the demo's feedback takes.
    Returns the annotated (H, W, 3) uint8 copy.
    """
    out = np.ascontiguousarray(rgb).copy()
    height = out.shape[0]
    th = max(2, height // 240)
    for i, face in enumerate(faces):
        x, y, w, h = (int(round(v / factor)) for v in face["box"])
        best = face["top"][0]
        colour = _rgb(COLORS[best["label"]])
        cv2.rectangle(out, (x, y), (x + w, y + h), colour, th, cv2.LINE_AA)
        size = max(16, int(w * 0.35))
        draw_emoji(out, best["label"], (x + w - size // 2, max(size // 2, y - size // 2 - th)), size)
        number = f"#{i} " if numbered else ""
        _label(out, f"{number}{best['label']} {best['score']:.0%}", (x, y + h), w, colour, th)
    return out


def _label(out, text, corner, width, colour, th):
    """White text on a `colour` bar under a box whose bottom-left corner is `corner`
    (x, y px) and whose width is `width` px, in place."""
    font, weight = cv2.FONT_HERSHEY_SIMPLEX, max(1, th // 2)
    scale = max(0.4, out.shape[0] / 720)
    (tw, tht), base = cv2.getTextSize(text, font, scale, weight)
    if tw > width:
        # A small face in a large photo (a group): the label no wider than its box, so
        # the labels of faces side by side do not cover each other's numbers.
        scale = max(0.4, scale * width / tw)
        (tw, tht), base = cv2.getTextSize(text, font, scale, weight)
    x = max(0, min(corner[0], out.shape[1] - tw - 2 * th))  # inside the image
    ty = min(out.shape[0] - base, corner[1] + tht + 2 * th)
    cv2.rectangle(out, (x, ty - tht - th), (x + tw + 2 * th, ty + base), colour, -1)
    cv2.putText(out, text, (x + th, ty), font, scale, (255, 255, 255), weight, cv2.LINE_AA)
