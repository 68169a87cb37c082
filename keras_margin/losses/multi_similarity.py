"""`MultiSimilarityLoss`: soft weighting of every positive and negative pair."""

import keras
from keras import ops

from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import cosine_similarity
from keras_margin.losses._pairs import masked_log_sum_exp
from keras_margin.losses._pairs import pair_masks
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class MultiSimilarityLoss(EmbeddingLoss):
    """Wang et al.'s multi-similarity loss on cosine similarities.

    With `S_ij` the cosine similarity, `P_i` the other samples with the label of `i`
    and `N_i` those with another label, each sample contributes

        1/alpha * log(1 + sum_{p in P_i} exp(-alpha (S_ip - base)))
      + 1/beta  * log(1 + sum_{n in N_i} exp( beta (S_in - base)))

    (an empty sum gives 0) and the loss is the mean over the batch. With the defaults
    this is `pytorch_metric_learning.losses.MultiSimilarityLoss()` exactly:
    `alpha=2`, `beta=50`, `base=0.5`, `CosineSimilarity()`, `MeanReducer`, all pairs.
    The paper's pair mining is a separate step in PML (`MultiSimilarityMiner`) and is
    not part of this loss either.

    Args:
        alpha: weight of the positive pairs, > 0 (default 2).
        beta: weight of the negative pairs, > 0 (default 50).
        base: the similarity margin `lambda` (default 0.5).
        name: loss name.
        dtype: the dtype it computes in (default float32, also under mixed precision).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.MultiSimilarityLoss()
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], "float32")
    >>> # S = 1 for the positive pair, 0 for the negatives: log(1 + e^-1) / 2 + log(1 + e^-25) / 50
    >>> round(float(loss(np.array([0, 0, 1]), embeddings)), 4)
    0.1044

    References:
        - Wang, Han, Huang, Dong, Scott. "Multi-Similarity Loss with General Pair
          Weighting for Deep Metric Learning", CVPR 2019.
          https://arxiv.org/abs/1904.06627
        - pytorch-metric-learning, `losses.MultiSimilarityLoss`.
    """

    def __init__(self, alpha=2.0, beta=50.0, base=0.5, name="multi_similarity_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.alpha = validation.positive(alpha, "alpha")
        self.beta = validation.positive(beta, "beta")
        self.base = validation.number_in_range(base, "base")

    def batch_loss(self, labels, embeddings):
        similarity = cosine_similarity(embeddings)
        positive, negative = pair_masks(labels, similarity.dtype)
        positive_loss = masked_log_sum_exp(
            -self.alpha * (similarity - self.base), positive, add_one=True
        ) / self.alpha
        negative_loss = masked_log_sum_exp(
            self.beta * (similarity - self.base), negative, add_one=True
        ) / self.beta
        return ops.mean(positive_loss + negative_loss)

    def _own_config(self):
        return {"alpha": self.alpha, "beta": self.beta, "base": self.base}
