"""`SpecAugment`: the paper's policies, and warp -> frequency masks -> time masks."""

import numpy as np
import pytest

import spec_reference
from keras_margin.augment.audio.spec_augment import POLICIES, SpecAugment

# Park et al. 2019, Table 1, typed in again here as the test's own record.
TABLE_1 = {
    "LB": (80, 27, 1, 100, 1.0, 1),
    "LD": (80, 27, 2, 100, 1.0, 2),
    "SM": (40, 15, 2, 70, 0.2, 2),
    "SS": (40, 27, 2, 70, 0.2, 2),
}
NAMES = ("time_warp", "frequency_mask", "frequency_mask_count", "time_mask",
         "time_mask_fraction", "time_mask_count")


@pytest.mark.parametrize("policy", sorted(TABLE_1))
def test_policies_are_the_papers_table(policy):
    layer = SpecAugment(policy)
    assert tuple(getattr(layer, name) for name in NAMES) == TABLE_1[policy]
    assert tuple(POLICIES[policy][name] for name in NAMES) == TABLE_1[policy]


def test_explicit_arguments_override_the_policy():
    layer = SpecAugment("SM", time_mask=10, frequency_mask_count=0)
    assert (layer.time_mask, layer.frequency_mask_count, layer.time_warp) == (10, 0, 40)
    config = layer.get_config()
    assert config["time_mask"] == 10 and "time_warp" not in config
    restored = SpecAugment.from_config(config)
    assert restored.time_mask == 10 and restored.time_warp == 40


@pytest.mark.parametrize("policy, mask_value", [("LD", 0.0), ("SS", "mean")])
def test_output_is_warp_then_masks_from_the_drawn_parameters(policy, mask_value):
    x = np.random.default_rng(0).normal(size=(6, 120, 40)).astype("float32") + 1.0
    layer = SpecAugment(policy, mask_value=mask_value, seed=0)
    out = np.asarray(layer(x, seed=[1, 2]))
    draws = {k: np.asarray(v) for k, v in layer.draw(x, layer.layer_seed([1, 2])).items()}
    assert draws["frequency_widths"].shape == (6, TABLE_1[policy][2])
    assert draws["time_widths"].shape == (6, TABLE_1[policy][5])
    # Clipped to the spectrogram: W to (120 - 3) // 2, T to p * 120.
    assert np.abs(draws["warp_distances"]).max() <= min(TABLE_1[policy][0], 58)
    assert draws["time_widths"].max() <= min(TABLE_1[policy][3], int(TABLE_1[policy][4] * 120))
    assert draws["frequency_widths"].max() <= min(TABLE_1[policy][1], 40)
    fill = x.mean(axis=(1, 2)) if mask_value == "mean" else np.zeros(6)
    expected = spec_reference.time_warp(x, draws["warp_centres"], draws["warp_distances"])
    expected = spec_reference.mask_frequencies(
        expected, draws["frequency_starts"], draws["frequency_widths"], fill)
    expected = spec_reference.mask_times(
        expected, draws["time_starts"], draws["time_widths"], fill)
    np.testing.assert_allclose(out, expected, atol=1e-4)  # float32 warp positions


def test_policies_run_on_spectrograms_smaller_than_their_parameters():
    x = np.random.default_rng(1).normal(size=(4, 12, 10)).astype("float32")
    for policy in TABLE_1:
        out = np.asarray(SpecAugment(policy, seed=0)(x))
        assert out.shape == x.shape and np.isfinite(out).all()


def test_float64_and_float16_spectrograms_keep_their_dtype():
    for dtype in ("float64", "float16"):
        x = np.random.default_rng(2).normal(size=(2, 30, 8)).astype(dtype)
        out = SpecAugment("SM", mask_value="mean", seed=0)(x)
        assert out.dtype == dtype and np.isfinite(np.asarray(out, "float64")).all()


@pytest.mark.parametrize(
    "kwargs, argument",
    [({"policy": "XL"}, "policy"), ({"policy": None}, "policy"),
     ({"time_warp": -1}, "time_warp"), ({"frequency_mask": 1.5}, "frequency_mask"),
     ({"frequency_mask_count": -2}, "frequency_mask_count"),
     ({"time_mask": "big"}, "time_mask"), ({"time_mask_count": -1}, "time_mask_count"),
     ({"time_mask_fraction": 2.0}, "time_mask_fraction"),
     ({"mask_value": "max"}, "mask_value")],
)
def test_constructor_errors_name_the_argument(kwargs, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        SpecAugment(**kwargs)
