"""Argument checks that raise `ValueError` naming the argument, at construction time."""

import math
import numbers

# Every number an argument check accepts ends up in a float32 or int32 tensor: a Python
# value beyond these would silently become inf (float32) or wrap around (int32).
FLOAT32_MAX = 3.4028234663852886e38
INT32_MAX = 2**31 - 1


def integer_at_least(value, minimum, name, maximum=None):
    """Returns `value` as an int; raises unless it is an integer >= `minimum`.

    Integer-valued floats such as `4.0` are accepted; `2.5`, `True` and strings are not.
    With `maximum` (e.g. `INT32_MAX` for a value used as an int32), larger values are
    refused too.
    """
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    message = f"`{name}` must be an integer {bounds}; received {value!r}."
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(message)
    if not isinstance(value, numbers.Integral) and not (
        math.isfinite(value) and float(value).is_integer()
    ):
        raise ValueError(message)
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(message)
    return int(value)


def seed(value, name="seed"):
    """Returns `value` (None or an int); raises unless it is None or an int32 seed >= 0.

    The largest seed is `INT32_MAX - 1`: a head seeds a second generator with `seed + 1`.
    """
    if value is None:
        return None
    return integer_at_least(value, 0, name, maximum=INT32_MAX - 1)


def floating_dtype(value, name="dtype"):
    """Returns `value`; raises unless it is None or a floating dtype or dtype policy.

    A layer whose weights or computations are integers (`dtype="int32"`) would truncate
    every logit; this refuses it at construction.
    """
    if value is None:
        return value
    import keras  # here, not at the top: the rest of this module is plain Python

    try:
        policy = keras.dtype_policies.get(value)
    except (ValueError, TypeError):
        raise ValueError(f"`{name}` must be a floating dtype or dtype policy; received {value!r}.") from None
    dtypes = (policy.compute_dtype, policy.variable_dtype)
    if not all(keras.backend.is_float_dtype(dtype) for dtype in dtypes):
        raise ValueError(
            f"`{name}` must be a floating dtype or dtype policy; received {value!r} "
            f"(compute dtype {policy.compute_dtype}, variable dtype {policy.variable_dtype})."
        )
    return value


def number_in_range(value, name, low=-math.inf, high=math.inf, low_open=False, high_open=False):
    """Returns `value` as a float; raises unless it is a finite number in the range.

    `low_open` / `high_open` exclude the bound itself. Numbers beyond the float32 range
    are refused whatever the bounds: they would become inf in float32.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not _is_finite(value):
        raise ValueError(f"`{name}` must be a finite number; received {value!r}.")
    if abs(value) > FLOAT32_MAX:
        raise ValueError(
            f"`{name}` must be a finite number within the float32 range "
            f"(magnitude <= {FLOAT32_MAX:.7g}); received {value!r}."
        )
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        left = "(" if low_open or math.isinf(low) else "["
        right = ")" if high_open or math.isinf(high) else "]"
        raise ValueError(
            f"`{name}` must be in {left}{_fmt(low)}, {_fmt(high)}{right}; received {value!r}."
        )
    return float(value)


def is_finite_number(value):
    """True for a finite real number that is not a bool."""
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
    )


def number_pair(value, name, low=-math.inf, high=math.inf, low_open=False,
                allow_single=False, what="finite numbers"):
    """Returns `(a, b)` as floats; raises unless `value` is a pair of finite numbers
    with `low <= a <= b <= high` (`low < a` when `low_open`). With `allow_single`, one
    number `v` stands for `(v, v)`."""
    if allow_single and is_finite_number(value):
        value = (value, value)
    shape = "a number or a pair (low, high)" if allow_single else "a pair (low, high)"
    bound = f"{low:g} < low" if low_open else f"{low:g} <= low"
    message = (
        f"`{name}` must be {shape} of {what} with {bound} <= high <= {high:g}; "
        f"received {value!r}."
    )
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(is_finite_number(v) for v in value)
    ):
        raise ValueError(message)
    a, b = float(value[0]), float(value[1])
    if not (a > low if low_open else a >= low) or not a <= b <= high:
        raise ValueError(message)
    return (a, b)


def positive(value, name):
    """Returns `value` as a float; raises unless it is finite and > 0."""
    return number_in_range(value, name, low=0.0, low_open=True)


def non_negative(value, name):
    """Returns `value` as a float; raises unless it is finite and >= 0."""
    return number_in_range(value, name, low=0.0)


def class_counts(value, name):
    """Returns `value` as a tuple of ints; raises unless it is >= 2 positive integers."""
    message = (
        f"`{name}` must be a sequence of at least 2 positive integers (samples per "
        f"class); received {value!r}."
    )
    try:
        values = list(value)
    except TypeError:
        raise ValueError(message) from None
    if len(values) < 2:
        raise ValueError(message)
    for count in values:
        if (
            isinstance(count, bool)
            or not isinstance(count, numbers.Real)
            or not float(count).is_integer()
            or count < 1
        ):
            raise ValueError(message)
    return tuple(int(count) for count in values)


def _is_finite(value):
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float is not a number we can use
        return False


def _fmt(bound):
    if bound == math.pi:
        return "pi"
    if bound == math.pi / 2:
        return "pi/2"
    if math.isinf(bound):
        return "inf" if bound > 0 else "-inf"
    return f"{bound:g}"
