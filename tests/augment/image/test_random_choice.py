"""`RandomChoice`: every image draws its own layer."""

import keras
import numpy as np
import pytest

from keras_margin.augment.image import GaussianNoise
from keras_margin.augment.image import GridMask
from keras_margin.augment.image import RandAugment
from keras_margin.augment.image import RandomChoice


def test_each_image_draws_one_layer():
    images = np.full((200, 12, 12, 3), 120, "uint8")
    out = np.asarray(
        RandomChoice([GridMask(seed=1), RandAugment(ops=["identity"])], seed=0)(images)
    )
    masked = (out == 0).any(axis=(1, 2, 3))
    identical = (out == images).all(axis=(1, 2, 3))
    np.testing.assert_array_equal(masked, ~identical)  # exactly one of the two
    assert 0.35 < masked.mean() < 0.65


def test_weights():
    images = np.full((64, 8, 8, 1), 100, "uint8")
    layer = RandomChoice([RandAugment(ops=["identity"]), GridMask()], weights=[1, 0])
    np.testing.assert_array_equal(np.asarray(layer(images)), images)


def test_training_false_and_config_round_trip():
    images = np.full((4, 8, 8, 3), 50, "uint8")
    layer = RandomChoice([GridMask(seed=1), GaussianNoise(seed=2)], weights=[2, 1], seed=3)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    config = layer.get_config()
    clone = RandomChoice.from_config(config)
    assert [type(l).__name__ for l in clone.layers] == ["GridMask", "GaussianNoise"]
    assert clone.get_config() == config


def test_mixed_output_dtypes_follow_the_first_layer():
    images = np.full((32, 8, 8, 3), 50, "uint8")
    layer = RandomChoice([keras.layers.RandomFlip(seed=0), GridMask(seed=1)], seed=0)
    assert np.asarray(layer(images)).dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"layers": []}, "layers"),
        ({"layers": [GridMask(), "flip"]}, "layers"),
        ({"weights": [1.0]}, "weights"),
        ({"weights": [1.0, -1.0]}, "weights"),
        ({"weights": [0, 0]}, "weights"),
    ],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    kwargs = {"layers": [GridMask(), GaussianNoise()], **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandomChoice(**kwargs)
