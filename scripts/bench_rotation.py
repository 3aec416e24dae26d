"""Rotated-faces benchmark (issue 32, item 3; a script, not a test):
python scripts/bench_rotation.py [--n 1200] [--mtcnn-n 350] [--detectors blazeface hog mtcnn]
                                 [--align] [--no-samples | --samples-only] [--json]

FER-2013 PrivateTest faces, each placed into a larger canvas and rotated in-plane, run
through the project's own pieces: the Predictor's detector (`detect_faces`), its crop
(`emoji_fer.preprocessing.crop_face`, the model's margin) and its classifier
(`predict_faces`: the model's TTA and runtime). Per detector and angle it reports

- found: the share of faces found. A face counts as found when some detected box has
  its centre inside the rotated face square (the 160 px square the 48x48 crop was
  upscaled to, rotated with the canvas). The box centre, not IoU, decides, because
  detectors disagree on box size (HOG's box is the inner face, smaller than a FER-2013
  crop; MTCNN's is taller) while the centre of a real hit always lies on the face.
  The mean IoU of the matched box with the rotated square's axis-aligned bounding box
  is reported next to it, and `extra`, the detections whose centre lies outside it.
  Of the boxes on the face, the largest is the face (as in the Predictor's order).
- acc all: accuracy over all faces, a missed face counting as wrong.
- acc found: accuracy over the faces found.
- both without alignment (the crop of the detected box, eyes ignored) and, with
  --align, with alignment ("aligned": the same detection's crop rotated so that its
  detected eyes are level, `crop_face(..., eyes=...)`, which is what
  `Predictor.predict` classifies for a detector that gives eyes). Same detections,
  so the two differ by the alignment alone. HOG gives no eyes: no aligned figures
  (the Predictor classifies its plain crop).
- tilt error: the median absolute difference in degrees between the tilt of the
  detected eye line and the canvas's angle, i.e. how far from level the aligned crop's
  eyes are left, up to the faces' own tilt in FER-2013 (a few degrees).

and detector-free references: "no detection", the classifier on each 48x48 crop
rotated in place (same angle, about the crop's centre, black corners), which is what
the issue's 73.3 / 71.8 / 64.8 / 56.0 % figures (0, 10, 20, 30 degrees) measure; with
--align also "rotated back", the canvas cropped at the face's true place and rotated
back by the known angle through the same `crop_face(..., eyes=...)`: alignment with
a perfect detector, the upper bound of the aligned columns.

The canvas (`make_canvas`): the 48x48 face upscaled (bilinear) to FACE_PX = 160 px, a
size at which every detector here can find a face (HOG needs ~80 px; 160 px is a
typical face in a 640x480 webcam frame or a portrait photo), in the centre of a
CANVAS_PX = 400 px square. The rest of the canvas continues the crop's border pixels
(BORDER_REPLICATE) rather than mirroring them: a mirrored border would add mirrored
faces (reflect padding of a face crop is a row of faces), and a flat grey border would
add a hard square edge around the face that rotates with it and that no real photo
has. The rotation is about the face centre (= the canvas centre), with replicated
borders again so that no black corners enter the canvas.

The subset (`stratified_subset`): --n faces drawn per class in proportion to
PrivateTest's class counts (largest remainders), by a seeded permutation
(--seed 0), so every run sees the same faces; --n 0 takes all 3,589.
MTCNN costs ~0.1-0.2 s per canvas, so by default it runs on the first --mtcnn-n 350
faces of the same subset, in class-interleaved order (all 18 disgust faces of the
1,200 and about 55 of each other class); its table says n, and the output has the
no-detection reference on those same faces.

Also: faces found by each detector in ../shared/samples/*.jpg, and the median warm
time of `Predictor.predict` per photo (file decoding, detection, alignment when the
detector gives eyes, classification). Time it alone (--samples-only under
`flock /tmp/cpu.lock`); the accuracy part needs no lock.
"""

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a clone without installing

from emoji_fer.detect import DETECTORS, eyes_of
from emoji_fer.labels import LABELS
from emoji_fer.preprocessing import crop_face, eye_line, scale, to_gray

SHARED = ROOT.parent / "shared"
ANGLES = (0, 10, -10, 20, -20, 30, -30)  # degrees, counter-clockwise positive (as cv2.getRotationMatrix2D)
FACE_PX = 160  # px: side of the upscaled 48x48 crop in the canvas
CANVAS_PX = 400  # px: side of the square canvas
MAX_ANGLE = 90  # degrees: beyond this a "face region" test by rotated square still works, but the question changes


def stratified_subset(labels, n, seed=0):
    """Indices (sorted ascending, int64) of n faces drawn per class in proportion to the
    class counts of `labels` ((N,) ints in 0..6), largest remainders first; within a
    class the first ones of a seeded permutation. n = 0 or n >= N: all indices.
    Raises ValueError for n < 0."""
    labels = np.asarray(labels)
    if n < 0:
        raise ValueError(f"n must be >= 0 (0 = all faces), got {n}")
    if n == 0 or n >= len(labels):
        return np.arange(len(labels))
    counts = np.bincount(labels, minlength=len(LABELS))
    quota = counts * n / counts.sum()
    take = np.floor(quota).astype(int)
    for c in np.argsort(-(quota - take), kind="stable")[: n - take.sum()]:
        take[c] += 1
    rng = np.random.default_rng(seed)
    return np.sort(np.concatenate([rng.permutation(np.flatnonzero(labels == c))[: take[c]]
                                   for c in range(len(counts))]))


def check_angle(angle):
    if not -MAX_ANGLE <= angle <= MAX_ANGLE:
        raise ValueError(f"angle must be within +-{MAX_ANGLE} degrees, got {angle}")


def make_canvas(face, angle, face_px=FACE_PX, canvas_px=CANVAS_PX):
    """One FER-2013 face placed into a canvas and rotated about the face centre.

    face: (48, 48) uint8 grayscale. angle: degrees, counter-clockwise positive.
    Returns (rgb, region): rgb (canvas_px, canvas_px, 3) uint8 (gray in all three
    channels, as the Predictor takes photos); region (4, 2) float32, the corners of
    the rotated face square in pixel-edge coordinates (x, y; the pixel (0, 0) covers
    [0, 1) x [0, 1)), the face's ground truth. Raises ValueError for a face that is not
    a 2-D uint8 array, a face_px < 48 or a canvas that cannot hold the rotated face.
    """
    face = np.asarray(face)
    if face.ndim != 2 or face.dtype != np.uint8:
        raise ValueError(f"face must be a 2-D uint8 array, got {face.dtype} {face.shape}")
    check_angle(angle)
    if face_px < face.shape[0]:
        raise ValueError(f"face_px ({face_px}) must be at least the crop's {face.shape[0]} px")
    if canvas_px < face_px * np.sqrt(2):  # the rotated square's diagonal must fit
        raise ValueError(f"canvas_px ({canvas_px}) must be >= face_px * sqrt(2) = {face_px * np.sqrt(2):.0f}")
    big = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_LINEAR)
    pad = canvas_px - face_px
    before = pad // 2
    canvas = cv2.copyMakeBorder(big, before, pad - before, before, pad - before, cv2.BORDER_REPLICATE)
    centre = before + face_px / 2  # pixel-edge coordinates of the face centre
    # cv2 maps pixel centres: the same physical point is (centre - 0.5) in its coordinates.
    m = cv2.getRotationMatrix2D((centre - 0.5, centre - 0.5), angle, 1.0)
    rotated = cv2.warpAffine(canvas, m, (canvas_px, canvas_px), flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_REPLICATE) if angle else canvas
    corners = np.array([[before, before], [before + face_px, before], [before + face_px, before + face_px],
                        [before, before + face_px]], np.float64)
    m_edge = cv2.getRotationMatrix2D((centre, centre), angle, 1.0)
    region = (corners @ m_edge[:, :2].T + m_edge[:, 2]).astype(np.float32)
    return np.repeat(rotated[..., None], 3, axis=2), region


def rotate_crop(face, angle):
    """The 48x48 crop rotated in place about its centre (no canvas, no detection): the
    issue's reference. face: (48, 48) uint8. Returns (48, 48) uint8; the corners that
    leave the crop are black (BORDER_CONSTANT 0), and angle 0 returns the crop unchanged."""
    face = np.asarray(face)
    if face.ndim != 2 or face.dtype != np.uint8:
        raise ValueError(f"face must be a 2-D uint8 array, got {face.dtype} {face.shape}")
    check_angle(angle)
    if angle == 0:
        return face.copy()
    side = face.shape[0]
    m = cv2.getRotationMatrix2D(((side - 1) / 2, (side - 1) / 2), angle, 1.0)
    return cv2.warpAffine(face, m, (side, side), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def box_in_region(box, region):
    """True when the centre of box [x, y, w, h] (pixels) lies inside the polygon region
    ((4, 2) float32, pixel-edge coordinates) or on its edge."""
    x, y, w, h = box
    return cv2.pointPolygonTest(region.reshape(-1, 1, 2), (x + w / 2, y + h / 2), False) >= 0


def iou_aabb(box, region):
    """IoU (0..1) of box [x, y, w, h] with the axis-aligned bounding box of region."""
    x0, y0 = region.min(0)
    x1, y1 = region.max(0)
    bx0, by0, bx1, by1 = box[0], box[1], box[0] + box[2], box[1] + box[3]
    inter = max(0.0, min(x1, bx1) - max(x0, bx0)) * max(0.0, min(y1, by1) - max(y0, by0))
    union = (x1 - x0) * (y1 - y0) + box[2] * box[3] - inter
    return float(inter / union) if union > 0 else 0.0


def no_detection(predictor, images, labels, angles):
    """{angle: accuracy} of the classifier on each crop rotated in place.
    images: (N, 48, 48) uint8; labels: (N,) ints. Batched through predict_faces."""
    out = {}
    for angle in angles:
        faces = np.stack([rotate_crop(face, angle) for face in images])
        out[angle] = float((predictor.predict_faces(scale(faces[..., None])).argmax(1) == labels).mean())
    return out


def tilt(face):
    """The eye line's tilt in degrees, counter-clockwise positive as the canvas angles
    (0 = level), of a detected face, or None when it has no eyes. Measured with the
    library's own `eye_line`, the angle that `align_face` undoes."""
    eyes = eyes_of(face)
    if eyes is None:
        return None
    cos, sin = eye_line(*eyes)
    return -math.degrees(math.atan2(sin, cos))  # image y points down: CCW on screen is -y


def run_detector(predictor, images, labels, angles, align=False):
    """Detect -> crop -> classify each face's canvas at each angle with `predictor`
    (a Predictor with a detector). images: (N, 48, 48) uint8; labels (N,) ints.

    Each canvas is detected once; the largest box whose centre lies on the face is the
    face (boxes come largest first). Its crop is classified without alignment
    (`crop_face(gray, box)`, the eyes ignored) and, with align=True, with alignment
    (`crop_face(gray, box, eyes=...)`: rotated so that the detected eyes are level, as
    `Predictor.predict` does for a detector that gives eyes): same detections, so the
    two accuracies differ only by the alignment. A detector without eyes (HOG, Haar)
    has no aligned figures (None): the Predictor classifies its plain crop.

    Returns {angle: {"n", "found", "acc_all", "acc_found", "aligned_all", "aligned",
    "iou", "extra", "tilt_err"}}: found, acc_* (all = a missed face counts as wrong,
    found = over the found faces), aligned_* likewise with alignment, iou (mean over
    found) as fractions; extra: detections off the face, in total; tilt_err: median
    absolute difference in degrees between the measured eye-line tilt and the canvas's
    angle (None without eyes). Raises ValueError for no faces.
    """
    if len(images) == 0:
        raise ValueError("no faces to run (n = 0 after the subset)")
    prep = predictor.preprocessing
    out = {}
    for angle in angles:
        extra = 0
        ious, plain, aligned, hit_labels, tilt_errs = [], [], [], [], []
        for face, label in zip(images, labels):
            rgb, region = make_canvas(face, angle)
            faces = predictor.detector.detect_faces(rgb)
            hits = [f for f in faces if box_in_region(f["box"], region)]
            extra += len(faces) - len(hits)
            if not hits:
                continue
            hit = hits[0]
            gray = to_gray(rgb)  # as the Predictor converts (the canvas is gray: exactly its pixels)
            ious.append(iou_aabb(hit["box"], region))
            hit_labels.append(label)
            plain.append(crop_face(gray, hit["box"], prep))
            measured = tilt(hit)
            if measured is not None:
                tilt_errs.append(abs(measured - angle))
            if align:
                aligned.append(crop_face(gray, hit["box"], prep, eyes=eyes_of(hit)))
        n, found = len(images), len(plain)
        hit_labels = np.asarray(hit_labels, np.int64)

        def correct(crops):
            return int((predictor.predict_faces(np.stack(crops)).argmax(1) == hit_labels).sum()) if crops else 0

        right = correct(plain)
        with_eyes = align and bool(tilt_errs)
        right_aligned = correct(aligned) if with_eyes else None
        out[angle] = {"n": n, "found": found / n, "acc_all": right / n,
                      "acc_found": right / found if found else None,
                      "aligned_all": right_aligned / n if with_eyes else None,
                      "aligned": right_aligned / found if with_eyes and found else None,
                      "iou": float(np.mean(ious)) if ious else None, "extra": extra,
                      "tilt_err": float(np.median(tilt_errs)) if tilt_errs else None}
    return out


# The face's own box in the canvas for `rotated_back`: ORACLE_BOX_PX widened by the
# model's 0.15 margin on each side is 124 + 2 * 19 = 162 px, the 160 px face square and
# one replicated pixel around it (no box size widens to exactly 160).
ORACLE_BOX_PX = 124


def rotated_back(predictor, images, labels, angles):
    """{angle: accuracy} of the classifier on each face's canvas cropped at the face's
    true place and rotated back by the known angle with the library's `crop_face(...,
    eyes=...)` (eyes placed 40 px apart on the rotated eye line): alignment with a
    perfect detector and perfect eyes, the upper bound of detect -> align -> classify.
    What it loses against the upright crop is the resampling (canvas 160 px, rotation,
    48 px). images: (N, 48, 48) uint8; labels: (N,) ints. Batched per angle."""
    prep = predictor.preprocessing
    centre = CANVAS_PX / 2
    box = [round(centre - ORACLE_BOX_PX / 2)] * 2 + [ORACLE_BOX_PX] * 2
    out = {}
    for angle in angles:
        rad = math.radians(angle)
        dx, dy = 20 * math.cos(rad), -20 * math.sin(rad)  # CCW on screen, image y down
        eyes = ((centre - dx, centre - dy), (centre + dx, centre + dy))
        crops = np.stack([crop_face(to_gray(make_canvas(face, angle)[0]), box, prep, eyes=eyes) for face in images])
        out[angle] = float((predictor.predict_faces(crops).argmax(1) == labels).mean())
    return out


def samples_rows(predictor, samples_dir, runs):
    """[{"photo", "size", "faces", "ms"}] for every samples_dir/*.jpg: faces found by the
    predictor's detector and the median warm `predict` time in ms (decoding included)."""
    from PIL import Image

    rows = []
    for path in sorted(Path(samples_dir).glob("*.jpg")):
        predictor.predict(path)  # warm-up: the detector's first call builds its graph
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            faces = predictor.predict(path)["faces"]
            times.append((time.perf_counter() - start) * 1000)
        width, height = Image.open(path).size
        rows.append({"photo": path.name, "size": f"{width}x{height}", "faces": len(faces),
                     "ms": statistics.median(times)})
    return rows


def pct(x):
    return "-" if x is None else f"{x:.1%}"


def print_tables(result):
    angles = result["angles"]
    if angles:
        print(f"FER-2013 PrivateTest, n = {result['n']} (stratified, seed {result['seed']}); "
              f"face {FACE_PX} px in a {CANVAS_PX}x{CANVAS_PX} canvas, rotated about its centre\n")
        back = result.get("rotated_back")
        print("| angle | no detection (crop rotated in place) |" + (" no detection, rotated back |" if back else ""))
        print("|---:|---:|" + ("---:|" if back else ""))
        for a in angles:
            print(f"| {(f'{a:+d}°' if a else '0°')} | {pct(result['no_detection'][str(a)])} |"
                  + (f" {pct(back[str(a)])} |" if back else ""))
        print()
        print("| detector | angle | found | acc all | acc all, aligned | acc found | acc found, aligned "
              "| eye tilt error (median °) | mean IoU | off-face detections |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for d, per in result["detectors"].items():
            for a in angles:
                r = per["angles"][str(a)]
                cells = [d, (f"{a:+d}°" if a else "0°"), pct(r["found"]), pct(r["acc_all"]), pct(r["aligned_all"]),
                         pct(r["acc_found"]), pct(r["aligned"]),
                         "-" if r["tilt_err"] is None else f"{r['tilt_err']:.1f}",
                         "-" if r["iou"] is None else f"{r['iou']:.2f}", str(r["extra"])]
                print("| " + " | ".join(cells) + " |")
        print()
        for d, per in result["detectors"].items():
            line = f"{d}: n = {per['n']}, {per['seconds']:.0f} s"
            if "no_detection_same_faces" in per:
                line += ("; no detection on the same faces: "
                         + ", ".join(f"{a:+d}° {pct(per['no_detection_same_faces'][str(a)])}" for a in angles))
            print(line)
    if result["samples"]:
        names = [r["photo"] for r in next(iter(result["samples"].values()))]
        print("\n| detector | " + " | ".join(n.removesuffix(".jpg") for n in names) + " | median ms per photo |")
        print("|---|" + "---:|" * (len(names) + 1))
        for d, rows in result["samples"].items():
            print(f"| {d} | " + " | ".join(str(r["faces"]) for r in rows)
                  + f" | {statistics.median(r['ms'] for r in rows):.0f} |")
        print()
        for d, rows in result["samples"].items():
            print(f"{d} ms per photo: " + ", ".join(f"{r['photo']} ({r['size']}) {r['ms']:.0f}" for r in rows))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1200, help="faces (stratified subset); 0 = all 3,589")
    parser.add_argument("--mtcnn-n", type=int, default=350,
                        help="faces for MTCNN (the first of the same subset; 0 = as --n): it is ~10x HOG's time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--angles", type=int, nargs="+", default=list(ANGLES), help="degrees, CCW positive")
    parser.add_argument("--detectors", nargs="+", default=["blazeface", "hog"], help=f"any of {', '.join(DETECTORS)}")
    parser.add_argument("--align", action="store_true",
                        help="also classify each found face's crop aligned on its detected eyes (same detections), "
                             "and the no-detection crop rotated back by the known angle")
    parser.add_argument("--data-dir", type=Path, default=SHARED / "fer2013")
    parser.add_argument("--samples", type=Path, default=SHARED / "samples")
    parser.add_argument("--runs", type=int, default=5, help="timed predict calls per sample photo")
    parser.add_argument("--no-samples", action="store_true")
    parser.add_argument("--samples-only", action="store_true",
                        help="only the sample photos (faces and times; run it under flock /tmp/cpu.lock)")
    parser.add_argument("--model")
    parser.add_argument("--json", action="store_true", help="print the result as JSON instead of tables")
    args = parser.parse_args(argv)
    for d in args.detectors:
        if d not in DETECTORS:
            parser.error(f"unknown detector {d!r}; choose from {', '.join(DETECTORS)}")
    for a in args.angles:
        if not -MAX_ANGLE <= a <= MAX_ANGLE:
            parser.error(f"angle {a} outside +-{MAX_ANGLE} degrees")
    if args.n < 0 or args.mtcnn_n < 0:
        parser.error("--n and --mtcnn-n must be >= 0 (0 = all)")
    if args.runs < 1:
        parser.error("--runs must be >= 1")
    if args.samples_only and args.no_samples:
        parser.error("--samples-only and --no-samples exclude each other")
    return args


def subset_order(labels, n, seed):
    """Subset indices in a class-interleaved order, so that any prefix (MTCNN's --mtcnn-n)
    is itself close to stratified: the stratified subset, then round-robin over classes."""
    chosen = stratified_subset(labels, n, seed)
    per_class = [list(chosen[labels[chosen] == c]) for c in range(len(LABELS))]
    order = []
    while any(per_class):
        for queue in per_class:
            if queue:
                order.append(queue.pop(0))
    return np.array(order, dtype=np.int64)


def main(argv=None):
    args = parse_args(argv)
    from emoji_fer.fer2013 import load_fer2013
    from emoji_fer.predictor import Predictor

    reference = Predictor(args.model, detector=None)
    result = {"n": 0, "seed": args.seed, "angles": [], "face_px": FACE_PX, "canvas_px": CANVAS_PX,
              "runtime": reference.runtime, "tta": reference.tta, "align": args.align,
              "no_detection": {}, "detectors": {}, "samples": {}}
    if not args.samples_only:
        images, labels = load_fer2013(args.data_dir, splits=("PrivateTest",))["PrivateTest"]
        order = subset_order(labels, args.n, args.seed)
        images, labels = images[order], labels[order]
        angles = list(dict.fromkeys(args.angles))
        result.update(n=len(order), angles=angles, no_detection={
            str(a): v for a, v in no_detection(reference, images, labels, angles).items()})
        if args.align:
            result["rotated_back"] = {str(a): v for a, v in rotated_back(reference, images, labels, angles).items()}
    for d in args.detectors:
        predictor = Predictor(args.model, detector=d)
        if not args.samples_only:
            n = len(order) if d != "mtcnn" or args.mtcnn_n == 0 else min(args.mtcnn_n, len(order))
            start = time.perf_counter()
            per = run_detector(predictor, images[:n], labels[:n], angles, align=args.align)
            result["detectors"][d] = {"n": n, "seconds": time.perf_counter() - start,
                                      "angles": {str(a): v for a, v in per.items()}}
            if n < len(order):
                result["detectors"][d]["no_detection_same_faces"] = {
                    str(a): v for a, v in no_detection(reference, images[:n], labels[:n], angles).items()}
        if not args.no_samples:
            result["samples"][d] = samples_rows(predictor, args.samples, args.runs)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_tables(result)
    return result


if __name__ == "__main__":
    main()
