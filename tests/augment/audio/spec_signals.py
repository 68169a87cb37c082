"""Test signals and measurements shared by the phase-vocoder and spectrogram tests.

Imported by name (pytest puts this directory on the path); no fixtures, so the
helpers also run in a plain Python session.
"""

import numpy as np

SAMPLE_RATE = 16000


def tone_burst(frequency, start=0.1, duration=0.6, length=SAMPLE_RATE):
    """A sine of `frequency` Hz from `start` for `duration` seconds, silence around it."""
    t = np.arange(length) / SAMPLE_RATE
    on = (t >= start) & (t < start + duration)
    return (on * np.sin(2 * np.pi * frequency * t)).astype("float32")


def note(fundamental, start=0.1, duration=0.6, length=SAMPLE_RATE, decay=1.5, seed=0):
    """A real-ish instrument note: 6 decaying harmonics with 5 Hz vibrato of 0.3 %,
    10 ms attack and release ramps, an exponential decay of `decay` per second, and
    background noise 40 dB below."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / SAMPLE_RATE
    local = t - start
    on = (local >= 0) & (local < duration)
    ramp = np.clip(np.minimum(local, duration - local) / 0.01, 0.0, 1.0) * on
    phase = 2 * np.pi * fundamental * (t + 0.003 / (2 * np.pi * 5) * np.sin(2 * np.pi * 5 * t))
    harmonics = sum(np.sin(h * phase + h) / h for h in range(1, 7))
    signal = ramp * np.exp(-decay * np.clip(local, 0, None)) * harmonics
    signal = signal / np.abs(signal).max() * 0.8
    noise = rng.normal(size=length) * 0.008
    return (signal + noise).astype("float32")


def envelope(x, window=160):
    """RMS over a sliding 10 ms window."""
    return np.sqrt(np.convolve(np.asarray(x, np.float64) ** 2, np.ones(window) / window, "same"))


def sounding_span(x, threshold=0.5):
    """`(start, end)` in seconds: the first and one past the last sample whose
    envelope exceeds `threshold` times the median envelope of the sounding part (the
    median, not the maximum, so that a short overshoot at an onset does not move the
    threshold)."""
    e = envelope(x)
    level = np.median(e[e > 0.5 * e.max()])
    above = np.nonzero(e > threshold * level)[0]
    return above[0] / SAMPLE_RATE, (above[-1] + 1) / SAMPLE_RATE


def sounding_duration(x, threshold=0.5):
    """Seconds that `x` sounds, by `sounding_span`."""
    start, end = sounding_span(x, threshold)
    return end - start


def peak_frequency(x):
    """The strongest frequency in Hz: Hann-windowed FFT, 8x zero-padded, refined by a
    parabola through the log magnitudes around the maximum."""
    x = np.asarray(x, np.float64)
    size = 8 * len(x)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), size))
    k = int(np.argmax(spectrum))
    a, b, c = np.log(spectrum[k - 1:k + 2] + 1e-30)
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return (k + offset) * SAMPLE_RATE / size
