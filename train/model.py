"""The expression CNN: a VGG-style network with batch norm, built for 48x48 grayscale faces.

Design after the VGG variants that do best on FER-2013 as single networks
(Khaireddin & Chen 2021, "Facial Emotion Recognition: State of the Art Performance
on FER2013", arXiv:2105.03588: stages of two 3x3 convs + BN + ReLU, max-pooling,
dropout), with a single-conv stem at full resolution and global average pooling, so
that it trains on a 2-core CPU and runs live in a browser.

Input: (N, 48, 48, 1) float32 in [0, 1]. Output: (N, 7) float32 logits in the
FER-2013 label order; `with_softmax=True` appends a softmax so the saved model
returns probabilities.
"""

import keras
from keras import layers

from emoji_fer.labels import NUM_CLASSES


def build_model(stem=32, widths=(64, 128, 256), dropout=0.3, input_size=48,
                with_softmax=True, name="fer_vgg"):
    """Build the (uncompiled) CNN. Measured on this 2-core CPU with mixed_bfloat16:
    about 115 s per FER-2013 epoch for the defaults (1.17 M parameters); a second
    full-resolution stem conv would cost 70 % more time for little gain."""
    inputs = keras.Input((input_size, input_size, 1), name="face")
    x = conv_bn_relu(inputs, stem, name="stem")
    x = layers.MaxPooling2D(name="stem_pool")(x)
    for stage, width in enumerate(widths, start=1):
        x = conv_bn_relu(x, width, name=f"s{stage}c1")
        x = conv_bn_relu(x, width, name=f"s{stage}c2")
        if stage < len(widths):
            x = layers.MaxPooling2D(name=f"s{stage}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    # Logits in float32 even under mixed_bfloat16, so the softmax and the loss are exact.
    x = layers.Dense(NUM_CLASSES, dtype="float32", name="logits")(x)
    if with_softmax:
        x = layers.Softmax(dtype="float32", name="probabilities")(x)
    return keras.Model(inputs, x, name=name)


def conv_bn_relu(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=name + "_bn")(x)
    return layers.ReLU(name=name + "_relu")(x)
