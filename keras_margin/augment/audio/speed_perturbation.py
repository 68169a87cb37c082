"""`SpeedPerturbation`: play each clip faster or slower, kept at the input length."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _resample
from keras_margin.augment.audio import _waveform


@keras.saving.register_keras_serializable(package="keras_margin")
class SpeedPerturbation(_waveform.WaveformLayer):
    """Resamples every clip by its own random speed factor (tempo and pitch together).

    Each clip draws a factor `f` uniformly from `factor_range` and is read at `f`
    times its speed (linear interpolation; see `_resample.resample`): `f = 1.1` makes
    it 10% shorter and every frequency 10% higher. So that batches stay rectangular the
    output keeps the input's length: a faster clip ends early and is followed by zeros,
    a slower one is cut at the end. With `training=False` the layer returns its input
    unchanged.

    Args:
        factor_range: `(low, high)` speed factors with `0 < low <= high <= 10`, or one
            number for a fixed factor (default (0.9, 1.1)).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Input: float waveforms `(samples,)` or `(batch, samples)`; output of the same shape
    and dtype (computed in float32).

    Raises:
        ValueError: naming the argument, for a bad `factor_range` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import SpeedPerturbation
    >>> ramp = np.arange(8, dtype="float32")
    >>> SpeedPerturbation(2.0)(ramp).numpy().tolist()
    [0.0, 2.0, 4.0, 6.0, 0.0, 0.0, 0.0, 0.0]

    References:
        Ko et al., "Audio augmentation for speech recognition", Interspeech 2015.
    """

    def __init__(self, factor_range=(0.9, 1.1), seed=None, **kwargs):
        factor_range = _waveform.check_range(
            factor_range, "factor_range", 0.0, 10.0, low_open=True
        )
        super().__init__(seed=seed, **kwargs)
        self.factor_range = factor_range

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        factors = _waveform.uniform(seed, tf.shape(waveforms)[0], self.factor_range)
        out = _resample.resample(waveforms, factors, tf.shape(waveforms)[1])
        return unbatch(tf.cast(out, waveforms.dtype))

    def get_config(self):
        config = super().get_config()
        config["factor_range"] = self.factor_range
        return config
