"""`TimeWarp`: stretch one part of a spectrogram and squeeze the rest (SpecAugment)."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _spectrogram
from keras_margin.utils import validation


@keras.saving.register_keras_serializable(package="keras_margin")
class TimeWarp(_spectrogram.SpectrogramLayer):
    """Warps each spectrogram along time by moving a random frame by up to W frames.

    For every spectrogram a centre `c` is drawn uniformly in [W + 1, frames - 2 - W]
    and a distance `w` uniformly in [-W, W] (real numbers); the time axis is then
    remapped piecewise-linearly so that frame `c` lands at `c + w`, frame 0 and the
    last frame stay, and everything in between is stretched or squeezed
    proportionally, with linear interpolation between frames. W is clipped to
    (frames - 3) // 2 for short spectrograms (no warp below 5 frames).

    Park et al. (2019) warp with TensorFlow's `sparse_image_warp` (a polyharmonic
    spline through the control points, applied to the image); this layer uses the
    piecewise-linear time warp most implementations use instead, which moves the
    same point by the same distance, keeps the bins untouched and needs no
    dependency. With `training=False` the layer returns its input unchanged.

    Input: float spectrograms `(batch, frames, bins)` or `(frames, bins)` (or
    `(batch, frames, bins, 1)`), time first. `keras.layers.MelSpectrogram` returns
    `(batch, bins, frames)`: transpose it first. Output: same shape and dtype.

    Args:
        max_warp: W, the largest distance in frames, an integer >= 0 (default 80,
            the paper's LibriSpeech value).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `max_warp` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import TimeWarp
    >>> ramp = np.tile(np.arange(100, dtype="float32")[:, None], (1, 8))  # value = frame
    >>> out = TimeWarp(max_warp=20, seed=0)(ramp).numpy()
    >>> out.shape, float(out[0, 0]), float(out[-1, 0]), bool((np.diff(out[:, 0]) > 0).all())
    ((100, 8), 0.0, 99.0, True)

    References:
        - Park, Chan, Zhang, Chiu, Zoph, Cubuk, Le. "SpecAugment: A Simple Data
          Augmentation Method for Automatic Speech Recognition", Interspeech 2019.
          https://arxiv.org/abs/1904.08779
    """

    def __init__(self, max_warp=80, seed=None, **kwargs):
        max_warp = validation.integer_at_least(max_warp, 0, "max_warp")
        super().__init__(seed=seed, **kwargs)
        self.max_warp = max_warp

    def draw(self, spectrograms, seed):
        """`(centres, distances)`, (batch,) float32: the warps `augment` applies."""
        shape = tf.shape(spectrograms)
        return _spectrogram.time_warp_draws(seed, shape[0], shape[1], self.max_warp)

    def augment(self, inputs, seed):
        spectrograms, restore = _spectrogram.as_batch(inputs)
        return restore(_spectrogram.time_warp(spectrograms, *self.draw(spectrograms, seed)))

    def get_config(self):
        config = super().get_config()
        config["max_warp"] = self.max_warp
        return config
