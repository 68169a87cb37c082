"""SphereFace (A-Softmax): the multiplicative angular margin on unit class centres."""

import keras

from keras_margin.heads.multiplicative_angular_margin import MultiplicativeAngularMargin


@keras.saving.register_keras_serializable(package="keras_margin")
class SphereFace(MultiplicativeAngularMargin):
    """SphereFace / A-Softmax head.

    Class centres are normalised (`||W_j|| = 1`); the target logit is
    `||x|| (lambda cos(theta_y) + psi(theta_y)) / (1 + lambda)` with
    `psi(theta) = (-1)^k cos(m theta) - 2k`, `k = floor(m theta / pi)`; other logits,
    and all logits at inference, are `||x|| cos(theta_j)`. The lambda defaults are the
    reference SphereFace solver's (`base 1000, gamma 0.12, power 1, lambda_min 5`).

    Args:
        num_classes: number of classes, at least 2.
        margin: integer multiplicative margin `m` in [1, 64] (default 4).
        lambda_base: initial lambda, >= 0 (default 1000.0); 0 disables the blend.
        lambda_gamma: annealing rate, >= 0 (default 0.12).
        lambda_power: annealing power, >= 0 (default 1.0).
        lambda_min: floor of lambda, >= 0 (default 5.0).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.SphereFace(num_classes=10, margin=4)
    >>> logits = head(np.random.rand(4, 64).astype("float32"),
    ...               labels=np.array([0, 1, 2, 3]), training=True)

    References:
        - Liu, Wen, Yu, Li, Raj, Song. "SphereFace: Deep Hypersphere Embedding for Face
          Recognition", CVPR 2017. https://arxiv.org/abs/1704.08063
    """

    def __init__(
        self,
        num_classes,
        margin=4,
        lambda_base=1000.0,
        lambda_gamma=0.12,
        lambda_power=1.0,
        lambda_min=5.0,
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
