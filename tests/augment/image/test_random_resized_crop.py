"""`RandomResizedCrop`: crop statistics in training, a fixed central crop at inference."""

import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment.image import RandomResizedCrop


def coordinates(count, height, width):
    """float32 images whose channels hold each pixel's row and column."""
    rows, cols = np.indices((height, width)).astype("float32")
    image = np.stack([rows, cols, np.zeros_like(rows)], -1)
    return np.repeat(image[None], count, axis=0)


def test_training_crops_follow_scale_and_ratio():
    height, width = 60, 80
    images = coordinates(256, height, width)
    layer = RandomResizedCrop(30, 30, scale=(0.1, 0.6), ratio=(0.5, 2.0),
                              interpolation="nearest", seed=0)
    out = layer(images, seed=tf.constant([1, 2])).numpy()
    # Nearest sampling: the corner pixels are the box's corner pixels.
    box_h = out[:, -1, 0, 0] - out[:, 0, 0, 0] + 1
    box_w = out[:, 0, -1, 1] - out[:, 0, 0, 1] + 1
    area = box_h * box_w / (height * width)
    aspect = box_w / box_h
    # Boxes are whole pixels, rounded: allow a pixel of slack on each side.
    assert (area > 0.1 * 0.8).all() and (area < 0.6 * 1.2).all()
    assert (aspect > 0.5 * 0.85).all() and (aspect < 2.0 * 1.15).all()
    assert area.std() > 0.08 and np.log(aspect).std() > 0.2  # not one fixed box
    # Boxes stay inside the image and move around.
    assert out[..., 0].min() >= 0 and out[..., 0].max() <= height - 1
    assert out[:, 0, 0, 1].std() > 3


def test_inference_is_a_fixed_central_crop_of_the_training_shape():
    images = coordinates(3, 64, 96)
    layer = RandomResizedCrop(32, 32, central_fraction=0.5, interpolation="nearest")
    out = layer(images, training=False).numpy()
    assert out.shape == layer(images).shape == (3, 32, 32, 3)
    np.testing.assert_array_equal(out[0], out[1])
    # The largest central square of a 64x96 image is 64x64 at columns 16..79; half of
    # it is rows 16..47, columns 32..63.
    assert out[0, 0, 0, 0] == 16 and out[0, -1, 0, 0] == 47
    assert out[0, 0, 0, 1] == 32 and out[0, 0, -1, 1] == 63
    np.testing.assert_array_equal(layer(images, training=False).numpy(), out)


def test_fallback_is_a_central_crop_with_clamped_ratio():
    # A 10x100 image cannot hold any box of ratio <= 2 and area >= 0.9: torchvision
    # falls back to the whole height and a width of 2 x height, centred.
    images = coordinates(4, 10, 100)
    layer = RandomResizedCrop(5, 10, scale=(0.9, 1.0), ratio=(0.5, 2.0),
                              interpolation="nearest", seed=0)
    out = layer(images).numpy()
    assert (out[:, 0, 0, 0] == 0).all() and (out[:, -1, 0, 0] == 9).all()
    assert (out[:, 0, 0, 1] == 40).all() and (out[:, 0, -1, 1] == 59).all()


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_dtype_and_single_images(dtype):
    images = np.random.default_rng(0).integers(0, 256, (4, 40, 30, 3)).astype(dtype)
    layer = RandomResizedCrop(16, 24, seed=0)
    out = layer(images)
    assert out.shape == (4, 16, 24, 3) and out.dtype == dtype
    assert layer(images[0]).shape == (16, 24, 3)
    assert layer(images[0], training=False).shape == (16, 24, 3)


def test_compute_output_shape_and_config():
    layer = RandomResizedCrop(20, 10, scale=(0.2, 0.9), seed=1)
    assert layer.compute_output_shape((None, 64, 64, 3)) == (None, 20, 10, 3)
    clone = RandomResizedCrop.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"height": 0, "width": 4}, "height"),
        ({"height": 4, "width": 2.5}, "width"),
        ({"scale": (0.0, 1.0)}, "scale"),
        ({"scale": (0.5, 1.5)}, "scale"),
        ({"scale": (0.8, 0.2)}, "scale"),
        ({"ratio": (0.0, 1.0)}, "ratio"),
        ({"ratio": (2.0, 1.0)}, "ratio"),
        ({"interpolation": "area"}, "interpolation"),
        ({"central_fraction": 0.0}, "central_fraction"),
        ({"central_fraction": 1.5}, "central_fraction"),
        ({"seed": 2.5}, "seed"),
    ],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    kwargs = {"height": 8, "width": 8, **kwargs}
    with pytest.raises(ValueError, match=f"`{argument}`"):
        RandomResizedCrop(**kwargs)
