"""A video that shows several faces at once, as a video call's grid does: woman2.mp4 in one
tile, justin.jpg and the largest face of sample photos in the others (../shared/samples,
MIT-licensed). Built at test or benchmark time into a temporary folder, never committed;
scripts/grid_video.py writes one from the command line.

VP8 in WebM (OpenCV's FFmpeg writer, as emoji_fer/video.py's annotated copies): a codec
every Chromium decodes, Debian's included (which has no H.264 encoder in OpenCV here).
"""

from tests.support.camera import video_frames
from tests.support.data import ROOT

SAMPLES = ROOT.parent / "shared" / "samples"
TILE = (320, 240)  # px, 4:3 like a call's tiles
FPS = 15
PHOTOS = ("justin.jpg", "sample2.jpg", "sample3.jpg", "sample4.jpg", "sample5.jpg")


def tile_rect(box, width, height, margin, aspect=4 / 3):
    """The rectangle [x0, y0, x1, y1] of the given aspect (width / height) around a face box
    [x, y, w, h] with `margin` face widths on each side, shrunk to fit a width x height photo."""
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    half_w = min((1 + 2 * margin) * w / 2, cx, width - cx, min(cy, height - cy) * aspect)
    half_h = half_w / aspect
    return [int(cx - half_w), int(cy - half_h), int(cx + half_w), int(cy + half_h)]


def photo_tiles(samples=SAMPLES, names=PHOTOS, size=TILE, margin=0.6):
    """One tile per photo: its largest face (dlib HOG, emoji_fer.detect) whose tile holds no
    other face's centre (one person per tile, as in a call), with `margin` around it."""
    import cv2

    from emoji_fer.detect import FaceDetector

    detector = FaceDetector("hog")
    tiles = []
    for name in names:
        bgr = cv2.imread(str(samples / name))
        boxes = detector.detect(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        height, width = bgr.shape[:2]
        for box in boxes:
            x0, y0, x1, y1 = tile_rect(box, width, height, margin, size[0] / size[1])
            others = [b for b in boxes if b is not box]
            if not any(x0 <= bx + bw / 2 <= x1 and y0 <= by + bh / 2 <= y1 for bx, by, bw, bh in others):
                tiles.append(cv2.resize(bgr[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA))
                break
        else:
            raise RuntimeError(f"no face of {name} has a tile to itself")
    return tiles


def write_grid_video(out, samples=SAMPLES, cols=3, rows=2, seconds=10.0, fps=FPS, size=TILE):
    """Write a cols x rows grid video to `out` (.webm, VP8): tile 0 plays woman2.mp4 (looped),
    the others hold the photos' faces (beyond 6 tiles the six repeat, as in a large
    gallery). Returns the tiles' rectangles [x, y, w, h] in px, in grid order (row by
    row), for tests to check boxes against."""
    import cv2
    import numpy as np

    n = cols * rows
    stills = photo_tiles(samples, PHOTOS[:n - 1], size)
    every = max(1, round(29.97 / fps))  # woman2.mp4's 29.97 frames/s to about `fps`
    moving = [cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
              for _, bgr in video_frames(samples / "woman2.mp4", every=every)]
    tw, th = size
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"VP80"), fps, (cols * tw, rows * th))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write VP8 WebM to {out}")
    try:
        for i in range(round(seconds * fps)):
            grid = np.zeros((rows * th, cols * tw, 3), np.uint8)
            tiles = [moving[i % len(moving)], *stills]
            for k in range(n):
                tile = tiles[k % len(tiles)]
                r, c = divmod(k, cols)
                grid[r * th:(r + 1) * th, c * tw:(c + 1) * tw] = tile
            writer.write(grid)
    finally:
        writer.release()
    return [[(k % cols) * tw, (k // cols) * th, tw, th] for k in range(n)]
