"""AdaCos: cosine logits without a margin, at a scale set by the number of classes."""

import math

import keras
from keras import ops

from keras_margin.heads import _labels
from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.heads.scales import adacos_scale

# Target angles of rows left out of the median sort after every real angle (<= pi).
_BEYOND_ANY_ANGLE = 4.0


@keras.saving.register_keras_serializable(package="keras_margin")
class AdaCos(CosineMarginHead):
    """AdaCos head: logits `s * cos(theta_j)`, no margin, with a scale chosen for you.

    **Fixed** (`dynamic=False`): `s_f = sqrt(2) ln(C - 1)`, the scale at which a sample
    at `theta_y = pi/4` whose non-target cosines are 0 has target probability 1/2.

    **Dynamic** (`dynamic=True`, the default): the scale starts at `s_f`, and every
    training call with labels sets it, before the logits are computed, to

        s_t = ln(B_avg) / cos(min(pi/4, theta_med)),
        B_avg = (1/N) sum_i sum_{k != y_i} exp(s_{t-1} cos(theta_ik)),

    where `theta_med` is the median of the batch's target angles `theta_{i,y_i}` (the
    mean of the two middle ones for an even count; the PyTorch reference takes the lower
    one) and `B_avg` uses the previous scale. The new scale then multiplies the cosines.
    It is a statistic, computed without gradient: the gradient of a logit is
    `s_t * d cos(theta)`. `ln(B_avg)` is computed as a log-sum-exp, so large scales do
    not overflow. Rows whose cosines are not finite (a NaN embedding) or whose class id
    is out of range are left out of both statistics; when no row is left, or the new
    scale is not a finite positive number (`B_avg <= 1`, possible with few classes once
    the non-target cosines turn negative), the scale is kept. With a label matrix
    (MixUp, label smoothing) a row's non-target sum weighs class `k` by `1 - y_ik` and
    its target angle is that of the label-weighted mean cosine; one-hot rows give the
    class-id values.

    The current scale lives in the non-trainable variable `scale_variable`: it is saved
    with the weights (a reloaded model continues from it; the config holds only
    `dynamic`), left alone by inference calls and calls without labels, and used by
    inference logits. `head.scale` reads it as a Python float; that needs eager
    execution (inside a compiled function use `scale_variable`).

    Failure cases. C = 2: `ln(C - 1) = 0`, a scale of 0; two classes get the scale that
    makes a target probability of 0.99 reachable, `ln(99) / 2 = 2.30`, instead. Few
    classes: the dynamic rule keeps the median sample near target probability 1/2, so
    once the classes separate it settles near `(C - 1)/C ln(C - 1)` (2.0 for C = 10),
    where no sample becomes confident: the logits rank classes well but their probabilities are
    too flat (calibrate them, or use `scale="auto"` on a fixed-scale head).

    Args:
        num_classes: number of classes, at least 2.
        dynamic: update the scale from each training batch (default True), or keep
            `s_f`.
        sample_rate: class-centre sampling as in `CosineMarginHead`; only with
            `dynamic=False` (the non-target sum needs every class).
        seed: seed of the class sampling.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments (not `scale`).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.AdaCos(num_classes=10)
    >>> round(head.scale, 3)  # sqrt(2) ln 9
    3.107
    >>> embeddings = np.random.default_rng(0).normal(size=(8, 16)).astype("float32")
    >>> logits = head(embeddings, labels=np.arange(8) % 10, training=True)
    >>> head.scale != 3.107  # the batch set a new scale
    True

    References:
        - Zhang, Zhao, Qiao, Wang, Li. "AdaCos: Adaptively Scaling Cosine Logits for
          Effectively Learning Deep Face Representations", CVPR 2019.
          https://arxiv.org/abs/1905.00292
    """

    has_margin = False

    def __init__(self, num_classes, dynamic=True, sample_rate=None, seed=None, **kwargs):
        if "scale" in kwargs:
            raise ValueError(
                "AdaCos sets its own scale from `num_classes` (and the batches, with "
                "`dynamic=True`); it takes no `scale`. Use NormFace for a chosen one."
            )
        super().__init__(num_classes, scale=1.0, sample_rate=sample_rate, seed=seed, **kwargs)
        if not isinstance(dynamic, bool):
            raise ValueError(f"`dynamic` must be True or False; received {dynamic!r}.")
        if dynamic and sample_rate is not None:
            raise ValueError(
                "`sample_rate` needs `dynamic=False` in AdaCos: the dynamic scale sums "
                "over every non-target class, which a sampled step does not see."
            )
        self.dynamic = dynamic
        self._scale = adacos_scale(self.num_classes)
        self.scale_variable = None
        if dynamic:
            # Created here, not in `build`, so `head.scale` reads before the first call.
            self.scale_variable = self.add_weight(
                name="scale", shape=(), initializer=keras.initializers.Constant(self._scale),
                trainable=False,
            )

    @property
    def scale(self):
        """The current scale as a Python float (eager only when `dynamic`)."""
        if self.scale_variable is None:
            return self._scale
        return float(ops.convert_to_numpy(self.scale_variable))

    def logit_scale(self, embedding_norms):
        if self.scale_variable is None:
            return super().logit_scale(embedding_norms)
        return ops.ones_like(embedding_norms) * ops.cast(self.scale_variable, embedding_norms.dtype)

    def call(
        self, embeddings, labels=None, training=None, return_inference_logits=False, return_labels=False
    ):
        if not (self.dynamic and training and labels is not None):
            return super().call(
                embeddings, labels=labels, training=training,
                return_inference_logits=return_inference_logits, return_labels=return_labels,
            )
        # `embeddings` stay as given: `inference_logits` casts them, and bounds the
        # gradient it sends back to float16 embeddings by their dtype.
        dtype = self.compute_dtype
        if _labels.is_label_matrix(labels, self.num_classes):
            weights = ops.cast(labels, dtype)
            rows_ok = ops.all(ops.isfinite(weights), axis=-1)
            valid_ids = None
        else:
            ids = _labels.class_ids(labels, self.num_classes)
            rows_ok = valid_ids = _labels.valid_class_ids(ids, self.num_classes)
            weights = ops.one_hot(ops.where(rows_ok, ids, 0), self.num_classes, dtype=dtype)
        logits = self.inference_logits(embeddings)  # at the previous scale
        previous = ops.cast(self.scale_variable, logits.dtype)
        scale = self._next_scale(ops.stop_gradient(logits), ops.stop_gradient(weights), rows_ok, previous)
        self.scale_variable.assign(ops.cast(scale, self.scale_variable.dtype))
        logits = logits * ops.stop_gradient(scale / previous)
        if valid_ids is not None:
            # As in the margin heads: a row whose id is out of range (where no assertion
            # can run, e.g. XLA) becomes NaN, so a bad label never gives a plausible loss.
            logits = ops.where(ops.expand_dims(valid_ids, -1), logits, float("nan"))
        # No margin: the inference logits are the training logits.
        extras = ((logits,) if return_inference_logits else ()) + ((labels,) if return_labels else ())
        return (logits, *extras) if extras else logits

    def _next_scale(self, logits, weights, rows_ok, previous):
        """`ln(B_avg) / cos(min(pi/4, theta_med))` from `previous * cos` logits and
        (B, C) target weights; `previous` where no row counts or the result is unusable."""
        cosines = logits / previous
        rows_ok = ops.logical_and(rows_ok, ops.all(ops.isfinite(logits), axis=-1))
        rows_ok = ops.logical_and(rows_ok, ops.sum(weights, axis=-1) > 0)
        # ln B_i = ln sum_k (1 - y_ik) exp(s cos_ik), then ln B_avg = ln mean_i B_i.
        row_sums = _log_sum_exp(logits, ops.maximum(1.0 - weights, 0.0))
        row_weights = ops.cast(rows_ok, logits.dtype)
        count = ops.sum(row_weights)
        log_b_avg = _log_sum_exp(ops.where(rows_ok, row_sums, 0.0), row_weights) - ops.log(
            ops.maximum(count, 1.0)
        )
        label_mass = ops.maximum(ops.sum(weights, axis=-1), 1e-12)
        target_cosines = ops.clip(ops.sum(weights * cosines, axis=-1) / label_mass, -1.0, 1.0)
        median = _median(ops.arccos(target_cosines), rows_ok)
        scale = log_b_avg / ops.cos(ops.minimum(median, math.pi / 4))
        usable = ops.logical_and(count > 0, ops.logical_and(ops.isfinite(scale), scale > 0))
        return ops.where(usable, scale, previous)

    def get_config(self):
        config = super().get_config()
        del config["scale"]  # derived from num_classes; the dynamic value is a weight
        config["dynamic"] = self.dynamic
        return config


def _log_sum_exp(values, weights):
    """`ln sum_last_axis weights * exp(values)` for weights >= 0, without overflow;
    -inf where every weight is 0."""
    counted = weights > 0
    shift = ops.max(ops.where(counted, values, -math.inf), axis=-1, keepdims=True)
    shift = ops.where(ops.isfinite(shift), shift, 0.0)
    # Entries of weight 0 (the target) may lie far above the shift: exp would overflow.
    total = ops.sum(weights * ops.exp(ops.where(counted, values - shift, -math.inf)), axis=-1)
    return ops.log(total) + ops.squeeze(shift, -1)


def _median(values, counted):
    """Median of `values[counted]` (mean of the middle two for an even count), from one
    sort: rows not counted sort after every angle."""
    ordered = ops.sort(ops.where(counted, values, _BEYOND_ANY_ANGLE))
    count = ops.sum(ops.cast(counted, "int32"))
    lower = ops.take(ordered, ops.maximum((count - 1) // 2, 0))
    upper = ops.take(ordered, count // 2)
    return 0.5 * (lower + upper)
