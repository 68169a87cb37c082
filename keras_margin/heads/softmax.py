"""Softmax: the plain linear classifier, the baseline of every comparison."""

import keras
from keras import ops

from keras_margin.heads.base import MarginHead


@keras.saving.register_keras_serializable(package="keras_margin")
class Softmax(MarginHead):
    """Plain linear head: logits `W_j . x (+ b_j)`, the same in training and inference.

    The baseline the margin heads are compared against. It takes (and ignores) labels
    so that it can be swapped for any other head.

    Args:
        num_classes: number of classes, at least 2.
        use_bias: add a per-class bias (default False, as in the margin papers'
            baselines).
        bias_initializer: initializer of the bias (default `"zeros"`).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.Softmax(num_classes=10)
    >>> tuple(head(np.random.rand(4, 64).astype("float32")).shape)
    (4, 10)

    References:
        - Liu, Wen, Yu, Yang. "Large-Margin Softmax Loss for Convolutional Neural
          Networks", ICML 2016 (softmax as the `m = 1` case).
          https://arxiv.org/abs/1612.02295
    """

    normalize_embeddings = False
    normalize_centers = False
    has_margin = False

    def __init__(self, num_classes, use_bias=False, bias_initializer="zeros", **kwargs):
        super().__init__(num_classes, **kwargs)
        if not isinstance(use_bias, bool):
            raise ValueError(f"`use_bias` must be True or False; received {use_bias!r}.")
        self.use_bias = use_bias
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, embeddings_shape, labels_shape=None):
        super().build(embeddings_shape)
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.num_classes,), initializer=self.bias_initializer
            )

    def logit_scale(self, embedding_norms):
        return embedding_norms

    def inference_logits(self, embeddings):
        logits = super().inference_logits(embeddings)
        if self.bias is not None:
            logits = ops.add(logits, self.bias)
        return logits

    def get_config(self):
        config = super().get_config()
        config.update(
            use_bias=self.use_bias,
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
        )
        return config
