"""Expected calibration error (Guo et al., 2017), as a NumPy function and as a
streaming Keras metric that gives the same value over batches."""

import keras
import numpy as np
from keras import ops

from keras_margin.metrics import _checks
from keras_margin.utils import validation


def expected_calibration_error(labels, probabilities, num_bins=15, sample_weight=None):
    """Gap between confidence and accuracy, averaged over equal-width confidence bins.

    Each sample's confidence is its largest probability and its prediction the class
    with that probability (the lowest id on ties). Confidences are put into `num_bins`
    bins of equal width, `(k / M, (k + 1) / M]` with the first bin also holding 0, and

        ECE = sum over bins b of (n_b / n) * |accuracy(b) - mean confidence(b)|,

    empty bins contributing nothing. With `sample_weight`, every count and mean is
    weighted.

    Args:
        labels: class ids, shape (n,) or (n, 1).
        probabilities: (n, num_classes) rows that sum to 1.
        num_bins: number of confidence bins, at least 1 (15 as in Guo et al.).
        sample_weight: optional (n,) non-negative weights, not all zero.

    Returns:
        A float in [0, 1].
    """
    num_bins = validation.integer_at_least(num_bins, 1, "num_bins")
    probabilities = _checks.probability_matrix(probabilities)
    labels = _checks.class_ids(labels, num_classes=probabilities.shape[1])
    _checks.same_length(labels, "labels", probabilities, "probabilities")
    if sample_weight is None:
        weights = np.ones(labels.shape, dtype=np.float64)
    else:
        weights = _checks.finite_vector(sample_weight, "sample_weight")
        _checks.same_length(labels, "labels", weights, "sample_weight")
        if weights.min() < 0 or weights.sum() == 0:
            raise ValueError("`sample_weight` must be non-negative and not all zero.")
    confidences = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)
    bins = np.clip(np.searchsorted(bin_edges(num_bins), confidences, side="left") - 1, 0, None)
    # sum_b (n_b / n) |acc_b - conf_b| == sum_b |sum_{i in b} (correct_i - conf_i)| / n.
    gaps = np.bincount(bins, weights=weights * (correct - confidences), minlength=num_bins)
    return float(np.abs(gaps).sum() / weights.sum())


def bin_edges(num_bins):
    """The `num_bins + 1` float64 bin edges from 0 to 1, shared by both implementations
    so that a confidence on an edge lands in the same bin in each."""
    return np.linspace(0.0, 1.0, num_bins + 1)


@keras.saving.register_keras_serializable(package="keras_margin")
class ExpectedCalibrationError(keras.metrics.Metric):
    """Streaming expected calibration error (see `expected_calibration_error`).

    Keeps, per confidence bin, the summed sample weight, confidence and correctness in
    float64, so the value after any split into batches equals the NumPy function's on
    the concatenated data.

    `y_true` may be class ids, shape (batch,) or (batch, 1), or a (batch, num_classes)
    one-hot or soft label matrix (its argmax is the label). `MarginModel` passes logits
    to its compiled metrics, so use `from_logits=True` there.

    Args:
        num_bins: number of equal-width confidence bins, at least 1.
        from_logits: whether `y_pred` holds logits (a softmax is applied, in float64)
            rather than probabilities.
        name, dtype: as for any Keras metric.

    Example:

    >>> import keras, numpy as np, keras_margin as km
    >>> probabilities = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    >>> labels = np.array([0, 1, 1])
    >>> metric = km.metrics.ExpectedCalibrationError(num_bins=5)
    >>> metric.update_state(labels[:2], probabilities[:2])  # two batches ...
    >>> metric.update_state(labels[2:], probabilities[2:])
    >>> expected = km.metrics.expected_calibration_error(labels, probabilities, num_bins=5)
    >>> bool(np.isclose(float(metric.result()), expected))  # ... give the NumPy value
    True
    >>> backbone = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> model = km.MarginModel(backbone, km.heads.ArcFace(2))
    >>> model.compile(optimizer="adam",
    ...               metrics=[km.metrics.ExpectedCalibrationError(from_logits=True)])
    """

    def __init__(self, num_bins=15, from_logits=False, name="expected_calibration_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_bins = validation.integer_at_least(num_bins, 1, "num_bins")
        if not isinstance(from_logits, bool):
            raise ValueError(f"`from_logits` must be True or False; received {from_logits!r}.")
        self.from_logits = from_logits
        self._edges = bin_edges(self.num_bins)
        self.bin_weights = self._bin_variable("bin_weights")
        self.bin_confidences = self._bin_variable("bin_confidences")
        self.bin_correct = self._bin_variable("bin_correct")

    def _bin_variable(self, name):
        return self.add_variable(
            shape=(self.num_bins,), initializer="zeros", dtype="float64", name=name
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), "float64")
        if self.from_logits:
            y_pred = ops.softmax(y_pred, axis=-1)
        num_classes = y_pred.shape[-1]
        y_true = ops.convert_to_tensor(y_true)
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == num_classes:
            labels = ops.argmax(y_true, axis=-1)
        else:
            labels = ops.reshape(y_true, (-1,))
        labels = ops.cast(labels, "int64")
        predictions = ops.argmax(y_pred, axis=-1)
        # Read through the argmax: Keras' `max` refuses an empty batch.
        confidences = ops.take_along_axis(y_pred, predictions[:, None], axis=-1)[:, 0]
        correct = ops.cast(ops.equal(predictions, labels), "float64")
        bins = ops.searchsorted(ops.convert_to_tensor(self._edges), confidences, side="left") - 1
        bins = ops.clip(bins, 0, self.num_bins - 1)
        if sample_weight is None:
            weights = ops.ones_like(confidences)
        else:
            weights = ops.reshape(ops.cast(ops.convert_to_tensor(sample_weight), "float64"), (-1,))
            weights = ops.broadcast_to(weights, ops.shape(confidences))
        # A (batch, bins) one-hot product rather than segment_sum, whose TensorFlow
        # form fails on an empty batch.
        membership = ops.one_hot(ops.cast(bins, "int32"), self.num_bins, dtype="float64")
        for variable, values in (
            (self.bin_weights, weights),
            (self.bin_confidences, weights * confidences),
            (self.bin_correct, weights * correct),
        ):
            variable.assign_add(ops.matmul(values[None, :], membership)[0])

    def result(self):
        total = ops.sum(self.bin_weights)
        gaps = ops.sum(ops.abs(self.bin_correct - self.bin_confidences))
        # 0 before any update, rather than 0 / 0.
        return ops.where(total > 0, gaps / ops.maximum(total, 1e-300), 0.0)

    def get_config(self):
        config = super().get_config()
        config.update(num_bins=self.num_bins, from_logits=self.from_logits)
        return config
