"""The combined margin of insightface: multiplicative, additive angular and cosine."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class CombinedMargin(CosineMarginHead):
    """Combined margin head: target logit `s * (cos(m1 * theta_y + m2) - m3)`.

    `(m1, m2, m3) = (1, 0, m)` is CosFace, `(1, m, 0)` is ArcFace and `(m, 0, 0)` a
    SphereFace-style multiplicative margin without its lambda annealing.

    Past `theta_t = (pi - m2) / m1` the angle `m1 * theta + m2` exceeds pi and
    `cos(...)` would start rising again. There the head uses the monotone fallback
    `cos(theta_y) - m3 - d` with `d = max(m2 * sin(m2), 1 + cos(theta_t))`: for
    `m1 = 1` this is ArcFace's fallback `cos(theta) - m * sin(m)`, and the `max` keeps
    the target logit non-increasing in `theta_y` for every other `m1`.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        m1: multiplicative angular margin, > 0 (default 1.0).
        m2: additive angular margin in radians, in [0, pi/2] (default 0.3).
        m3: additive cosine margin, in [0, 2) (default 0.2).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.CombinedMargin(num_classes=10, m1=1.0, m2=0.3, m3=0.2)
    >>> logits = head(np.random.rand(4, 64).astype("float32"),
    ...               labels=np.array([0, 1, 2, 3]), training=True)

    References:
        - Deng, Guo, Xue, Zafeiriou. "ArcFace: Additive Angular Margin Loss for Deep
          Face Recognition", CVPR 2019, section 3.3 (combined margin).
          https://arxiv.org/abs/1801.07698
    """

    def __init__(self, num_classes, scale=64.0, m1=1.0, m2=0.3, m3=0.2, **kwargs):
        super().__init__(num_classes, scale=scale, **kwargs)
        self.m1 = validation.positive(m1, "m1")
        self.m2 = validation.number_in_range(m2, "m2", 0.0, math.pi / 2)
        self.m3 = validation.number_in_range(m3, "m3", 0.0, 2.0, high_open=True)

    @property
    def fallback_angle(self):
        """`theta_t`: past this angle the fallback is used (may exceed pi: never)."""
        return (math.pi - self.m2) / self.m1

    def target_cosine(self, cosine, context):
        cosine = ops.clip(cosine, -1.0, 1.0)
        theta = _angles.angle(cosine)
        margined = ops.cos(self.m1 * theta + self.m2) - self.m3
        if self.fallback_angle >= math.pi:
            return margined
        drop = max(self.m2 * math.sin(self.m2), 1.0 + math.cos(self.fallback_angle))
        return ops.where(theta <= self.fallback_angle, margined, cosine - self.m3 - drop)

    def get_config(self):
        config = super().get_config()
        config.update(m1=self.m1, m2=self.m2, m3=self.m3)
        return config
