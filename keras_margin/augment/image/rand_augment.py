"""`RandAugment`: `num_ops` random operations per image, at one magnitude."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _kernels
from keras_margin.augment.image import _layer
from keras_margin.augment.image import _per_image_ops
from keras_margin.utils import validation

MAX_MAGNITUDE = 30.0  # torchvision's 31 magnitude bins, 0..30
INTERPOLATIONS = ("nearest", "bilinear")


@keras.saving.register_keras_serializable(package="keras_margin")
class RandAugment(_layer.AugmentationLayer):
    """RandAugment with each image's own operations, run only where chosen.

    For every image, the layer draws `num_ops` operations uniformly (with
    replacement) from the fourteen of RandAugment, each with a random sign where the
    operation has one, and applies them in order at strength `magnitude`. Two
    identical images in a batch get independent draws. Only the drawn operations run,
    on the images that drew them (grouped per operation and transformed as one batch),
    so the cost does not grow with the number of operations in the list; consecutive
    geometric operations of an image are composed and resampled once. With
    `training=False` the layer returns its input unchanged.

    The operations and their strength at `magnitude` m (out of 30), as torchvision's
    `RandAugment` defines them (following PIL): identity; autocontrast; equalize;
    rotate by ±m° (about the centre); solarize levels >= 255 (1 - m/30); colour
    (saturation), contrast, brightness and sharpness with enhance factor
    1 ± 0.9 m/30; posterize to 8 - round(4 m/30) bits; shear_x and shear_y with shear
    factor ±0.3 m/30 (about the centre, where torchvision shears about the top-left
    corner and so also shifts the image); translate_x and translate_y by
    ±(150/331)(m/30) of the width or height, in whole pixels. Geometric operations
    fill uncovered pixels with the low end of `value_range` (black).

    The magnitude lives in a variable: `layer.magnitude = 12` between epochs (from a
    callback, say) takes effect for every batch computed afterwards, without
    rebuilding the dataset. Batches already prefetched keep the old value.

    Input: uint8 or float images `(batch, height, width, channels)` or one image
    `(height, width, channels)`, channels-last, 1 or 3 channels, values in
    `value_range`; also a dict with key `"images"` or a tuple whose first item is the
    images (the rest passes through). Output: the same structure, shape and dtype. The
    operations work on 256 levels of `value_range`: float inputs are quantised to them
    (exact for images that were uint8).

    Args:
        num_ops: operations per image, an integer >= 1 (default 2).
        magnitude: strength, a number in [0, 30] (default 9).
        value_range: `(low, high)` of the input values, e.g. `(0, 255)` or `(0, 1)`.
        ops: the operation names to draw from, a subset of `OPERATIONS`; default all
            fourteen.
        interpolation: `"nearest"` (default, as torchvision) or `"bilinear"`, for the
            geometric operations.
        seed: an integer >= 0 or None. See "Seeds" in `docs/augmentation.md`:
            `seeded_map` makes the augmented dataset a function of the seed, epoch and
            element index, also under `num_parallel_calls=AUTOTUNE`.
        **kwargs: base layer arguments such as `name`.

    Call arguments:
        inputs: as above.
        training: False returns `inputs` unchanged. Default True.
        seed: an optional (2,) integer tensor; given, the output is a pure function of
            it, the inputs and the layer's `seed`.

    Raises:
        ValueError: naming the argument, for a bad `num_ops`, `magnitude`,
            `value_range`, `ops`, `interpolation` or `seed`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment.image import RandAugment, seeded_map
    >>> images = np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), "uint8")
    >>> augment = RandAugment(num_ops=2, magnitude=9, seed=0)
    >>> dataset = tf.data.Dataset.from_tensor_slices(images).batch(16)
    >>> dataset = seeded_map(dataset, augment, seed=0)
    >>> [(tuple(x.shape), x.dtype.name) for x in dataset][0]
    ((16, 32, 32, 3), 'uint8')
    >>> augment.magnitude = 12  # e.g. from a callback, between epochs

    References:
        - Cubuk, Zoph, Shlens, Le. "RandAugment: Practical automated data augmentation
          with a reduced search space", NeurIPS 2020. https://arxiv.org/abs/1909.13719
        - torchvision's `transforms.RandAugment` (operation list and magnitude bins).
    """

    OPERATIONS = _per_image_ops.OPS

    def __init__(
        self,
        num_ops=2,
        magnitude=9,
        value_range=(0, 255),
        ops=None,
        interpolation="nearest",
        seed=None,
        **kwargs,
    ):
        num_ops = validation.integer_at_least(num_ops, 1, "num_ops")
        magnitude = _check_magnitude(magnitude)
        value_range = _layer.check_value_range(value_range)
        ops = _per_image_ops.check_ops(ops)
        interpolation = _layer.check_choice(interpolation, INTERPOLATIONS, "interpolation")
        super().__init__(seed=seed, **kwargs)
        self.num_ops = num_ops
        self.value_range = value_range
        self.ops = ops
        self.interpolation = interpolation
        self._magnitude = tf.Variable(magnitude, trainable=False, dtype=tf.float32)

    @property
    def magnitude(self):
        """The current magnitude, a float in [0, 30]; assignable between epochs."""
        return float(self._magnitude.numpy())

    @magnitude.setter
    def magnitude(self, value):
        self._magnitude.assign(_check_magnitude(value))

    def augment(self, inputs, seed):
        batch, unbatch = _layer.as_batch(_layer.images_of(inputs))
        levels = _layer.to_levels(batch, self.value_range)
        n, height, width, _ = _kernels.dims(levels)
        draws = tf.random.stateless_uniform([n, self.num_ops, 2], seed)
        choice = tf.minimum(
            tf.cast(draws[..., 0] * len(self.ops), tf.int32), len(self.ops) - 1
        )
        codes = tf.gather([_per_image_ops.OPS.index(op) for op in self.ops], choice)
        sign = tf.where(draws[..., 1] < 0.5, -1.0, 1.0)
        values = _per_image_ops.operation_values(
            codes, self._magnitude / MAX_MAGNITUDE, sign, height, width,
            _per_image_ops.RAND_AUGMENT_RANGES,
        )
        levels = _per_image_ops.apply(levels, codes, values, self.interpolation, self.ops)
        images = _layer.from_levels(levels, self.value_range, batch.dtype)
        return _layer.with_images(inputs, unbatch(images))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_ops": self.num_ops,
                "magnitude": self.magnitude,
                "value_range": self.value_range,
                "ops": list(self.ops),
                "interpolation": self.interpolation,
            }
        )
        return config


def _check_magnitude(value):
    return validation.number_in_range(value, "magnitude", 0.0, MAX_MAGNITUDE)
