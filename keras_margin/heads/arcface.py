"""ArcFace: an additive angular margin."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class ArcFace(CosineMarginHead):
    """ArcFace head: target logit `s * cos(theta_y + m)`.

    `cos(theta + m)` stops decreasing once `theta + m > pi`, which would reward pushing a
    sample further from its class. There the head uses the reference implementation's
    monotone fallback `cos(theta_y) - m * sin(m)`. With `easy_margin=True` the margin is
    applied only where `cos(theta_y) > 0` and the target logit is `s * cos(theta_y)`
    elsewhere. Non-target logits and inference logits are `s * cos(theta_j)`.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the angular margin `m` in radians, in [0, pi/2] (default 0.5).
        easy_margin: apply the margin only to targets within 90 degrees (default False).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.ArcFace(num_classes=10, scale=64.0, margin=0.5)
    >>> embeddings = np.random.rand(4, 64).astype("float32")
    >>> logits = head(embeddings, labels=np.array([0, 1, 2, 3]), training=True)

    References:
        - Deng, Guo, Xue, Zafeiriou. "ArcFace: Additive Angular Margin Loss for Deep
          Face Recognition", CVPR 2019. https://arxiv.org/abs/1801.07698
    """

    def __init__(self, num_classes, scale=64.0, margin=0.5, easy_margin=False, **kwargs):
        super().__init__(num_classes, scale=scale, **kwargs)
        # Up to pi/2 the fallback steps down at theta = pi - m (cos m + m sin m >= 1);
        # beyond about 2.33 rad it would step up, and the target logit would reward
        # moving away from the class.
        self.margin = validation.number_in_range(margin, "margin", 0.0, math.pi / 2)
        if not isinstance(easy_margin, bool):
            raise ValueError(f"`easy_margin` must be True or False; received {easy_margin!r}.")
        self.easy_margin = easy_margin

    def target_cosine(self, cosine, context):
        cosine = ops.clip(cosine, -1.0, 1.0)
        shifted = cosine * math.cos(self.margin) - _angles.sine(cosine) * math.sin(self.margin)
        if self.easy_margin:
            return ops.where(cosine > 0.0, shifted, cosine)
        # theta + m <= pi  <=>  cos(theta) >= cos(pi - m)
        within_pi = cosine >= math.cos(math.pi - self.margin)
        return ops.where(within_pi, shifted, cosine - self.margin * math.sin(self.margin))

    def get_config(self):
        config = super().get_config()
        config.update(margin=self.margin, easy_margin=self.easy_margin)
        return config
