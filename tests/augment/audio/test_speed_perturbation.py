"""`SpeedPerturbation`: a tone's frequency scales by the factor; the length stays."""

import numpy as np
import pytest

from keras_margin.augment.audio import SpeedPerturbation
from keras_margin.augment.audio._resample import resample

RATE = 16000


def peak_frequency(signal):
    padded = 1 << 18
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal)), padded))
    return np.argmax(spectrum) * RATE / padded


def tone(frequency, samples=RATE // 2):
    return np.sin(2 * np.pi * frequency * np.arange(samples) / RATE).astype("float32")


@pytest.mark.parametrize("factor", [0.8, 0.9, 1.0, 1.1, 1.25])
def test_a_fixed_factor_scales_the_frequency_and_keeps_the_length(factor):
    clip = tone(440.0)[None]
    out = np.asarray(SpeedPerturbation(factor)(clip))
    assert out.shape == clip.shape
    played = min(len(clip[0]), int(len(clip[0]) / factor) - 1)
    assert abs(peak_frequency(out[0, :played]) / (440.0 * factor) - 1) < 0.01
    # A faster clip ends early: from the first position past the input's end on
    # (n * factor >= samples), zeros.
    end = int(np.ceil(len(clip[0]) / factor))
    assert np.all(out[0, end:] == 0) and (factor <= 1 or out[0, end - 1] != 0)


def test_each_clip_draws_its_factor_in_range():
    clips = np.repeat(tone(1000.0, 4000)[None], 24, axis=0)
    out = np.asarray(SpeedPerturbation((0.9, 1.1), seed=0)(clips))
    factors = np.array([peak_frequency(row[:3600]) / 1000.0 for row in out])
    assert factors.min() > 0.9 - 0.01 and factors.max() < 1.1 + 0.01
    assert factors.max() - factors.min() > 0.1


def test_on_a_ramp_each_clip_is_read_at_its_own_factor():
    # x[n] = n read at n * f gives n * f: the factor is out[1], and every sample whose
    # position stays inside the clip must follow it.
    ramps = np.repeat(np.arange(100, dtype="float32")[None], 300, axis=0)
    out = np.asarray(SpeedPerturbation((0.8, 1.2), seed=1)(ramps), np.float64)
    factors = out[:, 1]
    assert factors.min() >= 0.8 and factors.max() <= 1.2
    assert np.histogram(factors, bins=4, range=(0.8, 1.2))[0].min() > 50
    n = np.arange(100)
    for row, factor in zip(out, factors):
        inside = n * factor <= 99
        np.testing.assert_allclose(row[inside], n[inside] * factor, rtol=1e-5)


@pytest.mark.parametrize("value", [0.0, (0.0, 1.0), (1.2, 0.8), (1.0, 11.0), -1.0, "fast"])
def test_constructor_errors_name_the_argument(value):
    with pytest.raises(ValueError, match="`factor_range`"):
        SpeedPerturbation(value)
