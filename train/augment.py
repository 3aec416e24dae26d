"""Data augmentation for FER-2013 training, run in the tf.data input pipeline (on
uint8-scaled float batches, before the model) so it costs the training step nothing.

Random shift, small rotation and zoom, horizontal flip, brightness/contrast jitter and
random erasing (Zhong et al. 2020, "Random Erasing Data Augmentation", AAAI): the
augmentations that help most on FER-2013 in Khaireddin & Chen 2021 (arXiv:2105.03588).
"""

import keras
from keras import layers


def build_augmenter(seed=0):
    """A Keras Sequential of augmentation layers for (N, 48, 48, 1) float32 in [0, 1]."""
    return keras.Sequential([
        layers.RandomFlip("horizontal", seed=seed),
        layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed + 1),
        layers.RandomRotation(10 / 360, fill_mode="reflect", seed=seed + 2),
        layers.RandomZoom(0.1, fill_mode="reflect", seed=seed + 3),
        layers.RandomBrightness(0.15, value_range=(0.0, 1.0), seed=seed + 4),
        layers.RandomContrast(0.3, value_range=(0.0, 1.0), seed=seed + 5),
        layers.RandomErasing(factor=0.5, scale=(0.02, 0.15), value_range=(0.0, 1.0), seed=seed + 6),
    ], name="augment")
