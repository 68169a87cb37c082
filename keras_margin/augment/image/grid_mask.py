"""`GridMask`: drop a random, regularly spaced grid of squares from each image."""

import math

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class GridMask(_layer.AugmentationLayer):
    """Sets a grid of squares in each image to `fill_value` (Chen et al. 2020).

    Every image gets its own grid: a unit (period) `d` drawn uniformly from
    `unit_size` times the image's shorter side, squares of side `ratio * d` (so a
    fraction `ratio**2` of the image is dropped), a random offset in both directions
    and, with `rotate=True`, a random rotation of the whole grid. The mask is
    computed per pixel from the rotated coordinates, so rotating costs no resampling.
    With `training=False` the layer returns its input unchanged. Wrap it in
    `RandomApply` to apply it to a fraction of the images (the paper uses 0.8 on
    ImageNet, with `unit_size` 96..224 pixels of 224, `ratio=0.6`, rotation).

    Input: images `(batch, h, w, channels)` or `(h, w, channels)`, any dtype (also a
    dict with `"images"`, or a tuple led by the images). Output: same shape and dtype.

    Args:
        ratio: side of a dropped square as a fraction of the unit, in (0, 1)
            (default 0.6).
        unit_size: `(low, high)` bounds of the unit as fractions of the shorter image
            side, within (0, 1] (default (96/224, 1.0), the paper's ImageNet setting).
        rotate: whether to rotate each grid by a random angle (default True).
        fill_value: the value of dropped pixels, in the input's units (default 0).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `ratio`, `unit_size`, `rotate`,
            `fill_value` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import GridMask
    >>> images = np.full((2, 64, 64, 3), 255, "uint8")
    >>> out = GridMask(seed=0)(images).numpy()
    >>> bool(0.2 < (out == 0).mean() < 0.5)  # ~ratio**2 = 0.36 of the pixels dropped
    True

    References:
        - Chen, Liu, Wang, Jia. "GridMask Data Augmentation", 2020.
          https://arxiv.org/abs/2001.04086
    """

    def __init__(
        self,
        ratio=0.6,
        unit_size=(96 / 224, 1.0),
        rotate=True,
        fill_value=0.0,
        seed=None,
        **kwargs,
    ):
        ratio = validation.number_in_range(
            ratio, "ratio", 0.0, 1.0, low_open=True, high_open=True
        )
        unit_size = _layer.check_pair(unit_size, "unit_size", 0.0, 1.0, "fractions")
        if unit_size[0] <= 0.0:
            raise ValueError(f"`unit_size` must have low > 0; received {unit_size!r}.")
        if not isinstance(rotate, bool):
            raise ValueError(f"`rotate` must be True or False; received {rotate!r}.")
        fill_value = validation.number_in_range(fill_value, "fill_value")
        super().__init__(seed=seed, **kwargs)
        self.ratio = ratio
        self.unit_size = unit_size
        self.rotate = rotate
        self.fill_value = fill_value

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        shape = tf.shape(images)
        n, height, width = shape[0], shape[1], shape[2]
        draws = tf.random.stateless_uniform([n, 4], seed)
        shorter = tf.cast(tf.minimum(height, width), tf.float32)
        low, high = self.unit_size
        unit = tf.maximum(tf.round((low + draws[:, 0] * (high - low)) * shorter), 2.0)
        side = self.ratio * unit
        angle = draws[:, 1] * (2.0 * math.pi) if self.rotate else tf.zeros([n])
        offset_x, offset_y = draws[:, 2] * unit, draws[:, 3] * unit
        ys = tf.cast(tf.range(height), tf.float32)[None, :, None]
        xs = tf.cast(tf.range(width), tf.float32)[None, None, :]
        cos, sin = tf.cos(angle)[:, None, None], tf.sin(angle)[:, None, None]
        # Grid coordinates of every pixel; a pixel is dropped when both fall in the
        # first `side` of their unit.
        u = cos * xs + sin * ys + offset_x[:, None, None]
        v = cos * ys - sin * xs + offset_y[:, None, None]
        unit3, side3 = unit[:, None, None], side[:, None, None]
        dropped = (tf.math.floormod(u, unit3) < side3) & (tf.math.floormod(v, unit3) < side3)
        fill = tf.cast(self.fill_value, images.dtype)
        out = tf.where(dropped[..., None], fill, images)
        return _layer.with_images(inputs, unbatch(out))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ratio": self.ratio,
                "unit_size": self.unit_size,
                "rotate": self.rotate,
                "fill_value": self.fill_value,
            }
        )
        return config
