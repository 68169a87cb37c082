"""Shared pieces of the losses on embeddings: pair masks, distances, reducers.

Everything is a dense (batch, batch) or (batch, batch, batch) tensor with a 0/1 mask
or a multiplicity weight instead of PML's index lists, so shapes stay static (XLA,
`tf.function`) and one formula covers "all pairs" and every miner.
"""

import keras
from keras import ops

# PML's `torch.nn.functional.normalize(x, p=2, eps=1e-12)`: x / max(||x||, 1e-12).
# Written as sqrt(max(||x||^2, 1e-24)), which has the same value and a finite gradient
# at the zero vector.
_NORM_EPS_SQUARED = 1e-24


def labels_vector(y_true):
    """Class ids of shape (batch,) from (batch,) or (batch, 1) labels."""
    return ops.reshape(y_true, (-1,))


def pair_masks(labels, dtype):
    """`(positive, negative)` (batch, batch) 0/1 masks of `dtype`.

    Positive: same label, not the sample itself (PML's `get_all_pairs_indices`).
    Negative: different label. Both count ordered pairs, so each pair appears twice.
    """
    same = ops.cast(ops.equal(labels[:, None], labels[None, :]), dtype)
    not_self = 1.0 - ops.eye(ops.shape(labels)[0], dtype=dtype)
    return same * not_self, 1.0 - same


def triplet_mask(positive, negative):
    """(batch, batch, batch) mask of the valid triplets `[a, p, n]`."""
    return positive[:, :, None] * negative[:, None, :]


def l2_normalize(embeddings):
    """Rows divided by `max(||x||, 1e-12)`, as PML's distances do by default.

    Rows with huge entries are first scaled into [-1, 1] (a factor without gradient,
    which leaves the result unchanged) so that the squares cannot overflow.
    """
    scale = ops.stop_gradient(ops.max(ops.abs(embeddings), axis=-1, keepdims=True))
    embeddings = embeddings / ops.maximum(scale, 1.0)
    squared = ops.sum(ops.square(embeddings), axis=-1, keepdims=True)
    return embeddings / ops.sqrt(ops.maximum(squared, _NORM_EPS_SQUARED))


def cosine_similarity(embeddings):
    """PML's `CosineSimilarity()`: (batch, batch) dot products of normalised rows."""
    normalized = l2_normalize(embeddings)
    return ops.matmul(normalized, ops.transpose(normalized))


def euclidean_distance(embeddings):
    """PML's `LpDistance()` (p=2, normalised rows): (batch, batch) distances.

    From the differences rather than from `|a|^2 + |b|^2 - 2ab`: identical rows are
    exactly 0 apart and near-duplicates keep full precision (the Gram form loses
    sqrt(eps), ~3e-4 in float32). Costs (batch, batch, dim) memory. The gradient at
    distance 0 is 0, as `torch.cdist`'s.
    """
    normalized = l2_normalize(embeddings)
    differences = normalized[:, None, :] - normalized[None, :, :]
    squared = ops.sum(ops.square(differences), axis=-1)
    positive = squared > 0
    return ops.where(positive, ops.sqrt(ops.where(positive, squared, 1.0)), 0.0)


def safe_divide(numerator, denominator):
    """`numerator / denominator`, and 0 (with a 0 gradient) where the denominator is 0."""
    nonzero = denominator > 0
    return ops.where(nonzero, numerator / ops.where(nonzero, denominator, 1.0), 0.0)


def average_non_zero(losses, weights):
    """PML's `AvgNonZeroReducer`: the mean of the terms > 0, or 0 if there are none.

    `weights` holds each term's multiplicity (0 leaves it out; a miner that yields a
    pair twice counts it twice, as PML's index lists do).
    """
    counted = weights * ops.cast(losses > 0, losses.dtype)
    return safe_divide(ops.sum(weights * losses), ops.sum(counted))


def masked_log_sum_exp(values, mask, add_one, axis=-1):
    """`log(sum_{mask} exp(values) [+ 1])` along `axis`, 0 where the mask is empty.

    PML's `lmu.logsumexp(x, keep_mask, add_one)`; stable for any finite input (the
    row maximum is taken over the kept entries only and without gradient).
    """
    kept = mask > 0
    # The row minimum fills the left-out entries: it is never above a kept one.
    lowest = ops.min(values, axis=axis, keepdims=True)
    shift = ops.max(ops.where(kept, values, lowest), axis=axis, keepdims=True)
    if add_one:
        shift = ops.maximum(shift, 0.0)
    shift = ops.stop_gradient(ops.where(ops.any(kept, axis=axis, keepdims=True), shift, 0.0))
    # Left-out entries become exp(0) before being dropped: exp of their own value
    # may overflow, and the where's gradient would then be 0 * inf = NaN.
    exponentials = ops.exp(ops.where(kept, values - shift, 0.0))
    total = ops.sum(ops.where(kept, exponentials, 0.0), axis=axis, keepdims=True)
    if add_one:
        total = total + ops.exp(-shift)
    result = ops.log(ops.where(total > 0, total, 1.0)) + shift
    return ops.squeeze(ops.where(ops.any(kept, axis=axis, keepdims=True), result, 0.0), axis)


class EmbeddingLoss(keras.losses.Loss):
    """Base of the losses on embeddings: `loss(labels, embeddings)` -> a scalar.

    The whole batch reduces to one value (the PML reducers are not per-sample means),
    so `sample_weight` is not supported. Computed in the loss's `dtype` (float32 by
    default, also under a mixed-precision policy; float64 if asked for).
    Subclasses implement `batch_loss(labels, embeddings)` and `_own_config()`.
    """

    def __init__(self, name, dtype=None):
        super().__init__(name=name, reduction="sum_over_batch_size", dtype=dtype or "float32")

    def call(self, y_true, y_pred):
        embeddings = ops.cast(y_pred, self.dtype)
        if len(embeddings.shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects embeddings of shape (batch, dim); "
                f"received shape {embeddings.shape}."
            )
        return self.batch_loss(labels_vector(y_true), embeddings)

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                f"{type(self).__name__} reduces the whole batch to one value; "
                "`sample_weight` is not supported."
            )
        # Not `Loss.__call__`: it converts the labels to the loss's float dtype, which
        # would merge class ids above 2**24 in float32. The value is already reduced.
        with keras.name_scope(self.name):
            return self.call(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))

    def batch_loss(self, labels, embeddings):
        raise NotImplementedError

    def _own_config(self):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._own_config()}
