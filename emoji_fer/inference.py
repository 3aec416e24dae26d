"""One compiled classification function for a Keras model, shared by the Predictor,
evaluation and training's final report, so every figure comes from the same code path.

Test-time augmentation (TTA) "hflip" averages the probabilities of each face and its
mirror image (as in Khaireddin & Chen 2021 and most FER-2013 results); the model's
metadata says which TTA the product uses, and every consumer (Python and browser)
applies it.
"""

import numpy as np

TTA_MODES = ("none", "hflip")


def make_classifier(model, input_size=48, tta="hflip"):
    """Wrap a Keras model (faces -> probabilities) in one traced tf.function.

    Returns classify(faces (N, S, S, 1) float32 in [0, 1]) -> (N, 7) float32 probabilities.
    One graph call per batch (no `model.predict` set-up per request); any N.
    """
    import tensorflow as tf

    if tta not in TTA_MODES:
        raise ValueError(f"unknown TTA {tta!r}; expected one of {TTA_MODES}")
    spec = tf.TensorSpec((None, input_size, input_size, 1), tf.float32)

    @tf.function(input_signature=[spec])
    def infer(x):
        if tta == "none":
            return model(x, training=False)
        both = model(tf.concat([x, tf.reverse(x, axis=[2])], axis=0), training=False)
        plain, mirrored = tf.split(both, 2, axis=0)
        return (plain + mirrored) / 2.0

    def classify(faces, batch_size=256):
        faces = np.asarray(faces, dtype=np.float32)
        out = [infer(tf.constant(faces[i:i + batch_size])).numpy() for i in range(0, len(faces), batch_size)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros((0, 7), np.float32)

    return classify
