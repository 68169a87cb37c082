"""`RandomJPEGQuality`: JPEG compression artefacts at a random quality per image."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomJPEGQuality(_layer.AugmentationLayer):
    """Re-encodes each image as JPEG at a random quality, keeping its value range.

    Every image draws an integer quality uniformly from `quality` (inclusive), is
    encoded and decoded with TensorFlow's JPEG codec, and comes back in the input's
    dtype and `value_range`. JPEG coding is per image by nature, so this layer loops
    over the batch (`tf.map_fn`) and is far slower than the others; use it with
    `RandomApply` to compress a fraction of the images. With `training=False` the
    layer returns its input unchanged.

    Input: 1- or 3-channel images `(batch, h, w, channels)` or `(h, w, channels)`,
    values in `value_range` (also a dict with `"images"`, or a tuple led by them).
    Output: same shape and dtype; float inputs pass through 256 levels of
    `value_range`, as JPEG stores 8 bits.

    Args:
        quality: `(low, high)` integer JPEG qualities within [1, 100] (default
            (50, 100)).
        value_range: `(low, high)` of the input values (default (0, 255)).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `quality`, `value_range` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import RandomJPEGQuality
    >>> images = np.random.default_rng(0).uniform(-1, 1, (2, 32, 32, 3)).astype("float32")
    >>> out = RandomJPEGQuality((10, 30), value_range=(-1, 1), seed=0)(images).numpy()
    >>> out.dtype.name, bool(out.min() >= -1 and out.max() <= 1)
    ('float32', True)
    """

    def __init__(self, quality=(50, 100), value_range=(0, 255), seed=None, **kwargs):
        quality = _layer.check_pair(quality, "quality", 1, 100, "integer qualities")
        if not all(float(q).is_integer() for q in quality):
            raise ValueError(f"`quality` must be integers in [1, 100]; received {quality!r}.")
        quality = (int(quality[0]), int(quality[1]))
        value_range = _layer.check_value_range(value_range)
        super().__init__(seed=seed, **kwargs)
        self.quality = quality
        self.value_range = value_range

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        if images.shape[-1] not in (1, 3):
            raise ValueError(
                f"JPEG needs 1 or 3 channels; received images of shape {images.shape}."
            )
        levels = _layer.to_levels(images, self.value_range)
        low, high = self.quality
        qualities = tf.random.stateless_uniform(
            [tf.shape(levels)[0]], seed, minval=low, maxval=high + 1, dtype=tf.int32
        )
        coded = tf.map_fn(
            lambda pair: tf.image.adjust_jpeg_quality(pair[0], pair[1]),
            (levels, qualities),
            fn_output_signature=tf.TensorSpec(levels.shape[1:], tf.uint8),
        )
        out = _layer.from_levels(coded, self.value_range, images.dtype)
        return _layer.with_images(inputs, unbatch(out))

    def get_config(self):
        config = super().get_config()
        config.update({"quality": self.quality, "value_range": self.value_range})
        return config
