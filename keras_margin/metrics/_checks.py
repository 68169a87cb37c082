"""Array checks for the metric functions: float64 / int64 arrays, or a `ValueError`
that names the argument."""

import numpy as np

# How far a row of `probabilities` may sum from 1. Loose enough for float32 softmax
# output over many classes, tight enough to catch logits or unnormalised scores passed
# by mistake (which would make calibration and AUC numbers meaningless).
_ROW_SUM_TOLERANCE = 1e-3


def class_ids(labels, name="labels", num_classes=None):
    """`labels` as a 1-D int64 array of class ids in `[0, num_classes)`.

    Accepts shape `(n,)` or `(n, 1)`, integer dtypes, and floats holding whole numbers
    (labels read back from float tensors).
    """
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"`{name}` must be class ids of shape (n,) or (n, 1); received shape {array.shape}."
        )
    if array.size == 0:
        raise ValueError(f"`{name}` must not be empty.")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise ValueError(f"`{name}` must hold whole-number class ids; received {array[:5]}...")
    elif array.dtype.kind not in "iu":
        raise ValueError(f"`{name}` must hold integer class ids; received dtype {array.dtype}.")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"`{name}` must hold class ids >= 0; received {array.min()}.")
    if num_classes is not None and array.max() >= num_classes:
        raise ValueError(
            f"`{name}` must hold class ids below the number of classes ({num_classes}); "
            f"received {array.max()}."
        )
    return array


def probability_matrix(probabilities, name="probabilities"):
    """`probabilities` as a float64 (n, num_classes) array of rows that sum to 1."""
    array = finite_matrix(probabilities, name)
    if array.shape[1] < 2:
        raise ValueError(f"`{name}` must have at least 2 columns (classes); received {array.shape}.")
    if array.min() < 0.0 or array.max() > 1.0:
        raise ValueError(
            f"`{name}` must lie in [0, 1] (pass softmax outputs, not logits); received values "
            f"in [{array.min():g}, {array.max():g}]."
        )
    row_sums = array.sum(axis=1)
    worst = int(np.argmax(np.abs(row_sums - 1.0)))
    if abs(row_sums[worst] - 1.0) > _ROW_SUM_TOLERANCE:
        raise ValueError(
            f"Every row of `{name}` must sum to 1; row {worst} sums to {row_sums[worst]:g}."
        )
    return array


def finite_matrix(values, name):
    """`values` as a non-empty float64 2-D array with no NaN or infinity."""
    array = _float_array(values, name)
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"`{name}` must be a non-empty 2-D array; received shape {array.shape}.")
    _check_finite(array, name)
    return array


def finite_vector(values, name):
    """`values` as a non-empty float64 1-D array with no NaN or infinity."""
    array = _float_array(values, name)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"`{name}` must be a non-empty 1-D array; received shape {array.shape}.")
    _check_finite(array, name)
    return array


def same_length(first, first_name, second, second_name):
    if len(first) != len(second):
        raise ValueError(
            f"`{first_name}` and `{second_name}` must have the same length; received "
            f"{len(first)} and {len(second)}."
        )


def scores_and_is_same(scores, is_same):
    """Validated verification inputs: float64 scores and a boolean genuine mask.

    Both kinds of pair must be present: with no genuine (or no impostor) pairs the
    acceptance (or false-acceptance) rate is 0 / 0.
    """
    scores = finite_vector(scores, "scores")
    mask = np.asarray(is_same)
    if mask.ndim != 1:
        raise ValueError(f"`is_same` must be a 1-D array; received shape {mask.shape}.")
    if mask.dtype != bool:
        if mask.dtype.kind not in "iuf" or not np.all((mask == 0) | (mask == 1)):
            raise ValueError("`is_same` must be boolean or hold only 0 and 1.")
        mask = mask.astype(bool)
    same_length(scores, "scores", mask, "is_same")
    if not mask.any() or mask.all():
        raise ValueError(
            "`is_same` must contain both genuine (True) and impostor (False) pairs; received "
            f"{int(mask.sum())} genuine and {int((~mask).sum())} impostor pairs."
        )
    return scores, mask


def unit_rows(matrix):
    """Rows of `matrix` divided by their norms, zero rows left at zero.

    A zero vector has no direction. As in the heads, it is treated as orthogonal to
    everything (cosine 0, angle 90 degrees) instead of raising, so one dead embedding
    does not abort a whole evaluation.
    """
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def _float_array(values, name):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be a numeric array; {error}") from None


def _check_finite(array, name):
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must not contain NaN or infinity.")
