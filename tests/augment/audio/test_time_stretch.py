"""`TimeStretch`: duration scales by 1 / rate, pitch stays, length is kept."""

import numpy as np
import pytest

import spec_signals
from keras_margin.augment.audio import _waveform
from keras_margin.augment.audio.time_stretch import TimeStretch


@pytest.mark.parametrize("rate", [0.8, 0.9, 1.1, 1.25])
def test_duration_scales_by_one_over_rate_and_pitch_stays(rate):
    clips = np.stack([
        spec_signals.tone_burst(440.0),
        spec_signals.tone_burst(1250.0),
        spec_signals.note(262.0, decay=0.0),
    ])
    out = np.asarray(TimeStretch((rate, rate), seed=0)(clips))
    assert out.shape == clips.shape and out.dtype == np.float32
    for clip, stretched in zip(clips, out):
        ratio = spec_signals.sounding_duration(stretched) / spec_signals.sounding_duration(clip)
        assert abs(ratio * rate - 1.0) < 0.01, (rate, ratio)
        pitch = spec_signals.peak_frequency(stretched) / spec_signals.peak_frequency(clip)
        assert abs(pitch - 1.0) < 0.01, (rate, pitch)
    # The burst starts at 0.1 s; it starts at 0.1 / rate after stretching.
    # Within one hop (8 ms): the vocoder resolves time to a hop, and the frames that
    # straddle an onset overlap-add with partial cancellation, which delays the rise.
    onset = spec_signals.sounding_span(out[0])[0]
    assert abs(onset - spec_signals.sounding_span(clips[0])[0] / rate) < 0.008


def test_each_clip_draws_its_rate_log_uniformly():
    layer = TimeStretch((0.5, 2.0), seed=0)
    log_rates = np.asarray(_waveform.uniform(layer.layer_seed([1, 2]), 4000,
                                             (np.log(0.5), np.log(2.0))))
    assert log_rates.min() >= np.log(0.5) and log_rates.max() <= np.log(2.0)
    # Log-uniform: as many clips faster than 1 as slower.
    assert abs((log_rates > 0).mean() - 0.5) < 0.03
    clip = spec_signals.tone_burst(500.0, duration=0.3, length=8000)
    out = np.asarray(layer(np.stack([clip] * 6), seed=[1, 2]))
    durations = [spec_signals.sounding_duration(c) for c in out]
    assert len(set(np.round(durations, 3))) > 3


def test_one_number_is_a_fixed_rate_and_float64_stays_float64():
    assert TimeStretch(1.1).rate_range == (1.1, 1.1)
    clip = spec_signals.tone_burst(440.0, length=4000).astype("float64")
    out = TimeStretch(1.1, seed=0)(clip)
    assert out.dtype == "float64" and out.shape == (4000,)


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"rate_range": (0.0, 1.0)}, "rate_range"), ({"rate_range": (1.2, 0.9)}, "rate_range"),
     ({"rate_range": (1.1, "a")}, "rate_range"), ({"rate_range": (1.0, 9.0)}, "rate_range"),
     ({"frame_length": 510}, "frame_length"), ({"frame_length": 8}, "frame_length"),
     ({"seed": -1}, "seed")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TimeStretch(**kwargs)
