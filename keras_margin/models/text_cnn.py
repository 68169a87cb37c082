"""`text_cnn`: a small convolutional text backbone, raw strings in, embeddings out."""

import keras
import numpy as np
from keras import layers

from keras_margin.utils import validation


def text_cnn(
    texts,
    embedding_dim=64,
    max_tokens=20000,
    sequence_length=128,
    token_dim=64,
    width=128,
    kernel_sizes=(3, 5),
    dropout=0.25,
    batch_norm_momentum=0.9,
    name="text_cnn",
):
    """A small CNN text encoder (Kim 2014 style) that maps raw strings to embeddings.

    `TextVectorization` (lower case, punctuation stripped, the `max_tokens` most
    frequent words of `texts`, padded or cut to `sequence_length`) -> `Embedding` of
    `token_dim` -> one `Conv1D` of `width` filters per kernel size, ReLU, global max
    pooling -> concatenation -> dropout -> linear embedding -> batch normalisation
    (the "BN-FC-BN" embedding of face-recognition backbones, as in `small_cnn`).
    The model's input is one `tf.string` per example, so it trains on the batches of
    `keras_margin.data.load_text`, and `MarginModel.export` serves raw strings.

    Args:
        texts: the training texts to build the vocabulary from: a `tf.data.Dataset`
            of strings or of `(texts, labels)` batches, or an array / list of
            strings. Only training texts: a vocabulary from the test set leaks.
        embedding_dim: size of the output embedding, >= 1.
        max_tokens: vocabulary size, including the padding and out-of-vocabulary
            tokens, >= 3.
        sequence_length: tokens per text after padding or cutting, >= 1.
        token_dim: size of the word vectors, >= 1.
        width: filters per convolution, >= 1.
        kernel_sizes: the window sizes of the parallel convolutions (words).
        dropout: dropout rate before the embedding layer, in [0, 1).
        batch_norm_momentum: momentum of the batch-norm statistics (0.9 for the few
            hundred steps of a limited-data run; see `small_cnn`).
        name: model name.

    Returns:
        A functional `keras.Model` from `(batch,)` strings to `(batch, embedding_dim)`
        embeddings.

    Example:

    >>> import keras_margin as km
    >>> backbone = km.models.text_cnn(["a good film", "a bad film"], embedding_dim=16)
    >>> backbone.output_shape
    (None, 16)

    References:
        Kim, "Convolutional Neural Networks for Sentence Classification", EMNLP 2014.
    """
    embedding_dim = validation.integer_at_least(embedding_dim, 1, "embedding_dim")
    max_tokens = validation.integer_at_least(max_tokens, 3, "max_tokens")
    sequence_length = validation.integer_at_least(sequence_length, 1, "sequence_length")
    token_dim = validation.integer_at_least(token_dim, 1, "token_dim")
    width = validation.integer_at_least(width, 1, "width")
    kernel_sizes = tuple(
        validation.integer_at_least(size, 1, "kernel_sizes") for size in kernel_sizes
    )
    if not kernel_sizes:
        raise ValueError("`kernel_sizes` must name at least one window size; received ().")
    dropout = validation.number_in_range(dropout, "dropout", 0.0, 1.0, high_open=True)

    vectorize = layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length, name="vectorize"
    )
    vectorize.adapt(_text_only(texts))
    inputs = keras.Input(shape=(), dtype="string", name="texts")
    x = layers.Embedding(max_tokens, token_dim, name="words")(vectorize(inputs))
    pooled = []
    for size in kernel_sizes:
        y = layers.Conv1D(width, size, padding="same", activation="relu", name=f"conv{size}")(x)
        pooled.append(layers.GlobalMaxPooling1D(name=f"pool{size}")(y))
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="concat")(pooled)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(embedding_dim, use_bias=False, name="embedding")(x)
    outputs = layers.BatchNormalization(momentum=batch_norm_momentum, name="embedding_bn")(x)
    return keras.Model(inputs, outputs, name=name)


def _text_only(texts):
    # Here, not at the top: `keras_margin.models` imports no TensorFlow on other backends.
    import tensorflow as tf

    if isinstance(texts, tf.data.Dataset):
        spec = texts.element_spec
        if isinstance(spec, tuple):
            return texts.map(lambda *element: element[0])
        return texts
    texts = np.asarray(texts, dtype=object).astype(str)
    if texts.ndim != 1 or not len(texts):
        raise ValueError(
            "`texts` must be a tf.data.Dataset or a non-empty 1-D list of strings; "
            f"received shape {texts.shape}."
        )
    return texts
