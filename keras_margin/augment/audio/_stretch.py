"""Argument checks shared by `TimeStretch` and `PitchShift`."""

import math
import numbers

from keras_margin.utils import validation


def check_pair(value, name, low, high):
    """A `(a, b)` pair of finite numbers with `low <= a <= b <= high`, as floats."""
    message = (
        f"`{name}` must be a pair (low, high) of numbers with "
        f"{low:g} <= low <= high <= {high:g}; received {value!r}."
    )
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(message)
    for bound in value:
        if (
            isinstance(bound, bool)
            or not isinstance(bound, numbers.Real)
            or not math.isfinite(bound)
        ):
            raise ValueError(message)
    a, b = float(value[0]), float(value[1])
    if not low <= a <= b <= high:
        raise ValueError(message)
    return (a, b)


def check_positive_pair(value, name, high):
    """A `(a, b)` pair with `0 < a <= b <= high`, as floats."""
    pair = check_pair(value, name, 0.0, high)
    if pair[0] <= 0.0:
        raise ValueError(f"`{name}` must have low > 0; received {value!r}.")
    return pair


def check_frame_length(value):
    frame_length = validation.integer_at_least(value, 16, "frame_length")
    if frame_length % 4:
        raise ValueError(f"`frame_length` must be a multiple of 4; received {value!r}.")
    return frame_length
