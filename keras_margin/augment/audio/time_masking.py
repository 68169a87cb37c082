"""`TimeMasking`: blank random spans of frames (SpecAugment)."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _spectrogram
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class TimeMasking(_spectrogram.SpectrogramLayer):
    """Sets `count` random spans of consecutive frames to `mask_value`.

    For every spectrogram and every span, a width `t` is drawn uniformly from the
    integers 0..min(`max_width`, floor(`max_fraction` * frames)) and a first frame
    `t0` uniformly from 0..frames - t; frames `[t0, t0 + t)` are masked in every bin.
    Spans may overlap. This is the time masking of SpecAugment (Park et al. 2019),
    where `max_width` is T, `count` is m_T and `max_fraction` is p, the upper bound
    on a span as a fraction of the spectrogram's length. With `training=False` the
    layer returns its input unchanged.

    Input: float spectrograms `(batch, frames, bins)` or `(frames, bins)` (or
    `(batch, frames, bins, 1)`), time first. `keras.layers.MelSpectrogram` returns
    `(batch, bins, frames)`: transpose it first. Output: same shape and dtype.

    Args:
        max_width: the largest span T, in frames, an integer >= 0.
        count: the number of spans m_T per spectrogram, an integer >= 0 (default 1).
        max_fraction: p, in [0, 1]: no span is longer than this fraction of the
            frames (default 1.0, no limit beyond `max_width`).
        mask_value: the value of masked entries, a number, or `"mean"` for each
            spectrogram's own mean (default 0.0).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `max_width`, `count`,
            `max_fraction`, `mask_value` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import TimeMasking
    >>> spectrograms = np.ones((4, 50, 40), "float32")
    >>> out = TimeMasking(max_width=100, max_fraction=0.2, seed=0)(spectrograms).numpy()
    >>> masked_frames = (out == 0).all(axis=2)
    >>> bool(masked_frames.sum(axis=1).max() <= 10)  # 0.2 * 50 frames at most
    True

    References:
        - Park, Chan, Zhang, Chiu, Zoph, Cubuk, Le. "SpecAugment: A Simple Data
          Augmentation Method for Automatic Speech Recognition", Interspeech 2019.
          https://arxiv.org/abs/1904.08779
    """

    def __init__(
        self, max_width, count=1, max_fraction=1.0, mask_value=0.0, seed=None, **kwargs
    ):
        max_width = validation.integer_at_least(max_width, 0, "max_width")
        count = validation.integer_at_least(count, 0, "count")
        max_fraction = validation.number_in_range(max_fraction, "max_fraction", 0.0, 1.0)
        mask_value = _spectrogram.check_mask_value(mask_value)
        super().__init__(seed=seed, **kwargs)
        self.max_width = max_width
        self.count = count
        self.max_fraction = max_fraction
        self.mask_value = mask_value

    def draw(self, spectrograms, seed):
        """`(starts, widths)`, (batch, count) int32: the spans `augment` masks."""
        shape = tf.shape(spectrograms)
        return time_mask_draws(seed, shape[0], shape[1], self.count, self.max_width,
                               self.max_fraction)

    def augment(self, inputs, seed):
        spectrograms, restore = _spectrogram.as_batch(inputs)
        starts, widths = self.draw(spectrograms, seed)
        fill = _spectrogram.fill_values(spectrograms, self.mask_value)
        return restore(mask_times(spectrograms, starts, widths, fill))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_width": self.max_width,
                "count": self.count,
                "max_fraction": self.max_fraction,
                "mask_value": self.mask_value,
            }
        )
        return config


def time_mask_draws(seed, batch, frames, count, max_width, max_fraction):
    """Spans of frames, widths bounded by `max_width` and `max_fraction * frames`."""
    # In float64 with a tiny allowance, so that e.g. 0.7 * 10 floors to 7, not 6.
    fraction_limit = tf.cast(
        tf.floor(max_fraction * tf.cast(frames, tf.float64) + 1e-9), tf.int32
    )
    limit = tf.minimum(max_width, fraction_limit)
    return _spectrogram.mask_draws(seed, batch, frames, count, limit)


def mask_times(spectrograms, starts, widths, fill):
    """`spectrograms` (batch, frames, bins) with the given spans of frames set to
    `fill` (batch, 1, 1)."""
    masked = _spectrogram.band_mask(starts, widths, tf.shape(spectrograms)[1])
    return tf.where(masked[:, :, None], fill, spectrograms)
