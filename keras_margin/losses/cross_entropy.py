"""`CrossEntropy`: softmax cross-entropy on logits for class ids or soft labels."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_margin")
class CrossEntropy(keras.losses.Loss):
    """Softmax cross-entropy on logits that takes class ids or a label matrix.

    Class ids of shape (batch,) or (batch, 1) use the sparse form; a floating
    (batch, num_classes) matrix (one-hot, or soft labels from MixUp, CutMix or label
    smoothing) uses the dense form. The choice is made from static shapes when the
    step is traced, so both cost the same as Keras' own losses. Computed in float32
    whatever the policy, as the heads' logits are.

    Args:
        reduction: as for `keras.losses.Loss` (default `"sum_over_batch_size"`).
        name: loss name.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.CrossEntropy()
    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0]], "float32")
    >>> hard = loss(np.array([0, 1]), logits)
    >>> soft = loss(np.array([[1.0, 0.0], [0.0, 1.0]], "float32"), logits)
    >>> bool(abs(float(hard) - float(soft)) < 1e-6)
    True
    """

    def __init__(self, reduction="sum_over_batch_size", name="cross_entropy", dtype=None):
        super().__init__(reduction=reduction, name=name, dtype=dtype or "float32")

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        num_classes = y_pred.shape[-1]
        if (
            len(y_true.shape) == len(y_pred.shape)
            and y_true.shape[-1] == num_classes
            and num_classes != 1
            and keras.backend.is_float_dtype(keras.backend.standardize_dtype(y_true.dtype))
        ):
            return keras.losses.categorical_crossentropy(
                ops.cast(y_true, "float32"), y_pred, from_logits=True
            )
        if len(y_true.shape) == len(y_pred.shape):
            y_true = ops.squeeze(y_true, axis=-1)
        return keras.losses.sparse_categorical_crossentropy(
            ops.cast(y_true, "int32"), y_pred, from_logits=True
        )

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}
