"""`SupConLoss`: supervised contrastive loss, all positives of an anchor in one term."""

import keras
from keras import ops

from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import average_non_zero
from keras_margin.losses._pairs import cosine_similarity
from keras_margin.losses._pairs import masked_log_sum_exp
from keras_margin.losses._pairs import pair_masks
from keras_margin.losses._pairs import safe_divide
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class SupConLoss(EmbeddingLoss):
    """Khosla et al.'s supervised contrastive loss (the "L_out" form).

    With `s_ij = cos(x_i, x_j) / temperature`, `P_i` the other samples with the label
    of `i` and `A_i` all samples but `i`, each anchor with positives contributes

        -1/|P_i| sum_{p in P_i} ( s_ip - log sum_{a in A_i} exp(s_ia) )

    and the loss is the mean over the anchors whose term is > 0. With the defaults
    this is `pytorch_metric_learning.losses.SupConLoss()` exactly:
    `temperature=0.1`, `CosineSimilarity()`, `AvgNonZeroReducer`; 0 when the batch has
    no positive pair or no negative pair.

    Args:
        temperature: the softmax temperature, > 0 (default 0.1).
        name: loss name.
        dtype: the dtype it computes in (default float32, also under mixed precision).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.SupConLoss(temperature=1.0)
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], "float32")
    >>> # anchors 0 and 1: -log(e^1 / (e^1 + e^0)); anchor 2 has no positive
    >>> round(float(loss(np.array([0, 0, 1]), embeddings)), 4)
    0.3133

    References:
        - Khosla, Teterwak, Sarna, Tian, Isola, Maschinot, Liu, Krishnan. "Supervised
          Contrastive Learning", NeurIPS 2020. https://arxiv.org/abs/2004.11362
        - pytorch-metric-learning, `losses.SupConLoss`.
    """

    def __init__(self, temperature=0.1, name="supcon_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.temperature = validation.positive(temperature, "temperature")

    def batch_loss(self, labels, embeddings):
        logits = cosine_similarity(embeddings) / self.temperature
        # As PML: shifting by the row maximum (the self-similarity, mostly) changes
        # nothing in exact arithmetic, but s_ip - log_partition of a near-certain
        # positive is then a difference of numbers near 0, not near 1 / temperature.
        logits = logits - ops.stop_gradient(ops.max(logits, axis=1, keepdims=True))
        positive, negative = pair_masks(labels, logits.dtype)
        log_partition = masked_log_sum_exp(logits, positive + negative, add_one=False)
        log_probability = logits - log_partition[:, None]
        losses = -safe_divide(
            ops.sum(positive * log_probability, axis=1), ops.sum(positive, axis=1)
        )
        anchors = ops.ones_like(losses)
        loss = average_non_zero(losses, anchors)
        both = ops.logical_and(ops.any(positive > 0), ops.any(negative > 0))
        return ops.where(both, loss, 0.0)

    def _own_config(self):
        return {"temperature": self.temperature}
