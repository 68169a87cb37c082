"""Base class of L-Softmax and SphereFace: the multiplicative angular margin `psi`."""

import math

import keras
from keras import ops

from keras_margin.heads.base import MarginHead
from keras_margin.utils import validation

# `psi` is built from about 2m elementwise ops (the threshold count and the Chebyshev
# recurrence), so the graph grows with m; the papers use m <= 4.
MAX_MARGIN = 64


@keras.saving.register_keras_serializable(package="keras_margin")
class MultiplicativeAngularMargin(MarginHead):
    """Target cosine `(lambda * cos(theta) + psi(theta)) / (1 + lambda)`.

    `psi(theta) = (-1)^k * cos(m * theta) - 2k` with `k = floor(m * theta / pi)` is the
    monotone extension of `cos(m * theta)` to [0, pi] from the L-Softmax paper. It is
    computed without `arccos`: `cos(m * theta)` is the Chebyshev polynomial `T_m(cos)`
    and `k` counts the thresholds `cos(j * pi / m)` that the cosine lies below, so the
    value is exact and the gradient finite at theta = 0 and pi.

    The paper's annealing blends in plain softmax early on, since the margin alone does
    not converge from scratch: `lambda = max(lambda_min, lambda_base * (1 + lambda_gamma
    * iteration) ** -lambda_power)`, with `iteration` the number of training calls so
    far. `iteration` is a non-trainable variable, so it is saved with the model and
    training resumes with the right lambda; `lambda_base=0` disables the blend
    (lambda = 0, pure `psi`).

    Args:
        num_classes: number of classes, at least 2.
        margin: the integer multiplicative margin `m`, in [1, 64].
        lambda_base, lambda_gamma, lambda_power, lambda_min: the annealing schedule,
            each >= 0.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.
    """

    normalize_embeddings = False

    def __init__(
        self,
        num_classes,
        margin,
        lambda_base,
        lambda_gamma,
        lambda_power,
        lambda_min,
        **kwargs,
    ):
        super().__init__(num_classes, **kwargs)
        self.margin = validation.integer_at_least(margin, 1, "margin", maximum=MAX_MARGIN)
        self.lambda_base = validation.non_negative(lambda_base, "lambda_base")
        self.lambda_gamma = validation.non_negative(lambda_gamma, "lambda_gamma")
        self.lambda_power = validation.non_negative(lambda_power, "lambda_power")
        self.lambda_min = validation.non_negative(lambda_min, "lambda_min")

    def build(self, embeddings_shape, labels_shape=None):
        super().build(embeddings_shape)
        self.iteration = self.add_weight(
            name="iteration",
            shape=(),
            initializer="zeros",
            # JAX keeps 32-bit integers unless x64 is on (int64 would warn and be cut).
            dtype="int32" if keras.backend.backend() == "jax" else "int64",
            trainable=False,
        )

    def logit_scale(self, embedding_norms):
        return embedding_norms

    @property
    def lambda_(self):
        """The current blend weight lambda, from the saved iteration count."""
        if self.lambda_base == 0.0:
            return ops.zeros((), self.compute_dtype)
        iteration = ops.cast(self.iteration, self.compute_dtype)
        annealed = self.lambda_base * ops.power(
            1.0 + self.lambda_gamma * iteration, -self.lambda_power
        )
        return ops.maximum(annealed, self.lambda_min)

    def on_training_step(self, context):
        # lambda for this step is read in target_cosine, which runs after this call;
        # counting from 1 matches the reference, which increments before computing.
        self.iteration.assign_add(ops.ones((), self.iteration.dtype))

    def psi(self, cosine):
        """`(-1)^k cos(m theta) - 2k` as a function of `cos(theta)`."""
        cosine = ops.clip(cosine, -1.0, 1.0)
        k = ops.zeros_like(cosine)
        for j in range(1, self.margin + 1):
            k = k + ops.cast(cosine <= math.cos(j * math.pi / self.margin), cosine.dtype)
        sign = 1.0 - 2.0 * ops.mod(k, 2.0)
        return sign * _chebyshev(cosine, self.margin) - 2.0 * k

    def target_cosine(self, cosine, context):
        lambda_ = self.lambda_
        return (lambda_ * cosine + self.psi(cosine)) / (1.0 + lambda_)

    def get_config(self):
        config = super().get_config()
        config.update(
            margin=self.margin,
            lambda_base=self.lambda_base,
            lambda_gamma=self.lambda_gamma,
            lambda_power=self.lambda_power,
            lambda_min=self.lambda_min,
        )
        return config


def _chebyshev(cosine, degree):
    """`T_degree(cosine) = cos(degree * arccos(cosine))` by the three-term recurrence."""
    previous, current = ops.ones_like(cosine), cosine
    for _ in range(degree - 1):
        previous, current = current, 2.0 * cosine * current - previous
    return current
