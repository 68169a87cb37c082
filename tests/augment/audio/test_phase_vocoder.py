"""`phase_vocoder` against a float64 NumPy phase vocoder written from the papers."""

import numpy as np
import pytest
import tensorflow as tf

import spec_signals
from keras_margin.augment.audio._phase_vocoder import phase_vocoder


def _wrap(angle):
    return angle - 2 * np.pi * np.floor((angle + np.pi) / (2 * np.pi))


def _nearest_peaks(magnitude):
    """Per bin, the nearest bin that beats its two neighbours on each side, or None."""
    size = len(magnitude)
    peaks = [
        k for k in range(size)
        if magnitude[k] > 0 and all(
            magnitude[k] > magnitude[k + o] if abs(o) == 1 else magnitude[k] >= magnitude[k + o]
            for o in (-2, -1, 1, 2) if 0 <= k + o < size
        )
    ]
    if not peaks:
        return None
    peaks = np.array(peaks)
    distance = np.abs(np.arange(size)[:, None] - peaks[None, :])
    return peaks[np.argmin(distance, axis=1)]  # ties: the first, i.e. lower, peak


def reference(x, rate, output_length, frame_length=512):
    """One clip, frame by frame: Hann analysis at hop N/4 of the clip padded by N zeros
    on both sides; output frame j reads analysis position rate*j + 2(1 - rate) (so that
    time 0 stays at 0), with magnitudes interpolated between the two neighbouring
    frames; phases accumulate each bin's measured advance over a hop (Flanagan &
    Golden), locked to the nearest peak (Laroche & Dolson); weighted overlap-add
    normalised by the summed squared window."""
    n, hop = frame_length, frame_length // 4
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
    padded = np.pad(np.asarray(x, np.float64), (n, n))
    count = 1 + (len(padded) - n) // hop
    spectra = np.stack([np.fft.rfft(window * padded[f * hop:f * hop + n]) for f in range(count)])
    out_frames = (n + output_length - 1) // hop + 2
    advance = 2 * np.pi * np.arange(n // 2 + 1) * hop / n
    accumulated = np.angle(spectra[0])
    out = np.zeros((out_frames - 1) * hop + n)
    norm = np.zeros_like(out)
    for j in range(out_frames):
        position = rate * j + n / (2 * hop) * (1 - rate)
        past_end = position > count - 1
        position = min(max(position, 0.0), count - 1)
        k0 = int(np.floor(position))
        k1 = min(k0 + 1, count - 1)
        a = position - k0
        magnitude = (1 - a) * np.abs(spectra[k0]) + a * np.abs(spectra[k1])
        if past_end:
            magnitude = 0 * magnitude
        phase = accumulated
        peaks = _nearest_peaks(magnitude)
        if peaks is not None:
            measured = np.angle(spectra[k0])
            phase = accumulated[peaks] + measured - measured[peaks]
        frame = np.fft.irfft(magnitude * np.exp(1j * phase), n)
        out[j * hop:j * hop + n] += window * frame
        norm[j * hop:j * hop + n] += window**2
        deviation = np.angle(spectra[k1]) - np.angle(spectra[k0]) - advance
        accumulated = accumulated + advance + _wrap(deviation)
    return (out / np.where(norm > 1e-10, norm, 1.0))[n:n + output_length]


def _signals(length=4000):
    """A note, a tone burst, white noise and silence. The first two carry a noise
    floor 40-60 dB down: in bins holding only float32 rounding noise the measured
    phases are arbitrary, and the phase accumulated through them differs between any
    two implementations by a constant (inaudible, but not sample-exact)."""
    rng = np.random.default_rng(0)
    floor = rng.normal(size=length) * 1e-3
    return np.stack([
        spec_signals.note(330.0, start=0.05, duration=0.15, length=length),
        spec_signals.tone_burst(1000.0, start=0.02, duration=0.1, length=length) + floor,
        rng.normal(size=length) * 0.3,
        np.zeros(length),
    ]).astype("float32")


def test_rate_one_reconstructs_the_input():
    x = _signals()
    out = phase_vocoder(x, tf.ones([4]), x.shape[1]).numpy()
    np.testing.assert_allclose(out, x, atol=2e-3)
    # The tonal clips, whose phases stay small, to float32 rounding.
    np.testing.assert_allclose(out[:2], x[:2], atol=1e-4)
    np.testing.assert_allclose(out[:3], [reference(c, 1.0, x.shape[1]) for c in x[:3]],
                               atol=2e-3)


@pytest.mark.parametrize("rates", [(0.8, 1.25, 0.9, 1.1), (1.5, 0.7, 1.0, 2.0)])
@pytest.mark.parametrize("output_length", [4000, 3001])
def test_matches_the_float64_reference_with_one_rate_per_clip(rates, output_length):
    x = _signals()
    out = phase_vocoder(x, np.array(rates, "float32"), output_length).numpy()
    assert out.shape == (4, output_length) and np.isfinite(out).all()
    for clip, rate, got in zip(x, rates, out):
        expected = reference(clip, float(np.float32(rate)), output_length)
        np.testing.assert_allclose(got, expected, atol=1e-3)
    np.testing.assert_array_equal(out[3], 0.0)


def test_other_frame_lengths_match_the_reference():
    x = _signals()[:2]
    out = phase_vocoder(x, np.array([0.75, 1.3], "float32"), 4000, frame_length=256).numpy()
    for clip, rate, got in zip(x, (0.75, 1.3), out):
        expected = reference(clip, float(np.float32(rate)), 4000, 256)
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_runs_in_a_graph_with_unknown_shapes():
    fn = tf.function(phase_vocoder, input_signature=[
        tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([], tf.int32),
    ])
    x = _signals()
    np.testing.assert_allclose(
        fn(x, tf.fill([4], 0.9), 2000).numpy(), phase_vocoder(x, tf.fill([4], 0.9), 2000),
        atol=1e-4,  # graph and eager kernels round differently
    )
