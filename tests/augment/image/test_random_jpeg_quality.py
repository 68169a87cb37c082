"""`RandomJPEGQuality`: JPEG artefacts at a random quality, in the input's range."""

import numpy as np
import pytest
from sklearn.datasets import load_sample_images

from keras_margin.augment.image import RandomJPEGQuality


def photos(count=4, size=48):
    photo = load_sample_images().images[0][:size * 4:4, :size * 4:4]
    return np.repeat(photo[None], count, axis=0)


def psnr(a, b, peak):
    mse = np.mean((a.astype("float64") - b.astype("float64")) ** 2)
    return 10 * np.log10(peak**2 / mse)


def test_lower_quality_means_more_distortion():
    images = photos()
    high = np.asarray(RandomJPEGQuality((95, 95), seed=0)(images))
    low = np.asarray(RandomJPEGQuality((5, 5), seed=0)(images))
    assert high.dtype == np.uint8
    assert psnr(images, high, 255) > psnr(images, low, 255) + 5
    assert psnr(images, low, 255) > 15


def test_float_range_is_kept():
    images = photos().astype("float32") / 127.5 - 1.0
    out = np.asarray(RandomJPEGQuality((20, 60), value_range=(-1, 1), seed=0)(images))
    assert out.dtype == np.float32 and out.min() >= -1 and out.max() <= 1
    assert 20 < psnr(images, out, 2.0) < 45
    np.testing.assert_array_equal(
        np.asarray(RandomJPEGQuality()(images, training=False)), images
    )


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"quality": (0, 50)}, "quality"), ({"quality": (50, 101)}, "quality"),
     ({"quality": (50.5, 60)}, "quality"), ({"value_range": (1, 1)}, "value_range")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandomJPEGQuality(**kwargs)
