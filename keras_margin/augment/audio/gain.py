"""`Gain`: scale each clip by a random gain in decibels."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _waveform


@keras.saving.register_keras_serializable(package="keras_margin")
class Gain(_waveform.WaveformLayer):
    """Multiplies every clip by its own random gain, drawn uniformly in decibels.

    Each clip draws `g` uniformly from `gain_range_db` and is multiplied by
    `10 ** (g / 20)` (an amplitude gain: the power changes by exactly `g` dB). No
    clipping: a float waveform may leave [-1, 1], as it does after a real gain change
    before it is quantised. With `training=False` the layer returns its input unchanged.

    Args:
        gain_range_db: `(low, high)` in dB, each within [-120, 120], or one number for
            a fixed gain (default (-12, 12)).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Input: float waveforms `(samples,)` or `(batch, samples)`; output of the same shape
    and dtype.

    Raises:
        ValueError: naming the argument, for a bad `gain_range_db` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import Gain
    >>> tone = np.sin(np.arange(1000) / 5.0).astype("float32")
    >>> louder = Gain(6.0)(tone).numpy()
    >>> round(float(10 * np.log10(np.mean(louder**2) / np.mean(tone**2))), 3)
    6.0

    References:
        Salamon & Bello, "Deep convolutional neural networks and data augmentation for
        environmental sound classification", IEEE SPL 2017 (dynamic range and gain
        augmentation).
    """

    def __init__(self, gain_range_db=(-12.0, 12.0), seed=None, **kwargs):
        gain_range_db = _waveform.check_range(gain_range_db, "gain_range_db", -120.0, 120.0)
        super().__init__(seed=seed, **kwargs)
        self.gain_range_db = gain_range_db

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        dtype = _waveform.compute_dtype(waveforms.dtype)
        gain_db = tf.cast(
            _waveform.uniform(seed, tf.shape(waveforms)[0], self.gain_range_db), dtype
        )
        factors = tf.pow(tf.constant(10.0, dtype), gain_db / 20.0)
        out = tf.cast(waveforms, dtype) * factors[:, None]
        return unbatch(tf.cast(out, waveforms.dtype))

    def get_config(self):
        config = super().get_config()
        config["gain_range_db"] = self.gain_range_db
        return config
