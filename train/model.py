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


HEADS = ("gap", "gdconv")


def build_model(stem=32, widths=(64, 128, 256), dropout=0.3, input_size=48,
                with_softmax=True, head="gap", name="fer_vgg"):
    """Build the (uncompiled) CNN. The shipped widths (32, 80, 160, 320; 1.82 M
    parameters) are sized so that a FER-2013 epoch takes minutes on a 2-core CPU; a
    second full-resolution stem conv would cost much more time for little gain (figures:
    docs/benchmarks.md, "Figures behind design choices").

    head: how the last feature map becomes one vector, "gap" (global average pooling) or
    "gdconv" (see `global_depthwise_conv`). Raises ValueError for another name."""
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}")
    inputs = keras.Input((input_size, input_size, 1), name="face")
    x = conv_bn_relu(inputs, stem, name="stem")
    x = layers.MaxPooling2D(name="stem_pool")(x)
    for stage, width in enumerate(widths, start=1):
        x = conv_bn_relu(x, width, name=f"s{stage}c1")
        x = conv_bn_relu(x, width, name=f"s{stage}c2")
        if stage < len(widths):
            x = layers.MaxPooling2D(name=f"s{stage}_pool")(x)
    x = global_depthwise_conv(x) if head == "gdconv" else layers.GlobalAveragePooling2D(name="gap")(x)
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


def global_depthwise_conv(x):
    """Global depthwise convolution (GDConv, Chen et al. 2018, "MobileFaceNets",
    arXiv:1804.07573): one learned weight per channel and position of the last feature
    map, where global average pooling weighs every position the same. FER-2013 faces are
    aligned, so where a feature fires (mouth, brows) says something about the expression.
    Costs one multiply-add per input value (11,520 weights for a 6x6x320 map). Starts as
    global average pooling (every weight 1/(h*w)), so a trained GAP model's weights are a
    valid starting point (python -m train --init)."""
    h, w = x.shape[1], x.shape[2]
    x = layers.DepthwiseConv2D((h, w), padding="valid", use_bias=False, name="gdconv",
                               depthwise_initializer=keras.initializers.Constant(1.0 / (h * w)))(x)
    return layers.Flatten(name="gdconv_flat")(x)
