"""`TripletMarginLoss`: an anchor nearer its positive than its negative, by a margin."""

import keras
from keras import ops

from keras_margin.losses import _miners
from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import average_non_zero
from keras_margin.losses._pairs import euclidean_distance
from keras_margin.losses._pairs import pair_masks
from keras_margin.losses._pairs import triplet_mask
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class TripletMarginLoss(EmbeddingLoss):
    """The triplet loss of FaceNet on L2-normalised embeddings.

    For a triplet of an anchor `a`, a positive `p` (same label) and a negative `n`,
    with `d` the Euclidean distance between L2-normalised embeddings:

        relu(d(a, p) - d(a, n) + margin)

    averaged over the triplets whose loss is > 0 (0 if none). With the defaults this
    is `pytorch_metric_learning.losses.TripletMarginLoss()` exactly: `margin=0.05`,
    `LpDistance()` (normalised, p=2), every valid triplet
    (`triplets_per_anchor="all"`), `AvgNonZeroReducer`, `swap=False`,
    `smooth_loss=False`. Averaging over the non-zero triplets of all of them is the
    "batch all" loss of Hermans et al.

    Miners pick the triplets (docs/losses.md lists the exact PML miner each name
    matches): `"batch_all"` (the same triplets as None),
    `"semi_hard"` (FaceNet: `0 < d(a, n) - d(a, p) <= miner_margin`) and
    `"batch_hard"` (per anchor its farthest positive and nearest negative, Hermans
    et al.'s "batch hard").

    Args:
        margin: the margin, >= 0 (default 0.05).
        miner: None (all triplets, default), `"batch_all"`, `"semi_hard"` or
            `"batch_hard"`.
        miner_margin: the semi-hard window; None (default) uses `margin`, as FaceNet.
        swap: use `min(d(a, n), d(p, n))` as the negative distance (Balntas et al.).
        smooth_loss: `softplus` instead of `relu` (every triplet then counts).
        name: loss name.
        dtype: the dtype it computes in (default float32, also under mixed precision).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard")
    >>> embeddings = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], "float32")
    >>> # anchor 0 keeps the margin: d(0, 1) = 0.632 < d(0, 2) - 0.2 = 0.694; anchor 1
    >>> # does not: d(1, 0) - d(1, 2) + 0.2 = 0.632 - 0.283 + 0.2
    >>> round(float(loss(np.array([0, 0, 1]), embeddings)), 4)
    0.5496

    References:
        - Schroff, Kalenichenko, Philbin. "FaceNet: A Unified Embedding for Face
          Recognition and Clustering", CVPR 2015. https://arxiv.org/abs/1503.03832
        - Hermans, Beyer, Leibe. "In Defense of the Triplet Loss for Person
          Re-Identification", 2017. https://arxiv.org/abs/1703.07737
        - Balntas, Riba, Ponsa, Mikolajczyk. "Learning local feature descriptors with
          triplets and shallow convolutional neural networks", BMVC 2016.
        - pytorch-metric-learning, `losses.TripletMarginLoss`, `miners.BatchHardMiner`,
          `miners.TripletMarginMiner`.
    """

    def __init__(self, margin=0.05, miner=None, miner_margin=None, swap=False,
                 smooth_loss=False, name="triplet_margin_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.margin = validation.non_negative(margin, "margin")
        self.miner = _miners.check_miner(miner)
        self.miner_margin = None if miner_margin is None else validation.non_negative(
            miner_margin, "miner_margin"
        )
        for value, argument in ((swap, "swap"), (smooth_loss, "smooth_loss")):
            if not isinstance(value, bool):
                raise ValueError(f"`{argument}` must be True or False; received {value!r}.")
        self.swap = swap
        self.smooth_loss = smooth_loss

    def batch_loss(self, labels, embeddings):
        distance = euclidean_distance(embeddings)
        positive, negative = pair_masks(labels, distance.dtype)
        if self.miner is None:
            triplets = triplet_mask(positive, negative)
        else:
            window = self.margin if self.miner_margin is None else self.miner_margin
            triplets = _miners.mined_triplets(distance, positive, negative, self.miner, window)
        anchor_positive = distance[:, :, None]  # [a, p, n] = d(a, p)
        anchor_negative = distance[:, None, :]  # [a, p, n] = d(a, n)
        if self.swap:
            anchor_negative = ops.minimum(anchor_negative, distance[None, :, :])  # d(p, n)
        violation = anchor_positive - anchor_negative + self.margin
        losses = ops.softplus(violation) if self.smooth_loss else ops.relu(violation)
        return average_non_zero(losses, triplets)

    def _own_config(self):
        return {"margin": self.margin, "miner": self.miner, "miner_margin": self.miner_margin,
                "swap": self.swap, "smooth_loss": self.smooth_loss}
