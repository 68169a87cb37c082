"""`PitchShift`: move each clip's pitch by a random number of semitones, same length."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _phase_vocoder
from keras_margin.augment.audio import _resample
from keras_margin.augment.audio import _stretch
from keras_margin.augment.audio import _waveform


@keras.saving.register_keras_serializable(package="keras_margin")
class PitchShift(_waveform.WaveformLayer):
    """Shifts each clip's pitch by a random number of semitones, keeping its timing.

    Every clip draws `n` uniformly from `semitone_range`; with `p = 2 ** (n / 12)`,
    it is first time-stretched by a phase vocoder to `p` times its duration (pitch
    unchanged), then resampled by linear interpolation at `p` times its speed, which
    brings the duration back and multiplies every frequency by `p`. So the output has
    the input's length and timing, `n` semitones higher (or lower for `n < 0`).
    Shifting up resamples without an anti-alias filter: content above
    `sample_rate / (2 p)` folds back (little, for speech and music at 16 kHz and a few
    semitones). With `training=False` the layer returns its input unchanged.

    Input: float waveforms `(samples,)` or `(batch, samples)`. Output: same shape and
    dtype (computed in float32).

    Args:
        semitone_range: `(low, high)` bounds of the shift in semitones, within
            [-24, 24], or one number for a fixed shift (default (-4.0, 4.0)).
        frame_length: phase vocoder frame length in samples, a multiple of 4 >= 16
            (default 512, 32 ms at 16 kHz).
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Raises:
        ValueError: naming the argument, for a bad `semitone_range`, `frame_length` or
            `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import PitchShift
    >>> t = np.arange(16000) / 16000
    >>> tone = np.sin(2 * np.pi * 440 * t).astype("float32")
    >>> out = PitchShift(semitone_range=(12.0, 12.0), seed=0)(tone).numpy()
    >>> out.shape, int(np.argmax(np.abs(np.fft.rfft(out))))  # 1 Hz bins: 880 Hz
    ((16000,), 880)

    References:
        - Laroche, Dolson. "Improved Phase Vocoder Time-Scale Modification of Audio",
          IEEE Transactions on Speech and Audio Processing 7(3), 1999.
        - Laroche, Dolson. "New Phase-Vocoder Techniques for Pitch-Shifting,
          Harmonizing and Other Exotic Effects", IEEE WASPAA, 1999.
    """

    def __init__(self, semitone_range=(-4.0, 4.0), frame_length=512, seed=None, **kwargs):
        semitone_range = _waveform.check_range(semitone_range, "semitone_range", -24.0, 24.0)
        frame_length = _stretch.check_frame_length(frame_length)
        super().__init__(seed=seed, **kwargs)
        self.semitone_range = semitone_range
        self.frame_length = frame_length

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        batch, samples = tf.shape(waveforms)[0], tf.shape(waveforms)[1]
        semitones = _waveform.uniform(seed, batch, self.semitone_range)
        factors = tf.pow(2.0, semitones / 12.0)
        # Long enough for the clip stretched the most; the resampler reads up to
        # samples * factor and treats anything past the end as silence. (The maximum
        # with 0 is for an empty batch, whose reduce_max is -inf.)
        largest = tf.maximum(tf.reduce_max(factors), 0.0)
        stretched_length = tf.cast(
            tf.math.ceil(tf.cast(samples, tf.float32) * largest), tf.int32
        ) + 1
        # Both steps are linear: scaled to a peak of 1 and back, loud clips do not
        # overflow the spectra.
        normalized, peak = _waveform.peak_normalized(waveforms)
        stretched = _phase_vocoder.phase_vocoder(
            normalized, 1.0 / factors, stretched_length, self.frame_length
        )
        out = _resample.resample(stretched, factors, samples)
        return unbatch(tf.cast(out, waveforms.dtype) * peak)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"semitone_range": self.semitone_range, "frame_length": self.frame_length}
        )
        return config
