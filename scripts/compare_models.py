"""What two models say about the same faces, face by face (a script, not a test):

    python scripts/compare_models.py [--old emoji_fer_fer2013] [--new emoji_fer] [PHOTO ...]

Every face the detector finds in each photo (default: ../shared/samples/*.jpg) goes
through both models as the product serves them (Predictor: detection, alignment, the
model's TTA and runtime); the detector is the same for both, so the faces are the same.
Prints one Markdown row per face: photo, face number (largest first), box [x, y, w, h]
px, and each model's top-3 with its score in %. For the closing note of a model change:
what users will see differently.
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a clone: emoji_fer may not be installed

from emoji_fer.predictor import Predictor  # noqa: E402

SAMPLES = ROOT.parent / "shared" / "samples"


def top3(face):
    return ", ".join(f"{t['emoji']} {t['label']} {t['score']:.0%}" for t in face["top"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("photos", nargs="*", type=Path, help="photos (default: ../shared/samples/*.jpg)")
    p.add_argument("--old", default="emoji_fer_fer2013", help="a shipped model's name or a model's file")
    p.add_argument("--new", default="emoji_fer", help="a shipped model's name or a model's file")
    args = p.parse_args(argv)
    photos = args.photos or sorted(SAMPLES.glob("*.jpg"))
    if not photos:
        p.error(f"no photos given and none in {SAMPLES}")
    old, new = Predictor(args.old), Predictor(args.new)
    print(f"| photo | face | box | {args.old} | {args.new} | top-1 |")
    print("|---|---:|---|---|---|---|")
    for photo in photos:
        before, after = old.predict(photo)["faces"], new.predict(photo)["faces"]
        if not after:
            print(f"| {photo.name} | – | – | no face | no face | |")
        for number, (a, b) in enumerate(zip(before, after), start=1):
            same = "same" if a["top"][0]["label"] == b["top"][0]["label"] else "changed"
            print(f"| {photo.name} | {number} | {b['box']} | {top3(a)} | {top3(b)} | {same} |")


if __name__ == "__main__":
    main()
