"""`RandomResizedCrop`: Inception-style random crops, a central crop at inference."""

import math

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.utils import validation

INTERPOLATIONS = ("bilinear", "nearest")
_ATTEMPTS = 10  # as torchvision: then fall back to a central crop


@keras.saving.register_keras_serializable(package="keras_margin")
class RandomResizedCrop(_layer.AugmentationLayer):
    """Crops a random area and aspect ratio of each image and resizes it.

    Training: for every image, a box is drawn with area `scale` times the image's and
    aspect ratio (width / height) log-uniform in `ratio`; of ten such draws the first
    that fits inside the image is used (as torchvision does), else a central crop with
    the aspect ratio clamped to `ratio`. The box is resized to `(height, width)`.

    Inference (`training=False`): every image gets the same deterministic crop, the
    largest central box with the output's aspect ratio, shrunk to `central_fraction`
    of its side (0.875 by default: the "resize to 256, centre-crop 224" evaluation of
    ImageNet models), resized to `(height, width)`. So training and inference outputs
    have the same shape, unlike Keras' `RandomCrop`, which returns the input size at
    inference.

    Input: images `(batch, h, w, channels)` or `(h, w, channels)`, any dtype (also a
    dict with `"images"`, or a tuple led by the images). Output: `(..., height, width,
    channels)` in the input dtype (integer outputs are rounded).

    Args:
        height, width: the output size in pixels, integers >= 1.
        scale: `(low, high)` bounds of the crop's area as a fraction of the image's,
            within (0, 1]. Default (0.08, 1.0).
        ratio: `(low, high)` bounds of the crop's aspect ratio (width / height),
            positive. Default (3/4, 4/3).
        interpolation: `"bilinear"` (default) or `"nearest"`.
        central_fraction: the inference crop's side as a fraction of the largest
            central box with the output's aspect ratio, in (0, 1]. Default 0.875.
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad size, range, interpolation,
            `central_fraction` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import RandomResizedCrop
    >>> images = np.random.default_rng(0).integers(0, 256, (4, 64, 48, 3), "uint8")
    >>> crop = RandomResizedCrop(32, 32, seed=0)
    >>> tuple(crop(images).shape), tuple(crop(images, training=False).shape)
    ((4, 32, 32, 3), (4, 32, 32, 3))

    References:
        - Szegedy et al. "Going Deeper with Convolutions", CVPR 2015 (the crop
          augmentation). https://arxiv.org/abs/1409.4842
        - torchvision's `transforms.RandomResizedCrop` (sampling and fallback).
    """

    def __init__(
        self,
        height,
        width,
        scale=(0.08, 1.0),
        ratio=(3.0 / 4.0, 4.0 / 3.0),
        interpolation="bilinear",
        central_fraction=0.875,
        seed=None,
        **kwargs,
    ):
        height = validation.integer_at_least(height, 1, "height")
        width = validation.integer_at_least(width, 1, "width")
        scale = _layer.check_pair(scale, "scale", 0.0, 1.0, "area fractions")
        if scale[0] <= 0.0:
            raise ValueError(f"`scale` must have low > 0; received {scale!r}.")
        ratio = _layer.check_pair(ratio, "ratio", 0.0, math.inf, "aspect ratios")
        if ratio[0] <= 0.0:
            raise ValueError(f"`ratio` must have low > 0; received {ratio!r}.")
        interpolation = _layer.check_choice(interpolation, INTERPOLATIONS, "interpolation")
        central_fraction = validation.number_in_range(
            central_fraction, "central_fraction", 0.0, 1.0, low_open=True
        )
        super().__init__(seed=seed, **kwargs)
        self.height = height
        self.width = width
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.central_fraction = central_fraction

    def augment(self, inputs, seed):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        shape = tf.shape(images)
        n = shape[0]
        h, w = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
        draws = tf.random.stateless_uniform([n, _ATTEMPTS, 2], seed)
        area = h * w * (self.scale[0] + draws[..., 0] * (self.scale[1] - self.scale[0]))
        log_low, log_high = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect = tf.exp(log_low + draws[..., 1] * (log_high - log_low))
        crop_w = tf.round(tf.sqrt(area * aspect))
        crop_h = tf.round(tf.sqrt(area / aspect))
        fits = (crop_w > 0) & (crop_w <= w) & (crop_h > 0) & (crop_h <= h)
        first = tf.argmax(tf.cast(fits, tf.int32), axis=1, output_type=tf.int32)
        found = tf.reduce_any(fits, axis=1)
        crop_w = tf.gather(crop_w, first, batch_dims=1)
        crop_h = tf.gather(crop_h, first, batch_dims=1)
        # torchvision's fallback: the whole image, its aspect ratio clamped to `ratio`.
        image_ratio = w / h
        fallback_w = tf.where(
            image_ratio < self.ratio[0], w, tf.where(image_ratio > self.ratio[1],
                                                     tf.round(h * self.ratio[1]), w)
        )
        fallback_h = tf.where(
            image_ratio < self.ratio[0], tf.round(w / self.ratio[0]), h
        )
        crop_w = tf.where(found, crop_w, fallback_w)
        crop_h = tf.where(found, crop_h, fallback_h)
        offsets = tf.random.stateless_uniform(
            [n, 2], tf.random.experimental.stateless_fold_in(seed, 1)
        )
        # Integer pixel offsets, uniform over the positions where the box fits; the
        # fallback box is central.
        top = tf.where(found, tf.floor(offsets[:, 0] * (h - crop_h + 1)),
                       tf.floor((h - crop_h) / 2.0))
        left = tf.where(found, tf.floor(offsets[:, 1] * (w - crop_w + 1)),
                        tf.floor((w - crop_w) / 2.0))
        boxes = _boxes(top, left, crop_h, crop_w, h, w)
        out = self._crop(images, boxes)
        return _layer.with_images(inputs, unbatch(out))

    def inference(self, inputs):
        images, unbatch = _layer.as_batch(_layer.images_of(inputs))
        shape = tf.shape(images)
        h, w = tf.cast(shape[1], tf.float32), tf.cast(shape[2], tf.float32)
        target = self.width / self.height
        # Largest central box of the output's aspect ratio, then the central fraction.
        box_w = tf.minimum(w, h * target) * self.central_fraction
        box_h = tf.minimum(h, w / target) * self.central_fraction
        top, left = (h - box_h) / 2.0, (w - box_w) / 2.0
        boxes = _boxes(top, left, box_h, box_w, h, w)
        boxes = tf.tile(boxes[None, :], [shape[0], 1])
        return _layer.with_images(inputs, unbatch(self._crop(images, boxes)))

    def _crop(self, images, boxes):
        out = tf.image.crop_and_resize(
            tf.cast(images, tf.float32),
            boxes,
            tf.range(tf.shape(images)[0]),
            [self.height, self.width],
            method=self.interpolation,
        )
        if images.dtype.is_integer:
            out = tf.round(out)
            info = images.dtype
            out = tf.clip_by_value(out, float(info.min), float(info.max))
        return tf.cast(out, images.dtype)

    def compute_output_shape(self, input_shape):
        input_shape = list(input_shape)
        input_shape[-3:-1] = [self.height, self.width]
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "scale": self.scale,
                "ratio": self.ratio,
                "interpolation": self.interpolation,
                "central_fraction": self.central_fraction,
            }
        )
        return config


def _boxes(top, left, box_h, box_w, h, w):
    """crop_and_resize boxes (normalised y1, x1, y2, x2) covering whole pixels.

    crop_and_resize maps box edge y1 to pixel centre y1 * (h - 1); a box of `box_h`
    pixels starting at `top` spans centres top .. top + box_h - 1.
    """
    y1 = top / tf.maximum(h - 1.0, 1.0)
    x1 = left / tf.maximum(w - 1.0, 1.0)
    y2 = (top + box_h - 1.0) / tf.maximum(h - 1.0, 1.0)
    x2 = (left + box_w - 1.0) / tf.maximum(w - 1.0, 1.0)
    return tf.stack([y1, x1, y2, x2], axis=-1)
