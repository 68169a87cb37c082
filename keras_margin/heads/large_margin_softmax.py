"""L-Softmax: the large-margin softmax with centre norms kept."""

import keras

from keras_margin.heads.multiplicative_angular_margin import MultiplicativeAngularMargin


@keras.saving.register_keras_serializable(package="keras_margin")
class LargeMarginSoftmax(MultiplicativeAngularMargin):
    """Large-Margin Softmax (L-Softmax) head.

    Target logit `||W_y|| ||x|| (lambda cos(theta_y) + psi(theta_y)) / (1 + lambda)`
    with `psi(theta) = (-1)^k cos(m theta) - 2k`, `k = floor(m theta / pi)`; other
    logits, and all logits at inference, are `W_j . x` (a bias-free linear layer).
    Lambda anneals from `lambda_base` towards `lambda_min` over training calls (see
    `MultiplicativeAngularMargin`); the defaults are the reference Caffe solver's.

    Args:
        num_classes: number of classes, at least 2.
        margin: integer multiplicative margin `m` in [1, 64] (default 4).
        lambda_base: initial lambda, >= 0 (default 1000.0); 0 disables the blend.
        lambda_gamma: annealing rate, >= 0 (default 2.5e-5).
        lambda_power: annealing power, >= 0 (default 35.0).
        lambda_min: floor of lambda, >= 0 (default 0.0).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.LargeMarginSoftmax(num_classes=10, margin=4)
    >>> logits = head(np.random.rand(4, 64).astype("float32"),
    ...               labels=np.array([0, 1, 2, 3]), training=True)
    >>> int(head.iteration.numpy())
    1

    References:
        - Liu, Wen, Yu, Yang. "Large-Margin Softmax Loss for Convolutional Neural
          Networks", ICML 2016. https://arxiv.org/abs/1612.02295
    """

    normalize_centers = False

    def __init__(
        self,
        num_classes,
        margin=4,
        lambda_base=1000.0,
        lambda_gamma=2.5e-5,
        lambda_power=35.0,
        lambda_min=0.0,
        **kwargs,
    ):
        super().__init__(
            num_classes,
            margin=margin,
            lambda_base=lambda_base,
            lambda_gamma=lambda_gamma,
            lambda_power=lambda_power,
            lambda_min=lambda_min,
            **kwargs,
        )
