"""`Bootstrapping`: cross-entropy against a mix of the given label and the model's belief."""

import keras
from keras import ops

from keras_margin.losses.cross_entropy import label_matrix
from keras_margin.utils import validation

KINDS = ("soft", "hard")
_DEFAULT_BETA = {"soft": 0.95, "hard": 0.8}


@keras.saving.register_keras_serializable(package="keras_margin")
class Bootstrapping(keras.losses.Loss):
    """Reed et al.'s bootstrapping loss for noisy labels, on logits.

    The cross-entropy target is a convex mix of the given label `y` and the model's
    own prediction `q = softmax(logits)`, so a confident prediction that contradicts a
    (possibly wrong) label is pulled towards less strongly:

    - soft: `target = beta * y + (1 - beta) * q`, default `beta = 0.95`. As in the
      paper the gradient flows through `q` in the target too, which makes it
      cross-entropy plus `(1 - beta)` times the entropy of `q`: a push towards
      confident predictions.
    - hard: `target = beta * y + (1 - beta) * one_hot(argmax q)`, default `beta = 0.8`.

    The loss is `-sum_k target_k * log q_k` per sample.

    With a `MarginModel` the loss receives the head's *training* logits, which carry
    the margin on the labelled class, so `q` is the margin-penalised prediction: the
    labelled class looks a little less likely than at inference, and the hard variant
    switches to another class a little earlier. That is the prediction the model is
    trained on; with margin 0 it is the ordinary softmax.

    Labels may be class ids, (batch,) or (batch, 1), or a floating (batch, C) one-hot
    or soft label matrix (MixUp, CutMix, label smoothing).

    Args:
        kind: `"soft"` (default) or `"hard"`.
        beta: weight of the given label, in [0, 1]; None (default) uses the paper's
            0.95 for soft and 0.8 for hard. `beta = 1` is plain cross-entropy.
        reduction: as for `keras.losses.Loss` (default `"sum_over_batch_size"`).
        name: loss name.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.Bootstrapping(kind="hard")
    >>> logits = np.array([[4.0, 0.0], [0.0, 4.0]], "float32")
    >>> value = float(loss(np.array([1, 1]), logits))  # the first label disagrees
    >>> # model = km.MarginModel(backbone, km.heads.ArcFace(10)); model.compile(loss=loss)

    References:
        - Reed, Lee, Anguelov, Szegedy, Erhan, Rabinovich. "Training Deep Neural
          Networks on Noisy Labels with Bootstrapping", ICLR 2015 workshop.
          https://arxiv.org/abs/1412.6596
    """

    def __init__(self, kind="soft", beta=None, reduction="sum_over_batch_size", name="bootstrapping",
                 dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype or "float32")
        if kind not in KINDS:
            raise ValueError(f"`kind` must be one of {KINDS}; received {kind!r}.")
        self.kind = kind
        self.beta = _DEFAULT_BETA[kind] if beta is None else validation.number_in_range(
            beta, "beta", 0.0, 1.0
        )

    def call(self, y_true, y_pred):
        logits = ops.cast(y_pred, "float32")
        labels = label_matrix(y_true, logits)
        log_q = ops.log_softmax(logits, axis=-1)
        if self.kind == "soft":
            belief = ops.exp(log_q)
        else:
            belief = ops.one_hot(ops.argmax(logits, axis=-1), logits.shape[-1], dtype="float32")
        target = self.beta * labels + (1.0 - self.beta) * belief
        return -ops.sum(target * log_q, axis=-1)

    def get_config(self):
        return {"kind": self.kind, "beta": self.beta, "reduction": self.reduction, "name": self.name}
