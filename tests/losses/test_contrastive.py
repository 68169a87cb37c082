import embedding_testing as et
import numpy as np
import pytest
from pytorch_metric_learning import losses, miners

import keras_margin as km

BATCHES = et.batches()
PML_MINERS = {
    None: None,
    "batch_all": "batch_all",
    "semi_hard": miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard"),
    "batch_hard": miners.BatchHardMiner(),
}


def _reference(x, y, pos_margin=0.0, neg_margin=1.0, miner=None, miner_margin=0.2):
    """Hadsell et al.'s pair terms, each kind averaged over its non-zero terms."""
    d = et.distance_matrix(x)
    n = len(y)
    if miner is None:
        positives = [(i, j) for i in range(n) for j in range(n) if i != j and y[i] == y[j]]
        negatives = [(i, j) for i in range(n) for j in range(n) if y[i] != y[j]]
    else:
        triplets = et.reference_triplets(x, y, miner, miner_margin)
        positives = [(a, p) for a, p, _ in triplets]
        negatives = [(a, q) for a, _, q in triplets]
    if len(positives) <= 1 and len(negatives) <= 1:
        return 0.0
    return et.average_non_zero([max(d[i, j] - pos_margin, 0.0) for i, j in positives]) + \
        et.average_non_zero([max(neg_margin - d[i, j], 0.0) for i, j in negatives])


@pytest.mark.parametrize("miner", list(PML_MINERS))
@pytest.mark.parametrize("case", list(BATCHES))
def test_matches_reference_and_pml(case, miner):
    x, y = BATCHES[case]
    # A zero row is exactly 1 from every unit row: on the default neg_margin's edge,
    # where the rounding of either side decides whether the term counts.
    neg_margin = 1.1 if case == "zero_embedding" else 1.0
    loss = km.losses.ContrastiveLoss(neg_margin=neg_margin, miner=miner)
    value = et.check_matches_pml(
        loss, losses.ContrastiveLoss(neg_margin=neg_margin), x, y, PML_MINERS[miner],
        compare_gradient=not (miner == "batch_hard" and case in et.TIED_DISTANCES),
    )
    expected = _reference(x, y, neg_margin=neg_margin, miner=miner)
    np.testing.assert_allclose(value, expected, rtol=2e-6, atol=2e-7)


def test_other_margins_match_pml():
    x, y = BATCHES["random"]
    loss = km.losses.ContrastiveLoss(pos_margin=0.3, neg_margin=1.2)
    value = et.check_matches_pml(loss, losses.ContrastiveLoss(pos_margin=0.3, neg_margin=1.2), x, y)
    np.testing.assert_allclose(value, _reference(x, y, 0.3, 1.2), rtol=2e-6)


def test_a_single_mined_triplet_gives_zero_as_in_pml():
    x = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]])
    y = np.array([0, 0, 1])
    # Only anchor 0 has its negative within 0.3 beyond its positive.
    assert et.reference_triplets(x, y, "semi_hard", 0.3) == [(0, 1, 2)]
    loss = km.losses.ContrastiveLoss(miner="semi_hard", miner_margin=0.3)
    pml_miner = miners.TripletMarginMiner(margin=0.3, type_of_triplets="semihard")
    assert et.check_matches_pml(loss, losses.ContrastiveLoss(), x, y, pml_miner) == 0.0


@pytest.mark.parametrize("miner", list(PML_MINERS))
def test_gradient_matches_finite_differences(miner):
    x, y = et.small_batch()
    gradient = et.check_finite_differences(km.losses.ContrastiveLoss(miner=miner), x, y)
    assert np.abs(gradient).max() > 0


def test_mixed_precision_is_finite():
    et.check_finite_under_mixed_precision(km.losses.ContrastiveLoss(), np.array([0, 0, 1, 1, 2, 2]))
    et.check_finite_under_mixed_precision(
        km.losses.ContrastiveLoss(miner="batch_hard"), np.array([0, 0, 1, 1, 2, 2])
    )


def test_config_round_trip():
    x, y = BATCHES["random"]
    loss = km.losses.ContrastiveLoss(pos_margin=0.1, neg_margin=0.9, miner="semi_hard", miner_margin=0.3)
    et.check_config_round_trip(loss, x, y)


def test_trains_with_fit():
    et.check_fit_decreases(km.losses.ContrastiveLoss(miner="batch_hard"))


@pytest.mark.parametrize(
    "kwargs, name",
    [({"miner": "hardest"}, "miner"), ({"miner_margin": -1.0}, "miner_margin"),
     ({"neg_margin": float("nan")}, "neg_margin"), ({"pos_margin": "0"}, "pos_margin")],
)
def test_invalid_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.losses.ContrastiveLoss(**kwargs)
