"""`FrequencyMasking`: bands of bins within bounds, exactly as the draws say."""

import numpy as np
import pytest

import spec_reference
from keras_margin.augment.audio.frequency_masking import FrequencyMasking


@pytest.mark.parametrize("mask_value", [0.0, -3.5, "mean"])
def test_masked_region_is_exactly_the_drawn_bands(mask_value):
    x = np.random.default_rng(0).normal(size=(16, 30, 40)).astype("float32") + 2.0
    layer = FrequencyMasking(max_width=12, count=3, mask_value=mask_value, seed=0)
    out = np.asarray(layer(x, seed=[5, 6]))
    starts, widths = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([5, 6])))
    assert starts.shape == widths.shape == (16, 3)
    assert widths.min() >= 0 and widths.max() <= 12
    assert starts.min() >= 0 and (starts + widths).max() <= 40
    fill = x.mean(axis=(1, 2)) if mask_value == "mean" else np.full(16, mask_value)
    expected = spec_reference.mask_frequencies(x, starts, widths, fill)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert (out != x).any()


def test_widths_are_uniform_over_zero_to_max_width_and_clipped_to_the_bins():
    layer = FrequencyMasking(max_width=9, count=4, seed=0)
    x = np.zeros((500, 3, 100), "float32")
    _, widths = layer.draw(x, layer.layer_seed([1, 1]))
    counts = np.bincount(np.asarray(widths).ravel(), minlength=10)
    assert len(counts) == 10 and counts.min() > 150  # 2000 draws over 10 values
    narrow = np.zeros((200, 3, 5), "float32")
    starts, widths = (np.asarray(d) for d in layer.draw(narrow, layer.layer_seed([1, 1])))
    assert widths.max() == 5 and (starts + widths).max() <= 5
    out = np.asarray(FrequencyMasking(max_width=50, seed=0)(np.ones((50, 4, 5), "float32")))
    assert (out == 0).all(axis=(1, 2)).any()  # a band may cover every bin


def test_layouts_unbatched_and_with_a_channel_axis():
    x = np.random.default_rng(1).normal(size=(3, 20, 16)).astype("float32")
    layer = FrequencyMasking(max_width=8, count=2, seed=3)
    batched = np.asarray(layer(x, seed=[0, 1]))
    np.testing.assert_array_equal(np.asarray(layer(x[..., None], seed=[0, 1])),
                                  batched[..., None])
    single = np.asarray(layer(x[0], seed=[0, 1]))
    assert single.shape == (20, 16)
    np.testing.assert_array_equal(single, batched[0])
    with pytest.raises(ValueError, match="spectrograms"):
        layer(np.zeros((2, 3, 4, 2), "float32"))


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"max_width": -1}, "max_width"), ({"max_width": 2.5}, "max_width"),
     ({"max_width": 3, "count": -1}, "count"),
     ({"max_width": 3, "mask_value": "median"}, "mask_value"),
     ({"max_width": 3, "mask_value": float("nan")}, "mask_value"),
     ({"max_width": 3, "seed": "a"}, "seed")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        FrequencyMasking(**kwargs)
