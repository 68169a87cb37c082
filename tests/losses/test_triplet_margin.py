import embedding_testing as et
import numpy as np
import pytest
from pytorch_metric_learning import losses, miners

import keras_margin as km

BATCHES = et.batches()


def _pml_miner(miner, margin):
    return {
        None: None,
        "batch_all": "batch_all",
        "semi_hard": miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard"),
        "batch_hard": miners.BatchHardMiner(),
    }[miner]


def _reference(x, y, margin=0.05, miner=None, swap=False, smooth=False):
    """FaceNet's hinge per triplet, averaged over the non-zero ones."""
    d = et.distance_matrix(x)
    values = []
    for a, p, q in et.reference_triplets(x, y, miner, margin):
        negative = min(d[a, q], d[p, q]) if swap else d[a, q]
        violation = d[a, p] - negative + margin
        values.append(np.log1p(np.exp(violation)) if smooth else max(violation, 0.0))
    return et.average_non_zero(values)


@pytest.mark.parametrize("miner", [None, "batch_all", "semi_hard", "batch_hard"])
@pytest.mark.parametrize("case", list(BATCHES))
def test_matches_reference_and_pml(case, miner):
    x, y = BATCHES[case]
    margin = 0.05 if miner is None else 0.3
    value = et.check_matches_pml(
        km.losses.TripletMarginLoss(margin=margin, miner=miner),
        losses.TripletMarginLoss(margin=margin), x, y, _pml_miner(miner, margin),
        compare_gradient=not (miner == "batch_hard" and case in et.TIED_DISTANCES),
    )
    np.testing.assert_allclose(value, _reference(x, y, margin, miner), rtol=2e-6, atol=2e-7)


def test_defaults_are_pmls():
    loss = km.losses.TripletMarginLoss()
    assert (loss.margin, loss.miner, loss.swap, loss.smooth_loss) == (0.05, None, False, False)


def test_batch_all_is_the_default_triplet_set():
    x, y = BATCHES["random"]
    assert float(km.losses.TripletMarginLoss(miner="batch_all")(y, x)) == \
        float(km.losses.TripletMarginLoss()(y, x))


def test_semi_hard_window_defaults_to_the_margin_and_can_differ():
    x, y = BATCHES["random"]
    loss = km.losses.TripletMarginLoss(margin=0.2, miner="semi_hard", miner_margin=0.5)
    value = et.check_matches_pml(
        loss, losses.TripletMarginLoss(margin=0.2), x, y, _pml_miner("semi_hard", 0.5)
    )
    d = et.distance_matrix(x)
    triplets = et.reference_triplets(x, y, "semi_hard", 0.5)
    expected = et.average_non_zero([max(d[a, p] - d[a, q] + 0.2, 0) for a, p, q in triplets])
    np.testing.assert_allclose(value, expected, rtol=2e-6)


@pytest.mark.parametrize("swap, smooth", [(True, False), (False, True), (True, True)])
def test_swap_and_smooth_loss_match_pml(swap, smooth):
    x, y = BATCHES["random"]
    value = et.check_matches_pml(
        km.losses.TripletMarginLoss(margin=0.2, swap=swap, smooth_loss=smooth),
        losses.TripletMarginLoss(margin=0.2, swap=swap, smooth_loss=smooth), x, y,
    )
    np.testing.assert_allclose(value, _reference(x, y, 0.2, None, swap, smooth), rtol=2e-6)


@pytest.mark.parametrize("miner", [None, "semi_hard", "batch_hard"])
def test_gradient_matches_finite_differences(miner):
    x, y = et.small_batch()
    gradient = et.check_finite_differences(km.losses.TripletMarginLoss(0.3, miner=miner), x, y)
    assert np.abs(gradient).max() > 0


def test_mixed_precision_is_finite():
    labels = np.array([0, 0, 1, 1, 2, 2])
    et.check_finite_under_mixed_precision(km.losses.TripletMarginLoss(), labels)
    et.check_finite_under_mixed_precision(km.losses.TripletMarginLoss(miner="semi_hard"), labels)


def test_config_round_trip():
    x, y = BATCHES["random"]
    loss = km.losses.TripletMarginLoss(0.2, miner="batch_hard", swap=True, smooth_loss=True)
    et.check_config_round_trip(loss, x, y)


def test_trains_with_fit_under_xla():
    et.check_fit_decreases(km.losses.TripletMarginLoss(margin=0.2, miner="batch_hard"), jit_compile=True)


def test_trains_with_fit_under_mixed_precision():
    import keras

    keras.config.set_dtype_policy("mixed_float16")  # the conftest fixture restores float32
    et.check_fit_decreases(km.losses.TripletMarginLoss(margin=0.2))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"margin": -0.1}, "margin"), ({"miner": "hard"}, "miner"),
     ({"miner_margin": float("inf")}, "miner_margin"), ({"swap": 1}, "swap"),
     ({"smooth_loss": "yes"}, "smooth_loss")],
)
def test_invalid_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.losses.TripletMarginLoss(**kwargs)
