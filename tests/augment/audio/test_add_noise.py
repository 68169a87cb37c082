"""`AddNoise`: achieved SNR, spectral slope of every colour, Gaussian and independent."""

import numpy as np
import pytest

from keras_margin.augment.audio import AddNoise
from keras_margin.augment.audio.add_noise import COLOR_EXPONENTS

COLORS = ["white", "pink", "brown", "blue", "violet"]


def tones(count=16, samples=4096):
    t = np.arange(samples) / 16000.0
    frequencies = np.random.default_rng(0).uniform(100, 4000, count)
    return np.sin(2 * np.pi * frequencies[:, None] * t).astype("float32")


def snr_db(signal, noise):
    signal, noise = np.asarray(signal, np.float64), np.asarray(noise, np.float64)
    return 10 * np.log10(np.mean(signal**2, 1) / np.mean(noise**2, 1))


@pytest.mark.parametrize("color", COLORS)
def test_achieved_snr_is_the_requested_one(color):
    clips = tones() * np.linspace(0.01, 1.0, 16, dtype="float32")[:, None]
    out = np.asarray(AddNoise(12.5, color=color, seed=0)(clips))
    np.testing.assert_allclose(snr_db(clips, out - clips), 12.5, atol=0.05)
    drawn = snr_db(clips, np.asarray(AddNoise((0.0, 30.0), color=color, seed=1)(clips)) - clips)
    assert drawn.min() > -0.05 and drawn.max() < 30.05 and drawn.std() > 4.0


@pytest.mark.parametrize("color", COLORS)
def test_power_per_octave_follows_the_colour(color):
    # Noise at 0 dB SNR on a quiet 8 kHz tone (its bin is left out of the fit); the
    # average periodogram of 64 clips, summed per octave band of FFT bins.
    samples = 4096
    signal = 1e-3 * np.sin(np.pi * np.arange(samples) / 2)  # bin samples / 4
    clips = np.repeat(signal[None].astype("float32"), 64, axis=0)
    noise = np.asarray(AddNoise(0.0, color=color, seed=3)(clips), np.float64) - clips
    power = np.mean(np.abs(np.fft.rfft(noise, axis=1)) ** 2, axis=0)
    power[samples // 4] = np.nan
    octaves = np.arange(2, 11)  # bins [4, 8), [8, 16), ... [1024, 2048)
    # Density (mean power per bin) in each octave, in dB, against the octave number.
    density = [10 * np.log10(np.nanmean(power[2**j : 2 ** (j + 1)])) for j in octaves]
    slope = np.polyfit(octaves, density, 1)[0]
    expected = -COLOR_EXPONENTS[color] * 10 * np.log10(2)  # pink: -3.01 dB/octave
    assert abs(slope - expected) < 0.3, (slope, expected)
    assert abs(np.mean(noise)) < 1e-3 * np.std(noise)  # no DC


def test_noise_is_gaussian_and_independent_between_clips():
    clips = np.zeros((8, 8192), "float32") + tones(8, 8192)
    noise = np.asarray(AddNoise(0.0, seed=5)(clips), np.float64) - clips
    standardised = noise / noise.std(axis=1, keepdims=True)
    kurtosis = np.mean(standardised**4)
    assert abs(kurtosis - 3.0) < 0.15
    correlation = np.corrcoef(noise)
    assert np.abs(correlation[~np.eye(8, dtype=bool)]).max() < 0.05


def test_silent_clip_gets_no_noise_but_others_do():
    clips = tones(4)
    clips[1] = 0.0
    out = np.asarray(AddNoise(10.0, color="brown", seed=0)(clips))
    assert np.all(out[1] == 0) and np.all(np.isfinite(out))
    np.testing.assert_allclose(snr_db(clips[[0, 2, 3]], (out - clips)[[0, 2, 3]]), 10.0, atol=0.05)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"snr_range_db": (30.0, 10.0)}, "snr_range_db"), ({"snr_range_db": 500.0}, "snr_range_db"),
     ({"snr_range_db": None}, "snr_range_db"), ({"color": "red"}, "color"),
     ({"color": None}, "color")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        AddNoise(**kwargs)


def reference_colored_noise(real, imaginary, samples, exponent):
    """float64 NumPy: spectrum (real + i imaginary) * f^(-k/2), DC 0, inverse real FFT."""
    bins = np.arange(samples // 2 + 1, dtype=np.float64)
    amplitude = np.zeros_like(bins)
    amplitude[1:] = bins[1:] ** (-exponent / 2)
    spectrum = (np.asarray(real, np.float64) + 1j * np.asarray(imaginary, np.float64))
    return np.fft.irfft(spectrum * amplitude, n=samples, axis=1)


@pytest.mark.parametrize("samples", [1, 2, 7, 64, 1001])
@pytest.mark.parametrize("color", COLORS)
def test_colored_noise_matches_the_float64_reference(color, samples):
    import tensorflow as tf

    from keras_margin.augment.audio.add_noise import colored_noise

    real_seed = tf.constant([3, 4], tf.int64)
    imaginary_seed = tf.constant([5, 6], tf.int64)
    bins = samples // 2 + 1
    real = tf.random.stateless_normal([3, bins], real_seed).numpy()
    imaginary = tf.random.stateless_normal([3, bins], imaginary_seed).numpy()
    exponent = COLOR_EXPONENTS[color]
    expected = reference_colored_noise(real, imaginary, samples, exponent)
    for dtype in (tf.float32, tf.float64):
        noise = colored_noise(3, samples, exponent, real_seed, imaginary_seed, dtype).numpy()
        assert noise.shape == (3, samples) and noise.dtype == dtype.as_numpy_dtype
        scale = max(np.abs(expected).max(), 1e-12)
        tolerance = 1e-5 if dtype == tf.float32 else 1e-12
        np.testing.assert_allclose(noise / scale, expected / scale, atol=tolerance)
