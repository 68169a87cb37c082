"""MagFace: a margin that grows with the feature magnitude, plus a magnitude regulariser."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class MagFace(CosineMarginHead):
    """MagFace head: ArcFace with a magnitude-dependent margin and a regulariser.

    The magnitude `a_b = ||x_b||`, clipped to `[l_a, u_a]`, sets the margin linearly:

        m(a) = l_m + (u_m - l_m) * (a - l_a) / (u_a - l_a)

    and the target logit is ArcFace's `s * cos(theta_y + m(a_b))`, with ArcFace's
    fallback `cos(theta_y) - m sin(m)` past `theta_y + m > pi` (as the official code).
    Non-target and inference logits are `s * cos(theta_j)`. Each training call with
    labels adds the regulariser `lambda_g * mean_b g(a_b)`, `g(a) = a / u_a^2 + 1 / a`,
    with `self.add_loss`, so `MarginModel.fit` (and any Keras model holding the head)
    minimises it with the cross-entropy. Gradients flow through the magnitude, in both
    the margin and `g`: that is how MagFace learns magnitudes that rank sample quality.
    Outside `[l_a, u_a]` the clip stops them, as in the paper.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        lower_magnitude: `l_a` > 0 (default 10).
        upper_magnitude: `u_a` > `l_a` (default 110).
        lower_margin: `l_m` in [0, pi/2] (default 0.45).
        upper_margin: `u_m` in [`l_m`, pi/2] (default 0.8).
        regularizer_weight: `lambda_g` >= 0 (default 35.0).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.MagFace(num_classes=10)
    >>> embeddings = np.random.rand(4, 64).astype("float32") * 20
    >>> logits = head(embeddings, labels=np.array([0, 1, 2, 3]), training=True)
    >>> len(head.losses)  # the magnitude regulariser
    1

    References:
        - Meng, Zhao, Zhang, Wang, Zhang. "MagFace: A Universal Representation for
          Face Recognition and Quality Assessment", CVPR 2021.
          https://arxiv.org/abs/2103.06627
    """

    def __init__(
        self,
        num_classes,
        scale=64.0,
        lower_magnitude=10.0,
        upper_magnitude=110.0,
        lower_margin=0.45,
        upper_margin=0.8,
        regularizer_weight=35.0,
        **kwargs,
    ):
        super().__init__(num_classes, scale=scale, **kwargs)
        self.lower_magnitude = validation.positive(lower_magnitude, "lower_magnitude")
        self.upper_magnitude = validation.number_in_range(
            upper_magnitude, "upper_magnitude", self.lower_magnitude, low_open=True
        )
        self.lower_margin = validation.number_in_range(lower_margin, "lower_margin", 0.0, math.pi / 2)
        self.upper_margin = validation.number_in_range(
            upper_margin, "upper_margin", self.lower_margin, math.pi / 2
        )
        self.regularizer_weight = validation.non_negative(regularizer_weight, "regularizer_weight")

    def magnitudes(self, embedding_norms):
        """`||x||` clipped to `[l_a, u_a]`."""
        return ops.clip(embedding_norms, self.lower_magnitude, self.upper_magnitude)

    def margin_of(self, magnitudes):
        """The margin `m(a)`, linear from `l_m` at `l_a` to `u_m` at `u_a`."""
        slope = (self.upper_margin - self.lower_margin) / (self.upper_magnitude - self.lower_magnitude)
        return self.lower_margin + slope * (magnitudes - self.lower_magnitude)

    def magnitude_regularizer(self, magnitudes):
        """`g(a) = a / u_a^2 + 1 / a`, per sample."""
        return magnitudes / self.upper_magnitude**2 + 1.0 / magnitudes

    def on_training_step(self, context):
        magnitudes = self.magnitudes(context.embedding_norms)
        self.add_loss(self.regularizer_weight * ops.mean(self.magnitude_regularizer(magnitudes)))

    def target_cosine(self, cosine, context):
        return _angles.add_angle(cosine, self.margin_of(self.magnitudes(context.embedding_norms)))

    def get_config(self):
        config = super().get_config()
        config.update(
            lower_magnitude=self.lower_magnitude,
            upper_magnitude=self.upper_magnitude,
            lower_margin=self.lower_margin,
            upper_margin=self.upper_margin,
            regularizer_weight=self.regularizer_weight,
        )
        return config
