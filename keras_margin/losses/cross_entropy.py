"""`CrossEntropy`: softmax cross-entropy on logits for class ids or soft labels."""

import keras
import numpy as np
from keras import ops

from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class CrossEntropy(keras.losses.Loss):
    """Softmax cross-entropy on logits that takes class ids or a label matrix.

    Class ids of shape (batch,) or (batch, 1) use the sparse form; a floating
    (batch, num_classes) matrix (one-hot, or soft labels from MixUp, CutMix or label
    smoothing) uses the dense form. The choice is made from static shapes when the
    step is traced, so both cost the same as Keras' own losses. Computed in float32
    whatever the policy, as the heads' logits are.

    With `class_weights` (one weight per class) each sample's loss is multiplied by
    its class's weight, `w[y_b]`, or for a label matrix by `sum_j y_bj w_j`, before the
    reduction; as with Keras' `class_weight` in `fit`, "sum_over_batch_size" then
    divides by the batch size, not by the sum of the weights. Pass a `keras.Variable`
    to change the weights during training without recompiling: the loss reads it at
    every step (`keras_margin.callbacks.DeferredReweighting` writes one).

    With `label_smoothing=epsilon` the target becomes `(1 - epsilon) * y + epsilon / C`
    (class ids are one-hot encoded first). Only the loss's target is smoothed: a
    `MarginModel` still hands the head the class ids, so the whole margin stays on the
    labelled class. To smooth the labels the head sees as well (its margin then spreads
    over the classes by label mass), smooth in the data with
    `keras_margin.data.smooth_labels` instead.

    Args:
        reduction: as for `keras.losses.Loss` (default `"sum_over_batch_size"`).
        name: loss name.
        class_weights: optional per-class weights, a (num_classes,) sequence or array,
            or a `keras.Variable` that is read, not copied.
        label_smoothing: the smoothing mass epsilon, in [0, 1) (default 0).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> loss = km.losses.CrossEntropy()
    >>> logits = np.array([[2.0, 0.0], [0.0, 2.0]], "float32")
    >>> hard = loss(np.array([0, 1]), logits)
    >>> soft = loss(np.array([[1.0, 0.0], [0.0, 1.0]], "float32"), logits)
    >>> bool(abs(float(hard) - float(soft)) < 1e-6)
    True
    """

    def __init__(
        self,
        reduction="sum_over_batch_size",
        name="cross_entropy",
        dtype=None,
        class_weights=None,
        label_smoothing=0.0,
    ):
        super().__init__(reduction=reduction, name=name, dtype=dtype or "float32")
        self.label_smoothing = validation.number_in_range(
            label_smoothing, "label_smoothing", 0.0, 1.0, high_open=True
        )
        if class_weights is not None and not isinstance(class_weights, keras.Variable):
            class_weights = np.asarray(class_weights, "float32")
            if class_weights.ndim != 1 or not np.all(np.isfinite(class_weights)) or np.any(class_weights < 0):
                raise ValueError(
                    "`class_weights` must be a 1-D sequence of finite non-negative numbers; "
                    f"received {class_weights!r}."
                )
        self.class_weights = class_weights

    def call(self, y_true, y_pred):
        y_pred = ops.cast(y_pred, "float32")
        num_classes = y_pred.shape[-1]
        if is_label_matrix(y_true, y_pred) or self.label_smoothing > 0.0:
            y_true = label_matrix(y_true, y_pred)
            # Class weights follow the label mass before smoothing spreads it.
            weights = (
                ops.sum(y_true * self._class_weights(), axis=-1)
                if self.class_weights is not None else None
            )
            if self.label_smoothing > 0.0:
                y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / num_classes
            losses = keras.losses.categorical_crossentropy(y_true, y_pred, from_logits=True)
            return losses if weights is None else losses * weights
        y_true = class_ids(y_true, y_pred)
        losses = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
        if self.class_weights is not None:
            losses = losses * ops.take(self._class_weights(), y_true, axis=0)
        return losses

    def _class_weights(self):
        return ops.cast(ops.convert_to_tensor(self.class_weights), "float32")

    def get_config(self):
        config = {"reduction": self.reduction, "name": self.name}
        if self.label_smoothing:
            config["label_smoothing"] = self.label_smoothing
        if self.class_weights is not None:
            # A variable is saved by value: the schedule that writes it is not saved.
            config["class_weights"] = [float(w) for w in np.asarray(self.class_weights)]
        return config


def is_label_matrix(y_true, y_pred):
    """True for a floating (batch, C) label matrix, from static shapes."""
    num_classes = y_pred.shape[-1]
    return (
        len(y_true.shape) == len(y_pred.shape)
        and y_true.shape[-1] == num_classes
        and num_classes != 1
        and keras.backend.is_float_dtype(keras.backend.standardize_dtype(y_true.dtype))
    )


def class_ids(y_true, y_pred):
    """Class ids (batch,) or (batch, 1) as an int32 vector."""
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, axis=-1)
    return ops.cast(y_true, "int32")


def label_matrix(y_true, y_pred):
    """A float32 (batch, C) label matrix from a matrix or from class ids."""
    if is_label_matrix(y_true, y_pred):
        return ops.cast(y_true, "float32")
    return ops.one_hot(class_ids(y_true, y_pred), y_pred.shape[-1], dtype="float32")
