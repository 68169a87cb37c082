"""`TimeMasking`: spans of frames within bounds (also p * frames), as drawn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spec_reference
from keras_margin.augment.audio.time_masking import TimeMasking


@pytest.mark.parametrize("mask_value", [0.0, "mean"])
@pytest.mark.parametrize("max_fraction", [1.0, 0.2])
def test_masked_region_is_exactly_the_drawn_spans(mask_value, max_fraction):
    x = np.random.default_rng(0).normal(size=(16, 50, 12)).astype("float32") - 1.0
    layer = TimeMasking(max_width=30, count=2, max_fraction=max_fraction,
                        mask_value=mask_value, seed=0)
    out = np.asarray(layer(x, seed=[7, 8]))
    starts, widths = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([7, 8])))
    limit = min(30, int(np.floor(max_fraction * 50)))
    assert starts.shape == widths.shape == (16, 2)
    assert widths.min() >= 0 and widths.max() <= limit
    assert starts.min() >= 0 and (starts + widths).max() <= 50
    fill = x.mean(axis=(1, 2)) if mask_value == "mean" else np.zeros(16)
    expected = spec_reference.mask_times(x, starts, widths, fill)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_widths_reach_the_fraction_limit_and_no_further():
    layer = TimeMasking(max_width=100, count=3, max_fraction=0.2, seed=0)
    x = np.zeros((400, 50, 2), "float32")
    _, widths = layer.draw(x, layer.layer_seed([2, 2]))
    counts = np.bincount(np.asarray(widths).ravel())
    assert len(counts) == 11 and counts.min() > 60  # uniform over 0..10
    layer = TimeMasking(max_width=4, count=3, seed=0)
    _, widths = layer.draw(np.zeros((300, 3, 2), "float32"), layer.layer_seed([2, 2]))
    assert np.asarray(widths).max() == 3  # clipped to the 3 frames


def test_zero_count_or_zero_fraction_masks_nothing():
    x = np.random.default_rng(2).normal(size=(4, 20, 6)).astype("float32")
    np.testing.assert_array_equal(np.asarray(TimeMasking(10, count=0, seed=0)(x)), x)
    np.testing.assert_array_equal(np.asarray(TimeMasking(10, max_fraction=0.0, seed=0)(x)), x)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"max_width": None}, "max_width"), ({"max_width": 5, "count": 1.5}, "count"),
     ({"max_width": 5, "max_fraction": 1.5}, "max_fraction"),
     ({"max_width": 5, "max_fraction": -0.1}, "max_fraction"),
     ({"max_width": 5, "mask_value": True}, "mask_value")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TimeMasking(**kwargs)


def test_fraction_limit_is_exact_where_float32_would_round_down():
    layer = TimeMasking(max_width=10, count=4, max_fraction=0.7, seed=0)
    _, widths = layer.draw(np.zeros((300, 10, 2), "float32"), layer.layer_seed([0, 0]))
    assert np.asarray(widths).max() == 7  # 0.7 * 10 is 6.9999... in float32


@settings(max_examples=25, deadline=None)
@given(
    frames=st.integers(1, 40), bins=st.integers(1, 12), max_width=st.integers(0, 50),
    count=st.integers(0, 3), max_fraction=st.floats(0.0, 1.0),
    mask_value=st.sampled_from([0.0, -1.0, "mean"]), seed=st.integers(0, 2**31 - 1),
)
def test_any_shape_and_parameters_match_the_reference(
    frames, bins, max_width, count, max_fraction, mask_value, seed
):
    x = np.random.default_rng(seed).normal(size=(3, frames, bins)).astype("float32")
    layer = TimeMasking(max_width, count=count, max_fraction=max_fraction,
                        mask_value=mask_value, seed=1)
    out = np.asarray(layer(x, seed=[seed, 0]))
    starts, widths = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([seed, 0])))
    assert widths.max(initial=0) <= min(max_width, int(np.floor(max_fraction * frames + 1e-9)))
    assert (starts + widths).max(initial=0) <= frames and starts.min(initial=0) >= 0
    fill = x.mean(axis=(1, 2)) if mask_value == "mean" else np.full(3, mask_value)
    np.testing.assert_allclose(out, spec_reference.mask_times(x, starts, widths, fill),
                               rtol=1e-6, atol=1e-7)
