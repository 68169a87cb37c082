"""`Gain`: the power changes by exactly the drawn number of decibels."""

import numpy as np
import pytest

from keras_margin.augment.audio import Gain


def gains_db(inputs, outputs):
    inputs, outputs = np.asarray(inputs, np.float64), np.asarray(outputs, np.float64)
    return 10 * np.log10(np.mean(outputs**2, 1) / np.mean(inputs**2, 1))


@pytest.mark.parametrize("gain_db", [-40.0, -6.0, 0.0, 3.5, 20.0])
def test_a_fixed_gain_is_exact(gain_db):
    tone = np.sin(np.arange(4000) * 0.05)[None].astype("float32")
    out = np.asarray(Gain(gain_db)(tone))
    np.testing.assert_allclose(out, tone * 10 ** (gain_db / 20), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(gains_db(tone, out), gain_db, atol=1e-4)


def test_each_clip_gets_a_uniform_gain_in_range():
    clicks = np.zeros((400, 16), "float32")
    clicks[:, 3] = 0.5
    out = np.asarray(Gain((-12.0, 6.0), seed=0)(clicks))
    gains = 20 * np.log10(out[:, 3] / 0.5)
    assert gains.min() >= -12.0 - 1e-4 and gains.max() <= 6.0 + 1e-4
    # Uniform on [-12, 6]: mean -3, std 18 / sqrt(12) = 5.2; each quarter ~100 of 400.
    assert abs(gains.mean() + 3.0) < 0.8 and abs(gains.std() - 5.196) < 0.5
    counts = np.histogram(gains, bins=4, range=(-12, 6))[0]
    assert counts.min() > 70
    # Only the click's sample changes: a gain is a per-clip scalar.
    assert np.all(np.delete(out, 3, axis=1) == 0)


@pytest.mark.parametrize(
    "value", [(6.0, -6.0), (-200.0, 0.0), "6", (1.0, float("nan")), (1.0, 2.0, 3.0)]
)
def test_constructor_errors_name_the_argument(value):
    with pytest.raises(ValueError, match="`gain_range_db`"):
        Gain(value)
