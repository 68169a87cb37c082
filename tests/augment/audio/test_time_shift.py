"""`TimeShift`: whole-sample shifts in range, circular or zero-filled."""

import numpy as np
import pytest

from keras_margin.augment.audio import TimeShift


def shifted(x, shift, rollover):
    """Reference: x delayed by `shift` samples (negative: advanced)."""
    if rollover:
        return np.roll(x, shift)
    out = np.zeros_like(x)
    if shift >= 0:
        out[shift:] = x[: len(x) - shift]
    else:
        out[:shift] = x[-shift:]
    return out


def found_shifts(inputs, outputs, candidates, rollover):
    """The shift of each output among `candidates` (fails unless one fits), or None
    where several fit because the clip was shifted out entirely (all zeros)."""
    shifts = []
    for x, y in zip(inputs, outputs):
        fits = [s for s in candidates if np.array_equal(shifted(x, s, rollover), y)]
        assert len(fits) == 1 or (len(fits) > 1 and not y.any()), fits
        shifts.append(fits[0] if len(fits) == 1 else None)
    return shifts


@pytest.mark.parametrize("rollover", [True, False])
def test_a_click_moves_by_the_drawn_number_of_samples(rollover):
    clicks = np.zeros((200, 64), "float32")
    positions = np.random.default_rng(0).integers(0, 64, 200)
    clicks[np.arange(200), positions] = 1.0
    out = np.asarray(TimeShift(8, unit="samples", rollover=rollover, seed=0)(clicks))
    shifts = found_shifts(clicks, out, range(-8, 9), rollover)
    known = np.array([s for s in shifts if s is not None])
    # Every integer in [-8, 8] is drawn (uniform: ~12 of each in 200).
    assert set(known) == set(range(-8, 9))
    kept = np.array([s is not None for s in shifts])
    moved = positions[kept] + known
    if rollover:
        assert kept.all()
        np.testing.assert_array_equal(np.argmax(out, 1), moved % 64)
    else:
        np.testing.assert_array_equal(np.argmax(out[kept], 1), moved)
        # Clicks within 8 samples of an edge can be shifted out: then silence.
        assert not kept.all() and np.all(out[~kept] == 0)


@pytest.mark.parametrize("rollover", [True, False])
def test_fractional_shifts_are_rounded_to_samples_within_range(rollover):
    signals = np.random.default_rng(1).normal(size=(100, 50)).astype("float32")
    out = np.asarray(TimeShift(0.1, rollover=rollover, seed=2)(signals))
    shifts = np.array(found_shifts(signals, out, range(-5, 6), rollover))
    assert shifts.min() == -5 and shifts.max() == 5 and len(set(shifts)) == 11


def test_zero_shift_and_whole_clip_shift():
    x = np.arange(1, 11, dtype="float32")[None]
    np.testing.assert_array_equal(np.asarray(TimeShift(0, unit="samples")(x)), x)
    out = np.asarray(TimeShift(10, unit="samples", rollover=False, seed=0)(np.repeat(x, 60, 0)))
    for row in out:
        assert any(np.array_equal(row, shifted(x[0], s, False)) for s in range(-10, 11))
    # A shift of +-10 (the whole clip) leaves silence: 2 of 21 values, so ~6 of 60.
    assert (np.abs(out).sum(1) == 0).any()


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"max_shift": -0.1}, "max_shift"), ({"max_shift": 1.5}, "max_shift"),
     ({"max_shift": 2.5, "unit": "samples"}, "max_shift"),
     ({"max_shift": -1, "unit": "samples"}, "max_shift"), ({"unit": "seconds"}, "unit"),
     ({"rollover": "yes"}, "rollover"), ({"seed": -1}, "seed")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        TimeShift(**kwargs)
