"""`NTXentLoss`: SimCLR's normalised-temperature cross-entropy, one term per positive pair."""

import keras
from keras import ops

from keras_margin.losses._pairs import EmbeddingLoss
from keras_margin.losses._pairs import cosine_similarity
from keras_margin.losses._pairs import masked_log_sum_exp
from keras_margin.losses._pairs import pair_masks
from keras_margin.losses._pairs import safe_divide
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class NTXentLoss(EmbeddingLoss):
    """SimCLR's NT-Xent (InfoNCE) loss; samples with the same label are positives.

    With `s_ij = cos(x_i, x_j) / temperature`, every ordered positive pair `(a, p)`
    (same label, `a != p`) is one softmax cross-entropy term against the negatives
    of `a` only (not its other positives):

        -log( exp(s_ap) / (exp(s_ap) + sum_{n: label_n != label_a} exp(s_an)) )

    and the loss is the mean over the positive pairs. For SimCLR, label the two
    augmented views of an image with the same id. With the defaults this is
    `pytorch_metric_learning.losses.NTXentLoss()` exactly: `temperature=0.07`,
    `CosineSimilarity()`, `MeanReducer` over the positive pairs; 0 when the batch has
    no positive pair or no negative pair, and a pair whose anchor has no negative
    costs 0. (PML adds `finfo.tiny` inside the log, which changes the value only when
    the softmax underflows; this form is the exact log-softmax and stays finite.)

    Args:
        temperature: the softmax temperature, > 0 (default 0.07).
        name: loss name.
        dtype: the dtype it computes in (default float32, also under mixed precision).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.NTXentLoss(temperature=1.0)
    >>> embeddings = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], "float32")
    >>> # each positive pair: -log(e^1 / (e^1 + e^0))
    >>> round(float(loss(np.array([0, 0, 1]), embeddings)), 4)
    0.3133

    References:
        - Chen, Kornblith, Norouzi, Hinton. "A Simple Framework for Contrastive
          Learning of Visual Representations", ICML 2020.
          https://arxiv.org/abs/2002.05709
        - Sohn. "Improved Deep Metric Learning with Multi-class N-pair Loss
          Objective", NeurIPS 2016.
        - pytorch-metric-learning, `losses.NTXentLoss`.
    """

    def __init__(self, temperature=0.07, name="ntxent_loss", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.temperature = validation.positive(temperature, "temperature")

    def batch_loss(self, labels, embeddings):
        logits = cosine_similarity(embeddings) / self.temperature
        positive, negative = pair_masks(labels, logits.dtype)
        # log sum_n exp(s_an), per anchor; the term is log(exp(s_ap) + that) - s_ap.
        negatives = masked_log_sum_exp(logits, negative, add_one=False)[:, None]
        has_negative = ops.any(negative > 0, axis=1, keepdims=True)
        terms = ops.where(has_negative, ops.softplus(negatives - logits), 0.0)
        loss = safe_divide(ops.sum(positive * terms), ops.sum(positive))
        return ops.where(ops.any(negative > 0), loss, 0.0)

    def _own_config(self):
        return {"temperature": self.temperature}
