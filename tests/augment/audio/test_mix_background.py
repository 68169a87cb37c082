"""`MixBackground`: excerpts of the bank, wrapped, at the requested SNR."""

import json

import numpy as np
import pytest

from keras_margin.augment.audio import MixBackground
from keras_margin.augment.audio.mix_background import MAX_BACKGROUND_SAMPLES


def snr_db(signal, noise):
    signal, noise = np.asarray(signal, np.float64), np.asarray(noise, np.float64)
    return 10 * np.log10(np.mean(signal**2, 1) / np.mean(noise**2, 1))


def clips(count=64, samples=300):
    t = np.arange(samples) / 16000.0
    frequencies = np.random.default_rng(0).uniform(100, 4000, count)
    return np.sin(2 * np.pi * frequencies[:, None] * t).astype("float32")


BANK = np.random.default_rng(1).normal(size=(3, 128)) * np.array([[0.1], [1.0], [5.0]])


def locate(excerpt, bank):
    """(clip, offset) whose wrapped read matches `excerpt` up to a positive scale."""
    steps = np.arange(len(excerpt))
    for clip, recording in enumerate(bank):
        for offset in range(bank.shape[1]):
            candidate = recording[(offset + steps) % bank.shape[1]]
            scale = np.dot(candidate, excerpt) / np.dot(candidate, candidate)
            if scale > 0 and np.allclose(candidate * scale, excerpt, rtol=1e-3, atol=1e-6):
                return clip, offset
    raise AssertionError("the added signal is no wrapped excerpt of the bank")


def test_each_clip_gets_a_wrapped_excerpt_at_the_requested_snr():
    signals = clips()  # 300 samples: longer than the 128-sample recordings (tiled)
    out = np.asarray(MixBackground(BANK, snr_range_db=6.0, seed=0)(signals))
    added = out.astype(np.float64) - signals
    np.testing.assert_allclose(snr_db(signals, added), 6.0, atol=0.05)
    found = [locate(row, BANK) for row in added]
    # Recordings and offsets are drawn per clip: all 3 recordings, many offsets.
    assert {clip for clip, _ in found} == {0, 1, 2}
    assert len({offset for _, offset in found}) > 40


def test_drawn_snr_is_achieved_and_spans_the_range():
    signals = clips(200, 64)
    layer = MixBackground(BANK[:, :100], snr_range_db=(3.0, 30.0), seed=2)
    achieved = snr_db(signals, np.asarray(layer(signals), np.float64) - signals)
    assert achieved.min() > 3.0 - 0.05 and achieved.max() < 30.0 + 0.05
    assert np.histogram(achieved, bins=3, range=(3, 30))[0].min() > 45


def test_silent_clips_and_silent_excerpts_add_nothing():
    bank = np.zeros((2, 50), "float32")
    bank[1, 10:20] = 1.0  # recording 1 is silent outside samples 10..19
    signals = clips(40, 20)
    signals[0] = 0.0
    out = np.asarray(MixBackground(bank, snr_range_db=0.0, seed=1)(signals))
    assert np.all(np.isfinite(out)) and np.all(out[0] == 0)
    added = out - signals
    silent_rows = np.abs(added).max(axis=1) == 0
    assert silent_rows[1:].any() and not silent_rows.all()
    np.testing.assert_allclose(snr_db(signals[~silent_rows], added[~silent_rows]), 0.0, atol=0.05)


def test_one_recording_and_config_keeps_the_bank():
    layer = MixBackground(BANK[0].astype("float32"), seed=0)
    assert layer.backgrounds.shape == (1, 128)
    config = json.loads(json.dumps(layer.get_config()))
    np.testing.assert_array_equal(np.asarray(config["backgrounds"], "float32"), layer.backgrounds)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"backgrounds": np.zeros((2, 0))}, "backgrounds"),
     ({"backgrounds": np.zeros((2, 3, 4))}, "backgrounds"),
     ({"backgrounds": [[1.0, np.nan]]}, "backgrounds"),
     ({"backgrounds": "noise.wav"}, "backgrounds"),
     ({"backgrounds": np.zeros((2, MAX_BACKGROUND_SAMPLES // 2 + 1), "float32")},
      "backgrounds"),
     ({"backgrounds": BANK, "snr_range_db": (10.0, 5.0)}, "snr_range_db")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        MixBackground(**kwargs)
