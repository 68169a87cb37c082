"""CurricularFace: ArcFace whose hard negatives weigh more as training matures."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation

# The paper's momentum for t: t <- 0.01 * mean target cosine + 0.99 * t.
_T_RATE = 0.01


@keras.saving.register_keras_serializable(package="keras_margin")
class CurricularFace(CosineMarginHead):
    """CurricularFace head: an adaptive curriculum on the hard negatives of ArcFace.

    The target logit is ArcFace's `s * cos(theta_y + m)`, with ArcFace's fallback
    `cos(theta_y) - m sin(m)` past `theta_y + m > pi`. A negative class j is *hard* when
    `cos(theta_j) > cos(theta_y + m)` (the un-fallen-back value, as in the official
    code); its logit becomes `s * cos(theta_j) * (t + cos(theta_j))`, easy negatives
    keep `s * cos(theta_j)`. Early in training `t` is near 0, so hard negatives are
    damped (easy samples first); as the model fits, `t` grows towards the mean target
    cosine and hard negatives weigh more.

    `t` is an exponential moving average (rate 0.01) of the batch mean target cosine,
    without gradient, updated at each training call with labels before the logits are
    computed (starting at 0; rows with a non-finite embedding are left out). It is a
    non-trainable variable, saved with the model and left untouched by calls with
    `training=False` or without labels. Inference logits are `s * cos(theta_j)`.

    With a label matrix, the target cosine of a row is its label-mass-weighted mean
    cosine; it sets both the hard-negative threshold and the `t` update.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the angular margin `m` in radians, in [0, pi/2] (default 0.5).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.CurricularFace(num_classes=10, scale=64.0, margin=0.5)
    >>> embeddings = np.random.rand(4, 64).astype("float32")
    >>> logits = head(embeddings, labels=np.array([0, 1, 2, 3]), training=True)
    >>> float(head.t.numpy()) != 0.0
    True

    References:
        - Huang, Wang, Tai, Liu, Shen, Li, Li, Huang. "CurricularFace: Adaptive
          Curriculum Learning Loss for Deep Face Recognition", CVPR 2020.
          https://arxiv.org/abs/2004.00288
    """

    adjusts_non_target_logits = True

    def __init__(self, num_classes, scale=64.0, margin=0.5, **kwargs):
        super().__init__(num_classes, scale=scale, **kwargs)
        self.margin = validation.number_in_range(margin, "margin", 0.0, math.pi / 2)

    def build(self, embeddings_shape, labels_shape=None):
        super().build(embeddings_shape)
        self.t = self.add_weight(name="t", shape=(), initializer="zeros", trainable=False)

    def on_training_step(self, context):
        # Rows with a non-finite embedding are left out, as if not in the batch.
        batch_mean, count = context.mean_over_finite_rows(ops.stop_gradient(context.target_cosines))
        rate = _T_RATE * ops.cast(count > 0.0, batch_mean.dtype)
        self.t.assign(rate * batch_mean + (1.0 - rate) * self.t)

    def target_cosine(self, cosine, context):
        return _angles.add_angle(cosine, self.margin)

    def non_target_cosine(self, cosine, context):
        target = ops.clip(ops.stop_gradient(context.target_cosines), -1.0, 1.0)
        threshold = target * math.cos(self.margin) - _angles.sine(target) * math.sin(self.margin)
        t = ops.cast(self.t, cosine.dtype)
        return ops.where(cosine > threshold, cosine * (t + cosine), cosine)

    def get_config(self):
        config = super().get_config()
        config["margin"] = self.margin
        return config
