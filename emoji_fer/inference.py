"""One compiled classification function for a Keras model, shared by the Predictor,
evaluation and training's final report, so every figure comes from the same code path.

Test-time augmentation (TTA) averages the probabilities of several views of each face,
as most FER-2013 results do (e.g. 10-crop testing in WuJie1010's VGG19; docs/benchmarks.md):
- "hflip": the face and its mirror image (2 views);
- "flip_zoom": the face, a 2 px zoom-in, and the mirror image of each (4 views);
- "flip_scales": the face at four scales (a 2 px zoom-out with a reflected border, the
  face, 2 px and 4 px zoom-ins) and the mirror image of each (8 views; multi-scale
  testing, as in Simonyan & Zisserman 2015, arXiv:1409.1556, section 3.2);
- "flip_shift_zoom": the face, 4 copies shifted by 2 px (up/down/left/right, reflected
  border), a 2 px zoom-in, and the mirror image of each (12 views).
The model's metadata says which TTA the product uses ("inference.tta", chosen on
PublicTest), and every consumer (Python and browser) applies it.
"""

import numpy as np

from emoji_fer.labels import NUM_CLASSES

SHIFT = 2  # px
ZOOM = 2  # px cropped from each side (zoom-in) or added to each side (zoom-out) before resizing back
# Each mode's views of one side (the face, then the same for its mirror image), by name;
# "none" alone skips the mirror image. Web page: js/engine.js keeps the same table.
MODE_VIEWS = {
    "none": ("face",),
    "hflip": ("face",),
    "flip_zoom": ("face", "zoom_in"),
    "flip_scales": ("face", "zoom_out", "zoom_in", "zoom_in_2x"),
    "flip_shift_zoom": ("face", "up", "down", "left", "right", "zoom_in"),
}
TTA_MODES = tuple(MODE_VIEWS)
# Every distinct view of one side, in the order of one pass that gives every mode
# (probabilities_by_tta): the face's views are 0-7, its mirror image's 8-15.
ALL_VIEWS = ("face", "up", "down", "left", "right", "zoom_in", "zoom_out", "zoom_in_2x")
SHIFTS = {"up": (-SHIFT, 0), "down": (SHIFT, 0), "left": (0, -SHIFT), "right": (0, SHIFT)}  # (dy, dx) px
ZOOM_INS = {"zoom_in": ZOOM, "zoom_in_2x": 2 * ZOOM}  # px cropped from each side


def _subset(mode):
    face = [ALL_VIEWS.index(v) for v in MODE_VIEWS[mode]]
    return tuple(face if mode == "none" else face + [len(ALL_VIEWS) + i for i in face])


TTA_SUBSETS = {mode: _subset(mode) for mode in MODE_VIEWS}


def make_classifier(model, input_size=48, tta="hflip"):
    """Wrap a Keras model (faces -> probabilities) in one traced tf.function.

    Returns classify(faces (N, S, S, 1) float32 in [0, 1]) -> (N, 7) float32 probabilities.
    One graph call per batch (no `model.predict` set-up per request); any N.
    """
    import tensorflow as tf

    infer = tta_function(model, input_size, tta)

    return lambda faces, batch_size=256: in_batches(lambda b: infer(tf.constant(b)).numpy(), faces, batch_size)


def in_batches(run, faces, batch_size=256):
    """run(batch) -> (B, 7) probabilities, applied batch by batch to faces (N, S, S, 1);
    returns (N, 7) float32 (empty for N = 0). Shared by the Keras and LiteRT runtimes."""
    faces = np.asarray(faces, dtype=np.float32)
    out = [run(faces[i:i + batch_size]) for i in range(0, len(faces), batch_size)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros((0, NUM_CLASSES), np.float32)


def tta_function(model, input_size=48, tta="hflip"):
    """The model with its TTA as one tf.function of faces (None, S, S, 1) float32 ->
    (None, 7) float32 probabilities averaged over the views: what the Keras runtime calls
    and what the LiteRT export (convert/litert.py) converts, so both compute the same.
    Raises ValueError for an unknown TTA."""
    import tensorflow as tf

    if tta not in TTA_MODES:
        raise ValueError(f"unknown TTA {tta!r}; expected one of {TTA_MODES}")
    spec = tf.TensorSpec((None, input_size, input_size, 1), tf.float32)

    @tf.function(input_signature=[spec])
    def infer(x):
        views = tta_views(x, tta, input_size)
        probs = model(tf.concat(views, axis=0), training=False)
        return tf.reduce_mean(tf.stack(tf.split(probs, len(views), axis=0)), axis=0)

    return infer


def probabilities_by_tta(model, faces, input_size=48, batch_size=256):
    """Every TTA mode's probabilities from one pass of the model over the 16 distinct
    views (ALL_VIEWS and their mirror images): {mode: (N, 7) float32}, for faces
    (N, S, S, 1) float32 in [0, 1]. Equal (to float round-off) to
    make_classifier(model, tta=mode)(faces) for each mode, at the cost of 16 views."""
    probs = view_probabilities(model, faces, input_size, batch_size)
    return {mode: probs[:, list(views)].mean(axis=1).astype(np.float32) for mode, views in TTA_SUBSETS.items()}


def view_probabilities(model, faces, input_size=48, batch_size=256):
    """The probabilities of each of the 16 distinct views: (N, 16, 7) float32, views in the
    order of ALL_VIEWS then their mirror images (TTA_SUBSETS[mode] picks a mode's)."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, input_size, input_size, 1), tf.float32)

    @tf.function(input_signature=[spec])
    def per_view(x):
        views = views_with_mirror(x, ALL_VIEWS, input_size)
        return tf.stack(tf.split(model(tf.concat(views, axis=0), training=False), len(views)), axis=1)

    # in_batches joins (B, 7) rows: each face's 16 views travel flattened as one row of 112.
    flat = in_batches(lambda b: per_view(tf.constant(b)).numpy().reshape(len(b), -1), faces, batch_size)
    return flat.reshape(len(flat), 2 * len(ALL_VIEWS), NUM_CLASSES)


def tta_views(x, tta, size=48):
    """The TTA views of a batch x (N, S, S, 1) float32, as a list of same-shape tensors:
    the mode's views (MODE_VIEWS) of the face, then the same of its mirror image."""
    return [x] if tta == "none" else views_with_mirror(x, MODE_VIEWS[tta], size)


def views_with_mirror(x, names, size=48):
    """The named views (ALL_VIEWS) of x (N, S, S, 1) float32, then the same of its mirror image."""
    import tensorflow as tf

    return [view(face, name, size) for face in (x, tf.reverse(x, axis=[2])) for name in names]


def view(face, name, size=48):
    """One named view (ALL_VIEWS) of a batch (N, S, S, 1) float32, same shape. Shifts cut
    from a REFLECT-padded copy; zooms resize back with TF2's tf.image.resize (bilinear,
    half-pixel centres, no antialias), which the page's tf.image.resizeBilinear(x, size,
    false, true) matches."""
    import tensorflow as tf

    def pad(t, p):
        return tf.pad(t, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    if name == "face":
        return face
    if name in SHIFTS:
        dy, dx = SHIFTS[name]
        return pad(face, SHIFT)[:, SHIFT + dy:SHIFT + dy + size, SHIFT + dx:SHIFT + dx + size]
    if name in ZOOM_INS:
        z = ZOOM_INS[name]
        return tf.image.resize(face[:, z:size - z, z:size - z], (size, size))
    if name == "zoom_out":
        return tf.image.resize(pad(face, ZOOM), (size, size))
    raise ValueError(f"unknown view {name!r}; expected one of {ALL_VIEWS}")
