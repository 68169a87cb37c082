"""`AddNoise`: white or coloured noise at a random signal-to-noise ratio."""

import keras
import tensorflow as tf

from keras_margin.augment.audio import _waveform

# The power spectral density of each colour falls as 1 / f^k; this is k.
COLOR_EXPONENTS = {"white": 0.0, "pink": 1.0, "brown": 2.0, "blue": -1.0, "violet": -2.0}


@keras.saving.register_keras_serializable(package="keras_margin")
class AddNoise(_waveform.WaveformLayer):
    """Adds Gaussian noise of a given colour to every clip, at its own random SNR.

    The noise is made in the frequency domain: independent complex Gaussian values on
    the clip's real-FFT bins, shaped so that the power at frequency `f` is
    proportional to `1 / f^k` (white k=0, pink 1, brown 2, blue -1, violet -2: power
    per octave changes by about -3k dB, i.e. pink falls 3 dB/octave), the DC bin set
    to 0, then an inverse real FFT of the clip's length. Each clip draws an SNR
    uniformly from `snr_range_db`, and its noise is scaled so that the achieved SNR
    over the clip, `10 log10(mean(x^2) / mean(noise^2))`, is exactly the drawn value.

    A silent clip (all zeros) has no signal power to set a noise level against: it
    gets no noise and stays silent (the SNR is undefined; no NaN is produced). With
    `training=False` the layer returns its input unchanged.

    Args:
        snr_range_db: `(low, high)` SNR in dB, each within [-60, 120], or one number
            for a fixed SNR (default (10, 40)).
        color: `"white"`, `"pink"`, `"brown"`, `"blue"` or `"violet"`.
        seed: an integer >= 0 or None.
        **kwargs: base layer arguments such as `name`.

    Input: float waveforms `(samples,)` or `(batch, samples)`; output of the same shape
    and dtype.

    Raises:
        ValueError: naming the argument, for a bad `snr_range_db`, `color` or `seed`.

    Example:

    >>> import numpy as np
    >>> from keras_margin.augment.audio import AddNoise
    >>> tone = np.sin(np.arange(16000) * 0.1).astype("float32")
    >>> noisy = AddNoise(20.0, color="pink", seed=0)(tone).numpy()
    >>> noise = noisy - tone
    >>> round(float(10 * np.log10(np.mean(tone**2) / np.mean(noise**2))), 2)
    20.0

    References:
        Kasdin, "Discrete simulation of colored noise and stochastic processes and
        1/f^alpha power law noise generation", Proc. IEEE 83(5), 1995 (spectral shaping
        of white noise); Ko et al., "Audio augmentation for speech recognition",
        Interspeech 2015.
    """

    def __init__(self, snr_range_db=(10.0, 40.0), color="white", seed=None, **kwargs):
        snr_range_db = _waveform.check_range(snr_range_db, "snr_range_db", -60.0, 120.0)
        if not isinstance(color, str) or color not in COLOR_EXPONENTS:
            raise ValueError(
                f"`color` must be one of {', '.join(map(repr, COLOR_EXPONENTS))}; "
                f"received {color!r}."
            )
        super().__init__(seed=seed, **kwargs)
        self.snr_range_db = snr_range_db
        self.color = color

    def augment(self, inputs, seed):
        waveforms, unbatch = _waveform.as_batch(inputs)
        dtype = _waveform.compute_dtype(waveforms.dtype)
        signal = tf.cast(waveforms, dtype)
        snr_seed, real_seed, imaginary_seed = tf.unstack(
            tf.random.experimental.stateless_split(seed, 3)
        )
        batch, samples = tf.shape(signal)[0], tf.shape(signal)[1]
        noise = colored_noise(
            batch, samples, COLOR_EXPONENTS[self.color], real_seed, imaginary_seed, dtype
        )
        snr_db = _waveform.uniform(snr_seed, batch, self.snr_range_db)
        noise = tf.ensure_shape(noise, signal.shape)  # static length, lost in the slice
        out = signal + _waveform.scale_to_snr(signal, noise, snr_db)
        return unbatch(tf.cast(out, waveforms.dtype))

    def get_config(self):
        config = super().get_config()
        config.update({"snr_range_db": self.snr_range_db, "color": self.color})
        return config


def colored_noise(batch, samples, exponent, real_seed, imaginary_seed, dtype):
    """(batch, samples) Gaussian noise whose power spectrum is ~ 1 / f^exponent."""
    # A zero-length FFT aborts the whole process (a C++ assertion, not an exception):
    # zero-length clips get noise of one sample, cut to none.
    fft_length = tf.maximum(samples, 1)
    bins = fft_length // 2 + 1
    # Drawn in float32 whatever `dtype`: a seed gives the same noise in every dtype.
    real = tf.cast(tf.random.stateless_normal([batch, bins], real_seed), dtype)
    imaginary = tf.cast(tf.random.stateless_normal([batch, bins], imaginary_seed), dtype)
    # Power ~ f^-k means amplitude ~ f^(-k/2); DC (which 1/f^k cannot weigh) is 0.
    frequencies = tf.range(1, bins, dtype=dtype)
    amplitude = tf.concat(
        [tf.zeros([1], dtype), tf.pow(frequencies, -exponent / 2.0)], 0
    )
    spectrum = tf.complex(real * amplitude, imaginary * amplitude)
    return tf.signal.irfft(spectrum, fft_length=[fft_length])[:, :samples]
