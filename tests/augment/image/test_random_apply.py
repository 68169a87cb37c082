"""`RandomApply`: a per-image coin decides which images go through the layer."""

import keras
import numpy as np
import pytest

from keras_margin.augment.image import GaussianNoise
from keras_margin.augment.image import GridMask
from keras_margin.augment.image import RandomApply


def flat_images(count=64):
    return np.full((count, 12, 12, 3), 120, "uint8")


def changed(out, images):
    return np.any(np.asarray(out) != images, axis=(1, 2, 3))


def test_probability_is_per_image():
    images = flat_images(256)
    out = RandomApply(GridMask(seed=1), probability=0.3, seed=0)(images)
    fraction = changed(out, images).mean()
    assert 0.2 < fraction < 0.4
    # Unchosen images are untouched, chosen ones masked.
    assert set(np.unique(np.asarray(out))) == {0, 120}


@pytest.mark.parametrize("probability, expected", [(0.0, 0.0), (1.0, 1.0)])
def test_probability_bounds(probability, expected):
    images = flat_images()
    out = RandomApply(GridMask(), probability=probability)(images)
    assert changed(out, images).mean() == expected


def test_keras_core_layer_inside_sets_the_dtype():
    images = flat_images(16)
    images[:, :, :6] = 10  # something to flip
    layer = RandomApply(keras.layers.RandomFlip("horizontal", seed=0), 0.5, seed=0)
    out = np.asarray(layer(images))
    assert out.dtype == np.float32  # the Keras layer's declared output dtype
    flipped = (out == images[:, :, ::-1]).all(axis=(1, 2, 3))
    untouched = (out == images).all(axis=(1, 2, 3))
    np.testing.assert_array_equal(flipped, ~untouched)
    assert 0 < flipped.sum() < 16


def test_training_false_is_the_identity_and_config_round_trips():
    images = flat_images(4)
    layer = RandomApply(GaussianNoise(0.1, seed=2), probability=0.7, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
    config = layer.get_config()
    clone = RandomApply.from_config(config)
    assert isinstance(clone.layer, GaussianNoise)
    assert clone.probability == 0.7 and clone.layer.stddev == (0.1, 0.1)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert restored.get_config() == config


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"layer": "GridMask"}, "layer"),
        ({"probability": 1.5}, "probability"),
        ({"probability": -0.1}, "probability"),
        ({"seed": -3}, "seed"),
    ],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    kwargs = {"layer": GridMask(), **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandomApply(**kwargs)
