"""`FrequencyMasking`: blank random bands of frequency bins (SpecAugment)."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _spectrogram
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class FrequencyMasking(_spectrogram.SpectrogramLayer):
    """Sets `count` random bands of consecutive frequency bins to `mask_value`.

    For every spectrogram and every band, a width `f` is drawn uniformly from the
    integers 0..`max_width` (clipped to the number of bins) and a first bin `f0`
    uniformly from 0..bins - f; bins `[f0, f0 + f)` are masked in every frame. Bands
    may overlap. This is the frequency masking of SpecAugment (Park et al. 2019),
    where `max_width` is F and `count` is m_F. With `training=False` the layer returns
    its input unchanged.

    Input: float spectrograms `(batch, frames, bins)` or `(frames, bins)` (or
    `(batch, frames, bins, 1)`), time first. `keras.layers.MelSpectrogram` returns
    `(batch, bins, frames)`: transpose it first. Output: same shape and dtype.

    Args:
        max_width: the largest band width F, in bins, an integer >= 0.
        count: the number of bands m_F per spectrogram, an integer >= 0 (default 1).
        mask_value: the value of masked entries, a number, or `"mean"` for each
            spectrogram's own mean (default 0.0; the paper masks normalised log-mel
            features with 0, their mean).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `max_width`, `count`, `mask_value`
            or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import FrequencyMasking
    >>> spectrograms = np.ones((2, 100, 80), "float32")
    >>> out = FrequencyMasking(max_width=27, count=2, seed=0)(spectrograms).numpy()
    >>> masked_bins = (out == 0).all(axis=1)  # a masked bin is masked in every frame
    >>> bool(((out == 0) == masked_bins[:, None, :]).all()), bool(masked_bins.sum(1).max() <= 54)
    (True, True)

    References:
        - Park, Chan, Zhang, Chiu, Zoph, Cubuk, Le. "SpecAugment: A Simple Data
          Augmentation Method for Automatic Speech Recognition", Interspeech 2019.
          https://arxiv.org/abs/1904.08779
    """

    def __init__(self, max_width, count=1, mask_value=0.0, seed=None, **kwargs):
        max_width = validation.integer_at_least(max_width, 0, "max_width")
        count = validation.integer_at_least(count, 0, "count")
        mask_value = _spectrogram.check_mask_value(mask_value)
        super().__init__(seed=seed, **kwargs)
        self.max_width = max_width
        self.count = count
        self.mask_value = mask_value

    def draw(self, spectrograms, seed):
        """`(starts, widths)`, (batch, count) int32: the bands `augment` masks."""
        shape = tf.shape(spectrograms)
        return _spectrogram.mask_draws(seed, shape[0], shape[2], self.count, self.max_width)

    def augment(self, inputs, seed):
        spectrograms, restore = _spectrogram.as_batch(inputs)
        starts, widths = self.draw(spectrograms, seed)
        fill = _spectrogram.fill_values(spectrograms, self.mask_value)
        return restore(mask_frequencies(spectrograms, starts, widths, fill))

    def get_config(self):
        config = super().get_config()
        config.update(
            {"max_width": self.max_width, "count": self.count, "mask_value": self.mask_value}
        )
        return config


def mask_frequencies(spectrograms, starts, widths, fill):
    """`spectrograms` (batch, frames, bins) with the given bands of bins set to
    `fill` (batch, 1, 1)."""
    masked = _spectrogram.band_mask(starts, widths, tf.shape(spectrograms)[2])
    return tf.where(masked[:, None, :], fill, spectrograms)
