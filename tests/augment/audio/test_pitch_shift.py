"""`PitchShift`: the spectral peak moves by 2^(n/12), duration and timing stay."""

import numpy as np
import pytest

import spec_signals
from keras_margin.augment.audio.pitch_shift import PitchShift


@pytest.mark.parametrize("semitones", [-4.0, -1.0, 2.5, 7.0])
def test_peak_moves_by_the_semitones_and_duration_stays(semitones):
    clips = np.stack([
        spec_signals.tone_burst(440.0),
        spec_signals.note(196.0, decay=0.0),
        spec_signals.note(523.0, seed=1),
    ])
    out = np.asarray(PitchShift((semitones, semitones), seed=0)(clips))
    assert out.shape == clips.shape and out.dtype == np.float32
    expected = 2.0 ** (semitones / 12.0)
    for index, (clip, shifted) in enumerate(zip(clips, out)):
        ratio = spec_signals.peak_frequency(shifted) / spec_signals.peak_frequency(clip)
        assert abs(ratio / expected - 1.0) < 0.01, (semitones, ratio)
        if index < 2:  # the steady clips; the third one decays
            duration = spec_signals.sounding_duration(shifted)
            assert abs(duration / spec_signals.sounding_duration(clip) - 1.0) < 0.01
    # Within one hop (8 ms): the vocoder resolves time to a hop, and the frames that
    # straddle an onset overlap-add with partial cancellation, which delays the rise.
    onset = spec_signals.sounding_span(out[0])[0]
    assert abs(onset - spec_signals.sounding_span(clips[0])[0]) < 0.008


def test_zero_semitones_is_close_to_the_input():
    clip = spec_signals.note(300.0)
    out = np.asarray(PitchShift((0.0, 0.0), seed=0)(clip))
    np.testing.assert_allclose(out, clip, atol=1e-3)


def test_each_clip_draws_its_own_shift():
    clip = spec_signals.tone_burst(440.0, duration=0.3, length=8000)
    out = np.asarray(PitchShift((-3.0, 3.0), seed=0)(np.stack([clip] * 4)))
    peaks = [spec_signals.peak_frequency(c) for c in out]
    assert min(peaks) > 440 * 2 ** (-3.05 / 12) and max(peaks) < 440 * 2 ** (3.05 / 12)
    assert len(set(np.round(peaks))) == 4


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"semitone_range": (2.0, -2.0)}, "semitone_range"),
     ({"semitone_range": (-30.0, 0.0)}, "semitone_range"),
     ({"semitone_range": "up"}, "semitone_range"),
     ({"frame_length": 100.5}, "frame_length"), ({"seed": 1.5}, "seed")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        PitchShift(**kwargs)
