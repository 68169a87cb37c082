"""`CosineMarginHead`: base class of the heads whose logits are `s * cos(theta)`."""

import keras
from keras import ops

from keras_margin.heads.base import MarginHead
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class CosineMarginHead(MarginHead):
    """A head on unit embeddings and unit class centres with a fixed scale `s`.

    Logits are `s * cos(theta_bj)`; subclasses override `target_cosine` to add their
    margin to the target class. Without an override this is NormFace.

    Args:
        num_classes: number of classes, at least 2.
        scale: the scale `s` > 0 applied to every cosine.
        **kwargs: `MarginHead` and `keras.layers.Layer` arguments.
    """

    def __init__(self, num_classes, scale=30.0, **kwargs):
        super().__init__(num_classes, **kwargs)
        self.scale = validation.positive(scale, "scale")

    def logit_scale(self, embedding_norms):
        return ops.ones_like(embedding_norms) * self.scale

    def get_config(self):
        config = super().get_config()
        config["scale"] = self.scale
        return config
