"""One compiled classification function for a Keras model, shared by the Predictor,
evaluation and training's final report, so every figure comes from the same code path.

Test-time augmentation (TTA) averages the probabilities of several views of each face,
as most FER-2013 results do (e.g. 10-crop testing in WuJie1010's VGG19, 73.11 %):
- "hflip": the face and its mirror image (2 views);
- "flip_zoom": the face, a 2 px zoom-in, and the mirror image of each (4 views);
- "flip_shift_zoom": the face, 4 copies shifted by 2 px (up/down/left/right, reflected
  border), a 2 px zoom-in, and the mirror image of each (12 views).
The model's metadata says which TTA the product uses ("inference.tta", chosen on
PublicTest), and every consumer (Python and browser) applies it.
"""

import numpy as np

from emoji_fer.labels import NUM_CLASSES

TTA_MODES = ("none", "hflip", "flip_zoom", "flip_shift_zoom")
# Each mode's views as positions among the 12 of flip_shift_zoom (tta_views keeps this
# order), so one 12-view pass gives every mode (probabilities_by_tta).
TTA_SUBSETS = {"none": (0,), "hflip": (0, 6), "flip_zoom": (0, 5, 6, 11), "flip_shift_zoom": tuple(range(12))}
SHIFT = 2  # px
ZOOM = 2  # px cropped from each side before resizing back


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
    """Every TTA mode's probabilities from one pass of the model over the 12 views of
    flip_shift_zoom: {mode: (N, 7) float32}, for faces (N, S, S, 1) float32 in [0, 1].
    Equal (to float round-off) to make_classifier(model, tta=mode)(faces) for each mode,
    at the cost of the largest mode alone."""
    import tensorflow as tf

    spec = tf.TensorSpec((None, input_size, input_size, 1), tf.float32)

    @tf.function(input_signature=[spec])
    def per_view(x):
        views = tta_views(x, "flip_shift_zoom", input_size)
        return tf.stack(tf.split(model(tf.concat(views, axis=0), training=False), len(views)), axis=1)

    # in_batches joins (B, 7) rows: each face's 12 views travel flattened as one row of 84.
    flat = in_batches(lambda b: per_view(tf.constant(b)).numpy().reshape(len(b), -1), faces, batch_size)
    probs = flat.reshape(len(flat), len(TTA_SUBSETS["flip_shift_zoom"]), NUM_CLASSES)  # (N, 12, 7)
    return {mode: probs[:, list(views)].mean(axis=1).astype(np.float32) for mode, views in TTA_SUBSETS.items()}


def tta_views(x, tta, size=48):
    """The TTA views of a batch x (N, S, S, 1) float32, as a list of same-shape tensors:
    for the face and then its mirror image, the face, its shifts, its zoom-in."""
    import tensorflow as tf

    if tta == "none":
        return [x]
    views = []
    for face in (x, tf.reverse(x, axis=[2])):
        views.append(face)
        if tta == "flip_shift_zoom":
            padded = tf.pad(face, [[0, 0], [SHIFT, SHIFT], [SHIFT, SHIFT], [0, 0]], mode="REFLECT")
            for dy, dx in ((-SHIFT, 0), (SHIFT, 0), (0, -SHIFT), (0, SHIFT)):
                views.append(padded[:, SHIFT + dy:SHIFT + dy + size, SHIFT + dx:SHIFT + dx + size])
        if tta in ("flip_zoom", "flip_shift_zoom"):
            views.append(tf.image.resize(face[:, ZOOM:size - ZOOM, ZOOM:size - ZOOM], (size, size)))
    return views
