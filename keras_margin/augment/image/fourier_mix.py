"""`FourierMix` (FMix): mix image pairs through low-frequency masks; soft labels."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class FourierMix(_layer.AugmentationLayer):
    """FMix: pastes a random low-frequency-shaped region of a partner image.

    Each image is paired with another of the batch (a random permutation). Its mask is
    a random image with a 1/f^`decay_power` spectrum, thresholded so that its largest
    values, a fraction lambda ~ Beta(`alpha`, `alpha`) of the pixels, keep the image
    and the rest come from the partner. Masks and lambdas are drawn per image. The
    labels are mixed by the exact kept fraction of pixels, so they describe the mixed
    image: `labels = kept * labels + (1 - kept) * partner_labels`.

    Like Keras' `MixUp` and `CutMix`, the layer takes and returns images and labels
    together: a dict `{"images": ..., "labels": ...}` or a tuple `(images, labels)`.
    Labels are one-hot or soft, float `(batch, num_classes)`, or integer class ids
    `(batch,)` when `num_classes` is given; the output labels are float32
    `(batch, num_classes)`, rows summing to 1. Images keep their shape and dtype (every
    pixel comes from one of the two images, unchanged). Map it after `batch()`. With
    `training=False` the inputs come back unchanged.

    Args:
        alpha: Beta distribution parameter of the kept fraction, > 0 (default 1:
            uniform).
        decay_power: how fast the mask spectrum decays, > 0 (default 3; larger gives
            smoother, blobbier masks).
        num_classes: number of classes (>= 2) for integer labels; None if the labels
            are already one-hot or soft.
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `alpha`, `decay_power`,
            `num_classes` or `seed`; at call time for labels of the wrong shape.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.image import FourierMix
    >>> images = np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), "uint8")
    >>> labels = np.arange(8) % 4
    >>> x, y = FourierMix(num_classes=4, seed=0)((images, labels))
    >>> tuple(x.shape), tuple(y.shape), bool(np.allclose(y.numpy().sum(1), 1))
    ((8, 32, 32, 3), (8, 4), True)

    References:
        - Harris, Marcu, Painter, Niranjan, Prügel-Bennett, Hare. "FMix: Enhancing
          Mixed Sample Data Augmentation", 2020. https://arxiv.org/abs/2002.12047
    """

    mixes_labels = True

    def __init__(self, alpha=1.0, decay_power=3.0, num_classes=None, seed=None, **kwargs):
        alpha = validation.positive(alpha, "alpha")
        decay_power = validation.positive(decay_power, "decay_power")
        if num_classes is not None:
            num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
        super().__init__(seed=seed, **kwargs)
        self.alpha = alpha
        self.decay_power = decay_power
        self.num_classes = num_classes

    def augment(self, inputs, seed):
        images, labels = _unpack(inputs)
        labels = self._soft_labels(labels)
        shape = tf.shape(images)
        n, height, width = shape[0], shape[1], shape[2]
        spectrum_seed, lambda_seed, partner_seed = _layer.split_seed(seed, 3)
        masks = self._masks(n, height, width, spectrum_seed, lambda_seed)  # (n, H, W)
        partner = tf.argsort(tf.random.stateless_uniform([n], partner_seed))
        kept = tf.reduce_mean(tf.cast(masks, tf.float32), axis=[1, 2])
        mixed = tf.where(masks[..., None], images, tf.gather(images, partner))
        mixed_labels = kept[:, None] * labels + (1.0 - kept[:, None]) * tf.gather(
            labels, partner
        )
        return _pack(inputs, mixed, mixed_labels)

    def _masks(self, n, height, width, spectrum_seed, lambda_seed):
        h = tf.cast(height, tf.float32)
        w = tf.cast(width, tf.float32)
        fy = tf.cast(tf.range(height), tf.float32)
        fy = tf.where(fy < (h + 1.0) // 2.0, fy, fy - h) / h  # numpy's fftfreq
        fx = tf.cast(tf.range(width // 2 + 1), tf.float32) / w  # rfftfreq
        frequency = tf.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)
        scale = 1.0 / tf.maximum(frequency, 1.0 / tf.maximum(h, w)) ** self.decay_power
        parts = tf.random.stateless_normal([n, height, width // 2 + 1, 2], spectrum_seed)
        spectrum = tf.complex(parts[..., 0] * scale, parts[..., 1] * scale)
        grey = tf.signal.irfft2d(spectrum, fft_length=tf.stack([height, width]))
        # lambda ~ Beta(alpha, alpha) as G1 / (G1 + G2) with G ~ Gamma(alpha).
        gammas = tf.random.stateless_gamma([n, 2], lambda_seed, alpha=self.alpha)
        lam = gammas[:, 0] / tf.maximum(gammas[:, 0] + gammas[:, 1], 1e-12)
        pixels = height * width
        keep = tf.cast(tf.round(lam * tf.cast(pixels, tf.float32)), tf.int32)
        flat = tf.reshape(grey, [n, pixels])
        ordered = tf.sort(flat, axis=1, direction="DESCENDING")
        threshold = tf.gather(ordered, tf.maximum(keep - 1, 0), batch_dims=1)
        masks = (flat >= threshold[:, None]) & (keep > 0)[:, None]
        return tf.reshape(masks, [n, height, width])

    def _soft_labels(self, labels):
        labels = tf.convert_to_tensor(labels)
        if labels.dtype.is_integer:
            if self.num_classes is None:
                raise ValueError(
                    "FourierMix got integer class ids; pass `num_classes` to one-hot "
                    "encode them, or give one-hot labels."
                )
            if labels.shape.rank == 2 and labels.shape[-1] == 1:
                labels = labels[:, 0]
            return tf.one_hot(tf.cast(labels, tf.int32), self.num_classes)
        if labels.shape.rank != 2:
            raise ValueError(
                "FourierMix labels must be one-hot or soft, (batch, num_classes), or "
                f"integer ids; received shape {labels.shape}."
            )
        return tf.cast(labels, tf.float32)

    def compute_output_spec(self, inputs, *args, **kwargs):
        images, labels = _unpack(inputs)
        integer = "int" in str(labels.dtype)
        classes = self.num_classes if integer else labels.shape[-1]
        labels = keras.KerasTensor((labels.shape[0], classes), "float32")
        return _pack(inputs, keras.KerasTensor(images.shape, images.dtype), labels)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "alpha": self.alpha,
                "decay_power": self.decay_power,
                "num_classes": self.num_classes,
            }
        )
        return config


def _unpack(inputs):
    if isinstance(inputs, dict):
        return inputs["images"], inputs["labels"]
    if isinstance(inputs, (tuple, list)) and len(inputs) == 2:
        return inputs[0], inputs[1]
    raise ValueError(
        "FourierMix takes images and labels together: a dict {'images', 'labels'} "
        f"or a tuple (images, labels); received {type(inputs).__name__}."
    )


def _pack(inputs, images, labels):
    if isinstance(inputs, dict):
        return {**inputs, "images": images, "labels": labels}
    return (images, labels)
