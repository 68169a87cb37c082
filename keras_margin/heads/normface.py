"""NormFace: scaled cosine logits without a margin."""

import keras

from keras_margin.heads.cosine_margin_head import CosineMarginHead


@keras.saving.register_keras_serializable(package="keras_margin")
class NormFace(CosineMarginHead):
    """NormFace head: logits `s * cos(theta_j)` on L2-normalised embeddings and centres.

    The normalised-softmax baseline of the margin family: every cosine head without its
    margin. Training and inference logits are the same.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0 or `"auto"` (default 30.0). With unit vectors the logits lie in
            [-s, s]; too small a scale keeps the softmax from ever becoming confident
            (the NormFace paper's lower bound on the loss), too large a scale makes
            training behave like plain softmax on a hard max.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.NormFace(num_classes=10, scale=30.0)
    >>> logits = head(np.random.rand(4, 64).astype("float32"))
    >>> tuple(logits.shape)
    (4, 10)

    References:
        - Wang, Xiang, Cheng, Yuille. "NormFace: L2 Hypersphere Embedding for Face
          Verification", ACM Multimedia 2017. https://arxiv.org/abs/1704.06369
    """

    has_margin = False
