"""Triplet miners shared by `TripletMarginLoss` and `ContrastiveLoss`.

A miner turns the batch into a (batch, batch, batch) 0/1 weight on the triplets
`[anchor, positive, negative]` it keeps, computed without gradient as PML's miners
are. Each name matches one PML configuration (with PML's default `LpDistance()`):

- `"batch_all"`: every valid triplet, the indices of PML's
  `lmu.get_all_triplets_indices(labels)` passed as `indices_tuple`.
- `"semi_hard"`: `TripletMarginMiner(margin=m, type_of_triplets="semihard")`, the
  triplets with `0 < d(a, n) - d(a, p) <= m`.
- `"batch_hard"`: `BatchHardMiner()`, per anchor that has a positive and a negative
  one triplet of its farthest positive and its nearest negative.
"""

from keras import ops

from keras_margin.losses._pairs import triplet_mask

MINERS = ("batch_all", "semi_hard", "batch_hard")


def check_miner(miner):
    """Returns `miner`; raises unless it is None or one of `MINERS`."""
    if miner is not None and miner not in MINERS:
        raise ValueError(f"`miner` must be None or one of {MINERS}; received {miner!r}.")
    return miner


def mined_triplets(distance, positive, negative, miner, margin):
    """The (batch, batch, batch) 0/1 weights of the triplets `miner` keeps.

    Args:
        distance: (batch, batch) distances (larger = less alike).
        positive, negative: the (batch, batch) masks of `pair_masks`.
        miner: one of `MINERS`.
        margin: the semi-hard window `m`; unused by the other miners.
    """
    distance = ops.stop_gradient(distance)
    valid = triplet_mask(positive, negative)
    if miner == "batch_all":
        return valid
    if miner == "semi_hard":
        gap = distance[:, None, :] - distance[:, :, None]  # [a, p, n] = d(a, n) - d(a, p)
        window = ops.logical_and(gap > 0, gap <= margin)
        return valid * ops.cast(window, valid.dtype)
    # batch_hard: distances are >= 0, so -1 and max + 1 are never picked over a real pair.
    farthest = ops.argmax(ops.where(positive > 0, distance, -1.0), axis=1)
    beyond = ops.max(distance) + 1.0
    nearest = ops.argmin(ops.where(negative > 0, distance, beyond), axis=1)
    farthest, nearest = ops.cast(farthest, "int32"), ops.cast(nearest, "int32")
    columns = ops.arange(ops.shape(distance)[0], dtype="int32")[None, :]
    hardest_positive = ops.cast(ops.equal(columns, farthest[:, None]), valid.dtype)
    hardest_negative = ops.cast(ops.equal(columns, nearest[:, None]), valid.dtype)
    has_both = ops.cast(
        ops.logical_and(ops.any(positive > 0, axis=1), ops.any(negative > 0, axis=1)),
        valid.dtype,
    )
    return has_both[:, None, None] * hardest_positive[:, :, None] * hardest_negative[:, None, :]
