"""CosFace (AM-Softmax): an additive cosine margin."""

import keras

from keras_margin.heads.cosine_margin_head import CosineMarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class CosFace(CosineMarginHead):
    """CosFace / AM-Softmax head: target logit `s * (cos(theta_y) - m)`.

    Non-target logits are `s * cos(theta_j)`. At inference (no labels, or
    `training=False`) every logit is `s * cos(theta_j)`.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0, or `"auto"` (see `CosineMarginHead`) (default 64.0).
        margin: the cosine margin `m` in [0, 2) (default 0.35). At 2 or more the target
            logit could never exceed another one.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> head = km.heads.CosFace(num_classes=10, scale=64.0, margin=0.35)
    >>> embeddings = np.random.rand(4, 64).astype("float32")
    >>> train_logits = head(embeddings, labels=np.array([0, 1, 2, 3]), training=True)
    >>> serve_logits = head(embeddings)  # no labels: s * cos(theta), no margin

    References:
        - Wang et al. "CosFace: Large Margin Cosine Loss for Deep Face Recognition",
          CVPR 2018. https://arxiv.org/abs/1801.09414
        - Wang, Cheng, Liu, Liu. "Additive Margin Softmax for Face Verification",
          IEEE Signal Processing Letters 2018. https://arxiv.org/abs/1801.05599
    """

    def __init__(self, num_classes, scale=64.0, margin=0.35, **kwargs):
        super().__init__(num_classes, scale=scale, **kwargs)
        self.margin = validation.number_in_range(margin, "margin", 0.0, 2.0, high_open=True)

    def target_cosine(self, cosine, context):
        return cosine - self.margin

    def get_config(self):
        config = super().get_config()
        config["margin"] = self.margin
        return config
