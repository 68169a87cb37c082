"""Helpers shared by this package's random image layers.

The base class, `AugmentationLayer`, lives in `keras_margin.augment.augmentation_layer`
(the audio and text layers share it); it is imported here so the image layers keep one import.
"""

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer  # noqa: F401
from keras_margin.augment.augmentation_layer import split_seed  # noqa: F401
from keras_margin.utils import validation


def images_of(inputs):
    """The image tensor of a bare tensor, an `(images, ...)` tuple or an images dict."""
    if isinstance(inputs, dict):
        return inputs["images"]
    if isinstance(inputs, (tuple, list)):
        return inputs[0]
    return inputs


def with_images(inputs, images):
    """`inputs` with its image tensor replaced by `images` (same structure)."""
    if isinstance(inputs, dict):
        return {**inputs, "images": images}
    if isinstance(inputs, (tuple, list)):
        return type(inputs)([images, *inputs[1:]])
    return images


def as_batch(images):
    """Returns `(batch, unbatch)`: a rank-4 tensor and the function that undoes it."""
    images = tf.convert_to_tensor(images)
    if images.shape.rank == 3:
        return images[None], lambda x: x[0]
    if images.shape.rank != 4:
        raise ValueError(
            "Image layers expect (height, width, channels) or (batch, height, width, "
            f"channels) images, channels-last; received shape {images.shape}."
        )
    return images, lambda x: x


def to_levels(images, value_range):
    """Images as uint8 levels 0..255 of `value_range` (rounded, clipped)."""
    if images.dtype == tf.uint8 and value_range == (0.0, 255.0):
        return images
    low, high = value_range
    scaled = (tf.cast(images, tf.float32) - low) * (255.0 / (high - low))
    return tf.cast(tf.clip_by_value(tf.round(scaled), 0.0, 255.0), tf.uint8)


def from_levels(levels, value_range, dtype):
    """Inverse of `to_levels`, into `dtype` (integers are rounded)."""
    if dtype == tf.uint8 and value_range == (0.0, 255.0):
        return levels
    low, high = value_range
    values = tf.cast(levels, tf.float32) * ((high - low) / 255.0) + low
    if dtype.is_integer:
        values = tf.round(values)
    return tf.cast(values, dtype)


def check_value_range(value_range):
    message = (
        "`value_range` must be a pair (low, high) of finite numbers with low < high, "
        f"such as (0, 255) or (0, 1); received {value_range!r}."
    )
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(message)
    for bound in value_range:
        if not validation.is_finite_number(bound):
            raise ValueError(message)
    low, high = float(value_range[0]), float(value_range[1])
    if not low < high:
        raise ValueError(message)
    return (low, high)


def check_pair(value, name, low, high, what="numbers"):
    """A `(a, b)` pair with `low <= a <= b <= high`, as floats."""
    return validation.number_pair(value, name, low, high, what=what)


def check_choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(c) for c in choices)}; "
            f"received {value!r}."
        )
    return value
