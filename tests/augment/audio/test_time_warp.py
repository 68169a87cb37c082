"""`TimeWarp`: piecewise-linear warp as drawn; shape and endpoints kept."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spec_reference
from keras_margin.augment.audio.time_warp import TimeWarp


def test_matches_the_reference_warp_of_the_drawn_parameters():
    x = np.random.default_rng(0).normal(size=(8, 60, 10)).astype("float32")
    layer = TimeWarp(max_warp=20, seed=0)
    out = np.asarray(layer(x, seed=[3, 4]))
    centres, distances = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([3, 4])))
    assert (centres >= 21).all() and (centres <= 60 - 2 - 20).all()
    assert (np.abs(distances) <= 20).all() and np.abs(distances).max() > 5
    # float32 positions against float64 ones.
    np.testing.assert_allclose(out, spec_reference.time_warp(x, centres, distances), atol=1e-4)
    assert out.shape == x.shape
    np.testing.assert_array_equal(out[:, 0], x[:, 0])
    np.testing.assert_allclose(out[:, -1], x[:, -1], atol=1e-6)


def test_the_centre_frame_moves_by_the_drawn_distance():
    ramp = np.tile(np.arange(40, dtype="float32")[None, :, None], (6, 1, 3))
    layer = TimeWarp(max_warp=8, seed=1)
    out = np.asarray(layer(ramp, seed=[0, 9]))
    centres, distances = (np.asarray(d) for d in layer.draw(ramp, layer.layer_seed([0, 9])))
    for row, c, w in zip(out[:, :, 0], centres, distances):
        # The value c (the input's frame c) is now found at frame c + w (up to the
        # kink of the warp between the two frames around c + w).
        assert abs(np.interp(c, row, np.arange(40)) - (c + w)) < 0.1
        assert (np.diff(row) > 0).all()


@pytest.mark.parametrize("frames, expected_warp", [(4, 0), (5, 1), (9, 3), (200, 80)])
def test_warp_is_clipped_for_short_spectrograms(frames, expected_warp):
    layer = TimeWarp(max_warp=80, seed=0)
    x = np.random.default_rng(1).normal(size=(300, frames, 2)).astype("float32")
    centres, distances = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([1, 2])))
    assert np.abs(distances).max() <= expected_warp + 1e-6
    if expected_warp == 0:
        np.testing.assert_array_equal(np.asarray(layer(x)), x)
    else:
        assert np.abs(distances).max() > 0.8 * expected_warp
        targets = centres + distances
        assert targets.min() >= 1.0 - 1e-5 and targets.max() <= frames - 2 + 1e-5
    assert np.isfinite(np.asarray(layer(x))).all()


@pytest.mark.parametrize("value", [-1, 2.5, "80", None])
def test_constructor_errors_name_the_argument(value):
    with pytest.raises(ValueError, match="`max_warp`"):
        TimeWarp(max_warp=value)


@settings(max_examples=25, deadline=None)
@given(frames=st.integers(1, 40), max_warp=st.integers(0, 25), seed=st.integers(0, 2**31 - 1))
def test_any_length_and_warp_match_the_reference(frames, max_warp, seed):
    x = np.random.default_rng(seed).normal(size=(3, frames, 4)).astype("float32")
    layer = TimeWarp(max_warp=max_warp, seed=0)
    out = np.asarray(layer(x, seed=[seed, 1]))
    centres, distances = (np.asarray(d) for d in layer.draw(x, layer.layer_seed([seed, 1])))
    assert out.shape == x.shape and np.isfinite(out).all()
    assert np.abs(distances).max() <= max(0, min(max_warp, (frames - 3) // 2)) + 1e-6
    if np.abs(distances).max() == 0:
        np.testing.assert_array_equal(out, x)
    else:
        np.testing.assert_allclose(out, spec_reference.time_warp(x, centres, distances),
                                   atol=1e-4)
