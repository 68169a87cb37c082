"""`GaussianNoise`: additive noise at augmentation time, per-image strength."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class GaussianNoise(_layer.AugmentationLayer):
    """Adds Gaussian noise with a per-image standard deviation, kept in `value_range`.

    Every image draws a standard deviation uniformly from `stddev` (fractions of the
    width of `value_range`) and gets independent N(0, sigma) noise on every pixel and
    channel; the result is clipped to `value_range` and returned in the input dtype
    (rounded for integer dtypes). Unlike `keras.layers.GaussianNoise`, a regulariser
    inside the model with one fixed sigma in absolute units, this runs in the data
    pipeline, knows the value range and keeps uint8 images uint8. With
    `training=False` the layer returns its input unchanged.

    Args:
        stddev: `(low, high)` bounds of the standard deviation as a fraction of
            `value_range`'s width, within [0, 1], or one number for a fixed value
            (default (0.0, 0.05)).
        value_range: `(low, high)` of the input values (default (0, 255)).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `stddev`, `value_range` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import GaussianNoise
    >>> images = np.full((4, 16, 16, 1), 0.5, "float32")
    >>> out = GaussianNoise(0.1, value_range=(0, 1), seed=0)(images).numpy()
    >>> bool(0.08 < out.std() < 0.12)
    True
    """

    def __init__(self, stddev=(0.0, 0.05), value_range=(0, 255), seed=None, **kwargs):
        if validation.is_finite_number(stddev):
            stddev = validation.number_in_range(stddev, "stddev", 0.0, 1.0)
            stddev = (stddev, stddev)
        stddev = _layer.check_pair(stddev, "stddev", 0.0, 1.0, "fractions")
        value_range = _layer.check_value_range(value_range)
        super().__init__(seed=seed, **kwargs)
        self.stddev = stddev
        self.value_range = value_range

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        sigma_seed, noise_seed = _layer.split_seed(seed, 2)
        low, high = self.value_range
        n = tf.shape(images)[0]
        sigma = tf.random.stateless_uniform(
            [n], sigma_seed, minval=self.stddev[0], maxval=self.stddev[1]
        ) if self.stddev[0] < self.stddev[1] else tf.fill([n], self.stddev[0])
        noise = tf.random.stateless_normal(tf.shape(images), noise_seed)
        # The (n, 1) broadcast on the flattened image is TensorFlow's fast pattern.
        flat = tf.reshape(tf.cast(images, tf.float32), [n, -1])
        noise = tf.reshape(noise, tf.shape(flat)) * (sigma * (high - low))[:, None]
        out = tf.clip_by_value(flat + noise, low, high)
        if images.dtype.is_integer:
            out = tf.round(out)
        out = tf.cast(tf.reshape(out, tf.shape(images)), images.dtype)
        return _layer.with_images(inputs, unbatch(out))

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "value_range": self.value_range})
        return config
