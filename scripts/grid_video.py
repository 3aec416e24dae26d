"""A video that shows several faces at once, as a video call's grid does: woman2.mp4 in one
tile, justin.jpg and the largest face of sample photos in the others (../shared/samples,
MIT-licensed). Built at test or benchmark time into a temporary folder, never committed.

    python scripts/grid_video.py OUT.webm [--cols 3 --rows 2 --seconds 10]

VP8 in WebM (OpenCV's FFmpeg writer, as emoji_fer/video.py's annotated copies): a codec
every Chromium decodes, Debian's included (which has no H.264 encoder in OpenCV here).
The video itself is written by tests/support/grid_video.py, which the tests and
scripts/bench_web.py use too; this is its command line.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: tests.support and emoji_fer live there

from tests.support.grid_video import FPS, TILE, write_grid_video  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--cols", type=int, default=3)
    parser.add_argument("--rows", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--frame", help="the whole frame's size, e.g. 1280x720 (default: 320x240 tiles)")
    args = parser.parse_args()
    size = TILE
    if args.frame:
        width, height = (int(v) for v in args.frame.lower().split("x"))
        size = (width // args.cols, height // args.rows)
    tiles = write_grid_video(args.out, cols=args.cols, rows=args.rows, seconds=args.seconds, size=size)
    print(f"{args.out}: {len(tiles)} tiles of {size[0]}x{size[1]} px, {args.seconds:g} s at {FPS} frames/s")


if __name__ == "__main__":
    main()
