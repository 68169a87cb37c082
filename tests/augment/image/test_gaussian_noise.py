"""`GaussianNoise`: per-image noise strength, value range and dtype kept."""

import numpy as np
import pytest

from keras_margin.augment.image import GaussianNoise


def test_noise_level_is_drawn_per_image_in_value_range_units():
    images = np.full((64, 32, 32, 3), 0.5, "float32")
    out = np.asarray(GaussianNoise((0.02, 0.1), value_range=(0, 1), seed=0)(images))
    stds = (out - images).std(axis=(1, 2, 3))
    assert stds.min() > 0.015 and stds.max() < 0.11 and stds.std() > 0.015
    fixed = np.asarray(GaussianNoise(0.05, value_range=(-1, 1), seed=0)(images))
    np.testing.assert_allclose((fixed - images).std(axis=(1, 2, 3)), 0.1, rtol=0.1)


def test_clipped_to_range_and_integer_dtype_kept():
    images = np.full((8, 16, 16, 1), 250, "uint8")
    out = np.asarray(GaussianNoise(0.1, seed=0)(images))
    assert out.dtype == np.uint8 and out.max() == 255 and out.min() < 240
    np.testing.assert_array_equal(np.asarray(GaussianNoise()(images, training=False)), images)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"stddev": -0.1}, "stddev"), ({"stddev": (0.2, 0.1)}, "stddev"),
     ({"stddev": (0.0, 2.0)}, "stddev"), ({"value_range": (0, 0)}, "value_range")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        GaussianNoise(**kwargs)
