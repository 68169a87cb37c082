"""LDAM: label-distribution-aware margins, larger for rarer classes."""

import keras
import numpy as np
from keras import ops

from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class LDAM(CosineMarginHead):
    """LDAM head: a CosFace-style margin per class, `m_j` proportional to `n_j^(-1/4)`.

    `n_j` is the number of training samples of class j. The margins are
    `m_j = max_margin * n_j^(-1/4) / max_k n_k^(-1/4)`, so the rarest class gets
    `max_margin`. The target logit is `s * (cos(theta_y) - m_y)`, on L2-normalised
    embeddings and centres (the normalised variant of the official code, with
    `s = 30`); non-target and inference logits are `s * cos(theta_j)`.

    The paper pairs LDAM with deferred re-weighting (DRW): plain cross-entropy first,
    class-balanced weights later. See `keras_margin.callbacks.DeferredReweighting`.

    Args:
        class_counts: the number of training samples of each class, a sequence of at
            least 2 positive integers; its length is the number of classes.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 30.0).
        max_margin: the margin of the rarest class, in [0, 2) (default 0.5).
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments (not `num_classes`).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.LDAM(class_counts=[500, 100, 20, 4], scale=30.0, max_margin=0.5)
    >>> [round(m, 3) for m in head.class_margins]
    [0.15, 0.224, 0.334, 0.5]
    >>> logits = head(np.random.rand(4, 64).astype("float32"),
    ...               labels=np.array([0, 1, 2, 3]), training=True)

    References:
        - Cao, Wei, Gaidon, Arechiga, Ma. "Learning Imbalanced Datasets with
          Label-Distribution-Aware Margin Loss", NeurIPS 2019.
          https://arxiv.org/abs/1906.07413
    """

    def __init__(self, class_counts, scale=30.0, max_margin=0.5, **kwargs):
        self.class_counts = validation.class_counts(class_counts, "class_counts")
        super().__init__(len(self.class_counts), scale=scale, **kwargs)
        self.max_margin = validation.number_in_range(max_margin, "max_margin", 0.0, 2.0, high_open=True)
        quartic_roots = np.asarray(self.class_counts, np.float64) ** -0.25
        self.class_margins = tuple(float(m) for m in self.max_margin * quartic_roots / quartic_roots.max())

    def target_cosine(self, cosine, context):
        margins = ops.convert_to_tensor(np.asarray(self.class_margins), dtype=cosine.dtype)
        return cosine - context.per_class(margins)

    def get_config(self):
        config = super().get_config()
        # num_classes is implied by class_counts, and the constructor does not take it.
        del config["num_classes"]
        config.update(class_counts=list(self.class_counts), max_margin=self.max_margin)
        return config

