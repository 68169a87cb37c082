"""AdaFace: a margin that adapts to image quality through the feature norm."""

import math

import keras
from keras import ops

from keras_margin.heads import _angles
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation

# The official code's constants: norms are clipped to this range before any statistic,
# the EMA starts from (20, 100), and 1e-3 is both the std floor and the angle clip.
_NORM_RANGE = (0.001, 100.0)
_INITIAL_MEAN = 20.0
_INITIAL_STD = 100.0
_EPSILON = 1e-3


@keras.saving.register_keras_serializable(package="keras_margin")
class AdaFace(CosineMarginHead):
    """AdaFace head: a feature-norm-adaptive mix of angular and additive margins.

    The embedding norm `||x_b||` is a proxy for image quality. It is clipped to
    [0.001, 100] and detached (no gradient flows through it), then standardised with
    the running batch statistics and scaled by `h`:

        scaler_b = clip((||x_b|| - mean) / (std + 1e-3) * h, -1, 1)

    The target cosine gets an angular margin `g_angle = -m * scaler_b` and an additive
    one `g_add = m + m * scaler_b`:

        target = s * (cos(clip(theta_y + g_angle, 1e-3, pi - 1e-3)) - g_add)

    so high-norm (good) samples get a CosFace-like `cos(theta - m) - 2m` and low-norm
    (hard) ones an ArcFace-like `cos(theta + m)`. As in the official code the target
    cosine is first clipped to [-1 + 1e-3, 1 - 1e-3]; non-target and inference logits
    are `s * cos(theta_j)` (unclipped here).

    `mean` and `std` are exponential moving averages (rate `t_alpha`) of the batch mean
    and standard deviation (Bessel-corrected, as `torch.std`; 0 for a batch of one) of
    the clipped norms, updated at each training call with labels before the margin is
    computed, as in the official code. Rows with a non-finite embedding are left out of
    the statistics (a batch with no finite row leaves them unchanged). They are
    non-trainable variables (`batch_mean`, `batch_std`, starting at 20 and 100): saved
    with the model and left untouched by calls with `training=False` or without labels.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the margin `m`, in [0, pi/2] (default 0.4).
        h: how strongly the norm moves the margin, > 0 (default 0.333: about 68% of
            samples get a scaler within [-1/3, 1/3]).
        t_alpha: EMA rate of the norm statistics, in (0, 1] (default 0.01).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.AdaFace(num_classes=10, scale=64.0, margin=0.4)
    >>> embeddings = np.random.rand(4, 64).astype("float32") * 10
    >>> logits = head(embeddings, labels=np.array([0, 1, 2, 3]), training=True)
    >>> float(head.batch_mean.numpy()) != 20.0  # the EMA moved
    True

    References:
        - Kim, Jain, Liu. "AdaFace: Quality Adaptive Margin for Face Recognition",
          CVPR 2022. https://arxiv.org/abs/2204.00964
    """

    def __init__(self, num_classes, scale=64.0, margin=0.4, h=0.333, t_alpha=0.01, **kwargs):
        super().__init__(num_classes, scale=scale, **kwargs)
        self.margin = validation.number_in_range(margin, "margin", 0.0, math.pi / 2)
        self.h = validation.positive(h, "h")
        self.t_alpha = validation.number_in_range(t_alpha, "t_alpha", 0.0, 1.0, low_open=True)

    def build(self, embeddings_shape, labels_shape=None):
        super().build(embeddings_shape)
        self.batch_mean = self.add_weight(
            name="batch_mean", shape=(), initializer=keras.initializers.Constant(_INITIAL_MEAN),
            trainable=False,
        )
        self.batch_std = self.add_weight(
            name="batch_std", shape=(), initializer=keras.initializers.Constant(_INITIAL_STD),
            trainable=False,
        )

    def on_training_step(self, context):
        norms = _safe_norms(context)
        # Rows with a non-finite embedding are left out, as if not in the batch.
        mean, count = context.mean_over_finite_rows(norms)
        deviations = ops.where(context.finite_rows(), ops.square(norms - mean), 0.0)
        std = ops.sqrt(ops.sum(deviations) / ops.maximum(count - 1.0, 1.0))
        rate = self.t_alpha * ops.cast(count > 0.0, mean.dtype)
        self.batch_mean.assign(rate * mean + (1.0 - rate) * self.batch_mean)
        self.batch_std.assign(rate * std + (1.0 - rate) * self.batch_std)

    def margin_scaler(self, embedding_norms):
        """`clip((||x|| - mean) / (std + eps) * h, -1, 1)` for (batch, 1) norms."""
        norms = ops.stop_gradient(ops.clip(embedding_norms, *_NORM_RANGE))
        mean = ops.cast(self.batch_mean, norms.dtype)
        std = ops.cast(self.batch_std, norms.dtype)
        return ops.clip((norms - mean) / (std + _EPSILON) * self.h, -1.0, 1.0)

    def target_cosine(self, cosine, context):
        scaler = self.margin_scaler(context.embedding_norms)
        theta = _angles.angle(ops.clip(cosine, -1.0 + _EPSILON, 1.0 - _EPSILON))
        theta = ops.clip(theta - self.margin * scaler, _EPSILON, math.pi - _EPSILON)
        return ops.cos(theta) - (self.margin + self.margin * scaler)

    def get_config(self):
        config = super().get_config()
        config.update(margin=self.margin, h=self.h, t_alpha=self.t_alpha)
        return config


def _safe_norms(context):
    return ops.stop_gradient(ops.clip(context.embedding_norms, *_NORM_RANGE))
