"""`resample` against a float64 NumPy reference written from its definition."""

import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment.audio._resample import resample


def reference(waveforms, factors, output_length):
    """x_b(n * f_b): linear interpolation between samples, the input followed by zeros."""
    waveforms = np.asarray(waveforms, np.float64)
    out = np.zeros((len(waveforms), output_length))
    for b, (x, f) in enumerate(zip(waveforms, np.asarray(factors, np.float64))):
        extended = np.concatenate([x, [0.0]])
        for n in range(output_length):
            t = n * f
            if t >= len(x):
                continue
            i = int(np.floor(t))
            frac = t - i
            out[b, n] = (1 - frac) * extended[i] + frac * extended[i + 1]
    return out


@pytest.mark.parametrize("output_length", [0, 1, 37, 100, 250])
def test_matches_the_float64_reference(output_length):
    rng = np.random.default_rng(0)
    waveforms = rng.normal(size=(5, 100)).astype("float32")
    # Slower, faster, exactly 1 (integer positions), far past the end, and a factor
    # that lands positions in the last sample period (the ramp down to zero).
    factors = np.array([0.73, 1.31, 1.0, 7.9, 0.999], "float32")
    out = resample(waveforms, factors, output_length)
    assert out.dtype == tf.float32 and tuple(out.shape) == (5, output_length)
    np.testing.assert_allclose(
        out.numpy(), reference(waveforms, factors, output_length), atol=2e-6
    )


def test_factor_one_is_the_identity_and_pads_with_zeros():
    waveforms = np.arange(1, 9, dtype="float32").reshape(2, 4)
    out = resample(waveforms, [1.0, 1.0], 6).numpy()
    np.testing.assert_array_equal(out, [[1, 2, 3, 4, 0, 0], [5, 6, 7, 8, 0, 0]])


def test_half_speed_interpolates_midpoints():
    out = resample([[0.0, 2.0, 4.0]], [0.5], 6).numpy()
    np.testing.assert_allclose(out, [[0, 1, 2, 3, 4, 2]])


def test_tone_frequency_scales_by_the_factor():
    rate, frequency, factor = 16000, 440.0, 1.07
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * frequency * t).astype("float32")[None]
    out = resample(tone, [factor], rate).numpy()[0]
    # The played part lasts rate / factor samples; measure the peak there.
    played = out[: int(rate / factor) - 1]
    spectrum = np.abs(np.fft.rfft(played * np.hanning(len(played)), 1 << 20))
    peak = np.argmax(spectrum) * rate / (1 << 20)
    assert abs(peak / (frequency * factor) - 1) < 1e-3


def test_runs_in_a_graph_with_unknown_shapes():
    fn = tf.function(
        resample,
        input_signature=[tf.TensorSpec([None, None]), tf.TensorSpec([None]),
                         tf.TensorSpec([], tf.int32)],
    )
    waveforms = np.random.default_rng(1).normal(size=(3, 50)).astype("float32")
    factors = np.array([0.5, 1.2, 2.0], "float32")
    np.testing.assert_allclose(
        fn(waveforms, factors, 60).numpy(), reference(waveforms, factors, 60), atol=2e-6
    )
