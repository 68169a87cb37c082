"""`small_cnn`: a small convolutional backbone for examples, tests and the CLI."""

import keras
from keras import layers

from keras_margin.utils import validation


def small_cnn(
    embedding_dim=64,
    input_shape=(28, 28, 1),
    width=32,
    pixel_scale=1.0 / 255.0,
    batch_norm_momentum=0.9,
    embedding_batch_norm=True,
    name="small_cnn",
):
    """A three-block CNN that maps images to `embedding_dim`-dimensional embeddings.

    Conv-BN-ReLU blocks of `width`, `2 * width` and `4 * width` filters with max pooling,
    global average pooling, then a linear embedding followed by batch normalisation (the
    "BN-FC-BN" embedding layer of face-recognition backbones, which keeps embedding norms
    well behaved for the SphereFace and L-Softmax heads). Pixel values are rescaled
    inside the model, so it takes raw images (0-255 by default) and exports that way.

    Args:
        embedding_dim: size of the output embedding, >= 1.
        input_shape: `(height, width, channels)` of the images.
        width: filters of the first block, >= 1.
        pixel_scale: factor applied to the raw pixels (default `1 / 255`).
        batch_norm_momentum: momentum of the batch-norm moving statistics (default
            0.9, not Keras' 0.99: a limited-data run has a few hundred steps, too few
            for 0.99 to forget the initial statistics, and inference would then use
            the wrong ones).
        embedding_batch_norm: end with the batch normalisation of the embedding
            (default). Without it the embedding is the plain linear layer; see
            docs/training_difficulties.md for what it changes for margin heads.
        name: model name.

    Returns:
        A functional `keras.Model` from images to embeddings (no activation).

    Example:

    >>> import keras_margin as km
    >>> backbone = km.models.small_cnn(embedding_dim=64, input_shape=(28, 28, 1))
    >>> backbone.output_shape
    (None, 64)
    """
    embedding_dim = validation.integer_at_least(embedding_dim, 1, "embedding_dim")
    width = validation.integer_at_least(width, 1, "width")
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"`input_shape` must be (height, width, channels); received {input_shape!r}.")

    inputs = keras.Input(shape=tuple(input_shape), name="images")
    x = layers.Rescaling(pixel_scale, name="rescale")(inputs)
    for block, filters in enumerate((width, 2 * width, 4 * width)):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}")(x)
        x = layers.BatchNormalization(momentum=batch_norm_momentum, name=f"bn{block}")(x)
        x = layers.ReLU(name=f"relu{block}")(x)
        if block < 2:
            x = layers.MaxPooling2D(name=f"pool{block}")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding")(x)
    outputs = x
    if embedding_batch_norm:
        outputs = layers.BatchNormalization(momentum=batch_norm_momentum, name="embedding_bn")(x)
    return keras.Model(inputs, outputs, name=name)
