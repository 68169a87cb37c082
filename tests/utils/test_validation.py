"""Argument checks: bounds that keep values within the float32 / int32 they are used as."""

import keras
import pytest

from keras_margin.utils import validation


@pytest.mark.parametrize("value", [1e39, -1e39, 10**400, float("inf"), float("nan")])
def test_numbers_beyond_float32_are_refused(value):
    with pytest.raises(ValueError, match="`x` must be a finite number"):
        validation.number_in_range(value, "x")


def test_the_float32_limits_themselves_are_accepted():
    assert validation.number_in_range(validation.FLOAT32_MAX, "x") == validation.FLOAT32_MAX
    assert validation.positive(3.4e38, "x") == 3.4e38


@pytest.mark.parametrize("value", [2**31, 1e39, 10**400, 2.5, float("inf"), True, "3"])
def test_integers_with_a_maximum(value):
    with pytest.raises(ValueError, match=r"`n` must be an integer in \[0, 2147483647\]"):
        validation.integer_at_least(value, 0, "n", maximum=validation.INT32_MAX)


def test_integers_without_a_maximum_accept_big_ints_but_not_infinity():
    assert validation.integer_at_least(10**30, 0, "n") == 10**30
    assert validation.integer_at_least(4.0, 0, "n") == 4
    with pytest.raises(ValueError, match="`n`"):
        validation.integer_at_least(float("inf"), 0, "n")


def test_seeds_fit_int32_with_room_for_seed_plus_one():
    assert validation.seed(None) is None
    assert validation.seed(2**31 - 2) == 2**31 - 2
    for bad in (2**31 - 1, -1, 1e39):
        with pytest.raises(ValueError, match="`seed`"):
            validation.seed(bad)


def test_dtypes_must_be_floating():
    for good in (None, "float32", "float64", "mixed_float16", keras.DTypePolicy("bfloat16")):
        assert validation.floating_dtype(good) is good
    for bad in ("int32", "uint8", "bool", "not_a_dtype"):
        with pytest.raises(ValueError, match="`dtype` must be a floating dtype"):
            validation.floating_dtype(bad)
