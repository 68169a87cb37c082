"""`TimeStretch`: change each clip's tempo by a random rate, pitch unchanged."""

import math

import keras
import tensorflow as tf

from keras_margin.augment.audio import _phase_vocoder
from keras_margin.augment.audio import _stretch
from keras_margin.augment.audio import _waveform


@keras.saving.register_keras_serializable(package="keras_margin")
class TimeStretch(_waveform.WaveformLayer):
    """Plays each clip faster or slower by a random rate, keeping its pitch.

    Every clip draws a rate from `rate_range`, log-uniformly (so that speeding up by
    a factor and slowing down by the same factor are equally likely), and is
    time-scaled by a phase vocoder: its content lasts `1 / rate` times as long, its
    frequencies stay where they were. A rate above 1 is faster (shorter), below 1
    slower (longer).

    The output keeps the input length, so a batch stays rectangular: a slowed-down
    clip is cut at the end, a sped-up clip is followed by zeros. Time 0 stays at
    time 0 (an event at time `t` moves to `t / rate`). With `training=False` the layer
    returns its input unchanged.

    Input: float waveforms `(samples,)` or `(batch, samples)`. Output: same shape and
    dtype (computed in float32).

    Args:
        rate_range: `(low, high)` bounds of the rate, 0 < low <= high <= 8, or one
            number for a fixed rate (default (0.8, 1.25)).
        frame_length: analysis frame length in samples, a multiple of 4 >= 16; the hop
            is a quarter of it (default 512, 32 ms at 16 kHz). Longer frames resolve
            low tones better and smear onsets more.
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `rate_range`, `frame_length` or
            `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import TimeStretch
    >>> t = np.arange(16000) / 16000
    >>> burst = np.where(t < 0.4, np.sin(2 * np.pi * 440 * t), 0.0).astype("float32")
    >>> out = TimeStretch(rate_range=(0.8, 0.8), seed=0)(burst[None]).numpy()
    >>> out.shape
    (1, 16000)
    >>> def loud(x):  # samples whose 10 ms energy is above a quarter of the peak's
    ...     energy = np.convolve(x ** 2, np.ones(160) / 160, "same")
    ...     return int((energy > energy.max() / 4).sum())
    >>> round(loud(out[0]) / loud(burst), 2)  # 1 / rate
    1.25

    References:
        - Flanagan, Golden. "Phase Vocoder", Bell System Technical Journal 45(9), 1966.
        - Laroche, Dolson. "Improved Phase Vocoder Time-Scale Modification of Audio",
          IEEE Transactions on Speech and Audio Processing 7(3), 1999.
    """

    def __init__(self, rate_range=(0.8, 1.25), frame_length=512, seed=None, **kwargs):
        rate_range = _waveform.check_range(rate_range, "rate_range", 0.0, 8.0, low_open=True)
        frame_length = _stretch.check_frame_length(frame_length)
        super().__init__(seed=seed, **kwargs)
        self.rate_range = rate_range
        self.frame_length = frame_length

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        batch, samples = tf.shape(waveforms)[0], tf.shape(waveforms)[1]
        low, high = self.rate_range
        log_rates = _waveform.uniform(seed, batch, (math.log(low), math.log(high)))
        # The phase vocoder is linear: scaled to a peak of 1 and back, loud clips do
        # not overflow the spectra.
        normalized, peak = _waveform.peak_normalized(waveforms)
        out = _phase_vocoder.phase_vocoder(
            normalized, tf.exp(log_rates), samples, self.frame_length
        )
        return unbatch(tf.cast(out, waveforms.dtype) * peak)

    def get_config(self):
        config = super().get_config()
        config.update({"rate_range": self.rate_range, "frame_length": self.frame_length})
        return config
