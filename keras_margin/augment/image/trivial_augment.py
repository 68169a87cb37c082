"""`TrivialAugment`: one random operation per image at a random magnitude (TA-Wide)."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _kernels
from keras_margin.augment.image import _layer
from keras_margin.augment.image import _per_image_ops
from keras_margin.augment.image.rand_augment import INTERPOLATIONS

_BINS = 31  # magnitudes 0/30 .. 30/30, as torchvision


@keras.saving.register_keras_serializable(package="keras_margin")
class TrivialAugment(_layer.AugmentationLayer):
    """TrivialAugment (the "Wide" variant): one operation per image, random strength.

    Every image draws one of the fourteen RandAugment operations uniformly, a random
    sign where the operation has one, and a magnitude uniformly from 31 levels 0/30 ..
    30/30 of the wide ranges; nothing to tune. As in `RandAugment`, each image is
    independent, only drawn operations run, on the images that drew them, and
    `training=False` returns the input unchanged.

    The wide ranges at full strength (torchvision's `TrivialAugmentWide`): rotate by up
    to ±135°, shear factors up to ±0.99 (about the centre), translations up to ±32
    pixels whatever the image size, enhance factors 1 ± 0.99 (brightness, colour,
    contrast, sharpness), posterize down to 2 bits, solarize thresholds down to 0;
    identity, autocontrast and equalize have no strength.

    Input and output as for `RandAugment`: uint8 or float images (batched or one),
    a dict with `"images"`, or a tuple led by the images; same structure, shape and
    dtype out.

    Args:
        value_range: `(low, high)` of the input values, e.g. `(0, 255)` or `(0, 1)`.
        ops: the operation names to draw from, a subset of `OPERATIONS`; default all
            fourteen.
        interpolation: `"nearest"` (default, as torchvision) or `"bilinear"`.
        seed: an integer >= 0 or None; see `seeded_map` for reproducible pipelines.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `value_range`, `ops`,
            `interpolation` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import TrivialAugment
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), "uint8")
    >>> out = TrivialAugment(seed=0)(images)
    >>> tuple(out.shape), out.dtype.name
    ((8, 32, 32, 3), 'uint8')

    References:
        - Müller, Hutter. "TrivialAugment: Tuning-free Yet State-of-the-Art Data
          Augmentation", ICCV 2021. https://arxiv.org/abs/2103.10158
        - torchvision's `transforms.TrivialAugmentWide` (ranges and bins).
    """

    OPERATIONS = _per_image_ops.OPS

    def __init__(
        self, value_range=(0, 255), ops=None, interpolation="nearest", seed=None, **kwargs
    ):
        value_range = _layer.check_value_range(value_range)
        ops = _per_image_ops.check_ops(ops)
        interpolation = _layer.check_choice(interpolation, INTERPOLATIONS, "interpolation")
        super().__init__(seed=seed, **kwargs)
        self.value_range = value_range
        self.ops = ops
        self.interpolation = interpolation

    def augment(self, inputs, seed):
        batch, unbatch = _layer.as_batch(_layer.images_of(inputs))
        levels = _layer.to_levels(batch, self.value_range)
        n, height, width, _ = _kernels.dims(levels)
        draws = tf.random.stateless_uniform([n, 3], seed)
        choice = tf.minimum(
            tf.cast(draws[:, 0] * len(self.ops), tf.int32), len(self.ops) - 1
        )
        codes = tf.gather([_per_image_ops.OPS.index(op) for op in self.ops], choice)
        sign = tf.where(draws[:, 1] < 0.5, -1.0, 1.0)
        bins = tf.minimum(tf.floor(draws[:, 2] * _BINS), _BINS - 1)
        values = _per_image_ops.operation_values(
            codes[:, None], bins[:, None] / (_BINS - 1), sign[:, None], height, width,
            _per_image_ops.TRIVIAL_AUGMENT_WIDE_RANGES,
        )
        levels = _per_image_ops.apply(
            levels, codes[:, None], values, self.interpolation, self.ops
        )
        images = _layer.from_levels(levels, self.value_range, batch.dtype)
        return _layer.with_images(inputs, unbatch(images))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "ops": list(self.ops),
                "interpolation": self.interpolation,
            }
        )
        return config
