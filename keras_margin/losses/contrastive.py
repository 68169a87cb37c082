"""`ContrastiveLoss`: pull positive pairs within a margin, push negatives beyond one."""

import keras
from keras import ops

from keras_margin.losses import _miners
from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import average_non_zero
from keras_margin.losses._pairs import euclidean_distance
from keras_margin.losses._pairs import pair_masks
from keras_margin.utils import validation

# PML's TripletMarginMiner default, the semi-hard window when the loss has no margin
# of its own that would serve.
DEFAULT_MINER_MARGIN = 0.2


@keras.saving.register_keras_serializable(package="keras_margin")
class ContrastiveLoss(EmbeddingLoss):
    """Hadsell, Chopra and LeCun's contrastive loss on L2-normalised embeddings.

    With `d` the Euclidean distance between L2-normalised embeddings:

        positive pair (same label): relu(d - pos_margin)
        negative pair:              relu(neg_margin - d)

    Each of the two is averaged over its pairs whose loss is > 0 (0 if none) and the
    two averages are added. This is `pytorch_metric_learning.losses.ContrastiveLoss()`
    with its defaults exactly: `LpDistance()` (normalised, p=2), `pos_margin=0`,
    `neg_margin=1`, `AvgNonZeroReducer`, all ordered pairs `(i, j)`, `i != j` (each
    pair counted twice).

    With a `miner` the pairs come from the mined triplets `(a, p, n)`: `(a, p)` and
    `(a, n)` once per triplet, as PML does with a miner's triplets as `indices_tuple`
    (docs/losses.md lists the exact PML miner each name matches).
    Like PML, a batch that yields at most one triplet has loss 0.

    Args:
        pos_margin: distance below which positive pairs cost nothing (default 0).
        neg_margin: distance beyond which negative pairs cost nothing (default 1).
        miner: None (all pairs, default), `"batch_all"`, `"semi_hard"` or
            `"batch_hard"`.
        miner_margin: the semi-hard window `0 < d(a,n) - d(a,p) <= miner_margin`
            (default 0.2, PML's `TripletMarginMiner` default).
        name: loss name.
        dtype: the dtype it computes in (default float32, also under mixed precision).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.ContrastiveLoss()
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], "float32")
    >>> float(loss(np.array([0, 0, 1]), embeddings))  # negatives sqrt(2) > 1 apart
    0.0
    >>> # now the negative pair (0, 1) coincides (1 - 0) and the positives are sqrt(2) apart
    >>> round(float(loss(np.array([0, 1, 1]), embeddings)), 4)
    2.4142

    References:
        - Hadsell, Chopra, LeCun. "Dimensionality Reduction by Learning an Invariant
          Mapping", CVPR 2006. https://doi.org/10.1109/CVPR.2006.100
        - pytorch-metric-learning, `losses.ContrastiveLoss`.
          https://kevinmusgrave.github.io/pytorch-metric-learning/losses/#contrastiveloss
    """

    def __init__(self, pos_margin=0.0, neg_margin=1.0, miner=None,
                 miner_margin=DEFAULT_MINER_MARGIN, name="contrastive_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.pos_margin = validation.number_in_range(pos_margin, "pos_margin")
        self.neg_margin = validation.number_in_range(neg_margin, "neg_margin")
        self.miner = _miners.check_miner(miner)
        self.miner_margin = validation.non_negative(miner_margin, "miner_margin")

    def batch_loss(self, labels, embeddings):
        distance = euclidean_distance(embeddings)
        positive, negative = pair_masks(labels, distance.dtype)
        if self.miner is None:
            positive_weight, negative_weight = positive, negative
        else:
            triplets = _miners.mined_triplets(
                distance, positive, negative, self.miner, self.miner_margin
            )
            positive_weight = ops.sum(triplets, axis=2)
            negative_weight = ops.sum(triplets, axis=1)
        loss = average_non_zero(ops.relu(distance - self.pos_margin), positive_weight) + \
            average_non_zero(ops.relu(self.neg_margin - distance), negative_weight)
        # PML returns 0 when every index list holds at most one entry.
        enough = ops.maximum(ops.sum(positive_weight), ops.sum(negative_weight)) > 1
        return ops.where(enough, loss, 0.0)

    def _own_config(self):
        return {"pos_margin": self.pos_margin, "neg_margin": self.neg_margin,
                "miner": self.miner, "miner_margin": self.miner_margin}
