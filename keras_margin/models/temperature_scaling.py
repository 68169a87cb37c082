"""`fit_temperature`: the temperature of temperature scaling, fitted by validation NLL."""

import math

import numpy as np

# The search interval of T. Outside it a model is either near one-hot at any T (huge
# logits) or uniform at any T; the optimum of a trained model lies far inside.
TEMPERATURE_BOUNDS = (1e-3, 1e3)


def fit_temperature(logits, labels, bounds=TEMPERATURE_BOUNDS):
    """The `T > 0` minimising the mean negative log-likelihood of `softmax(logits / T)`.

    With `b = 1 / T` the NLL, `mean(logsumexp(b z) - b z_y)`, is convex in `b` (a
    log-sum-exp of linear functions minus a linear one), so it is unimodal in `log T`
    and a bounded Brent search on `log T` finds its global minimum in `bounds`. The
    sums are in float64. If the optimum lies at a bound (e.g. every validation example
    is right with a growing margin, so the NLL keeps falling as `T -> 0`), the bound is
    returned (or, where the NLL underflows to 0 near it, any T at which it does).

    Args:
        logits: (n, num_classes) finite logits.
        labels: (n,) class ids, or (n, num_classes) probability rows (soft labels).
        bounds: `(low, high)` interval of T, 0 < low < high.

    Returns:
        The temperature, a float.

    Example:

    >>> import numpy as np
    >>> logits = np.array([[8.0, 0.0], [8.0, 0.0], [8.0, 0.0], [0.0, 8.0]])
    >>> round(fit_temperature(logits, np.array([0, 0, 1, 1])), 2)  # one in four wrong
    7.28

    References:
        Guo et al., "On Calibration of Modern Neural Networks", ICML 2017.
    """
    from scipy import optimize

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] < 2:
        raise ValueError(f"`logits` must be (n >= 1, num_classes >= 2); received shape {logits.shape}.")
    if not np.all(np.isfinite(logits)):
        raise ValueError("`logits` must be finite.")
    targets = _target_distribution(labels, logits.shape)
    low, high = (float(bound) for bound in bounds)
    if not (0 < low < high and math.isfinite(high)):
        raise ValueError(f"`bounds` must be 0 < low < high < inf; received {bounds!r}.")

    def nll(log_temperature):
        return negative_log_likelihood(logits, targets, math.exp(log_temperature))

    result = optimize.minimize_scalar(nll, bounds=(math.log(low), math.log(high)), method="bounded",
                                      options={"xatol": 1e-7})
    return float(math.exp(result.x))


def negative_log_likelihood(logits, labels, temperature=1.0):
    """Mean negative log-likelihood of `softmax(logits / temperature)`, in float64.

    Args:
        logits: (n, num_classes) logits.
        labels: (n,) class ids or (n, num_classes) probability rows.
        temperature: T > 0.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = _target_distribution(labels, logits.shape)
    scaled = logits / temperature
    peak = scaled.max(axis=-1, keepdims=True)
    log_normaliser = peak[:, 0] + np.log(np.exp(scaled - peak).sum(axis=-1))
    return float(np.mean(log_normaliser - np.sum(targets * scaled, axis=-1)))


def _target_distribution(labels, shape):
    labels = np.asarray(labels)
    n, num_classes = shape
    if labels.ndim == 2 and labels.shape == (n, num_classes):
        return labels.astype(np.float64)
    labels = labels.reshape(-1)
    if labels.shape != (n,):
        raise ValueError(f"`labels` must be ({n},) class ids or ({n}, {num_classes}) rows; "
                         f"received shape {np.shape(labels)}.")
    if not np.issubdtype(labels.dtype, np.integer):
        rounded = np.round(labels)
        if not np.array_equal(rounded, labels):
            raise ValueError("`labels` must be integer class ids.")
        labels = rounded.astype(np.int64)
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"`labels` must be class ids in [0, {num_classes}).")
    return np.eye(num_classes, dtype=np.float64)[labels]
