import embedding_testing as et
import numpy as np
import pytest
import torch
from keras import ops
from pytorch_metric_learning import miners
from pytorch_metric_learning.utils import loss_and_miner_utils as lmu

from keras_margin.losses import _miners
from keras_margin.losses._pairs import euclidean_distance
from keras_margin.losses._pairs import pair_masks

# Distinct distances (no ties), so every miner's choice is unique.
BATCHES = {name: et.batches()[name] for name in
           ("random", "no_positives", "all_same_label", "one_sample", "single_anchor_with_positive")}


def _mined(x, y, miner, margin=0.2):
    distance = euclidean_distance(ops.convert_to_tensor(x))
    positive, negative = pair_masks(ops.convert_to_tensor(y), distance.dtype)
    weights = ops.convert_to_numpy(_miners.mined_triplets(distance, positive, negative, miner, margin))
    assert set(np.unique(weights)) <= {0.0, 1.0}
    return sorted(map(tuple, np.argwhere(weights > 0).tolist()))


def _pml(x, y, miner):
    x, y = torch.tensor(x), torch.tensor(y)
    indices = lmu.get_all_triplets_indices(y) if miner == "batch_all" else miner(x, y)
    return sorted(zip(*(index.tolist() for index in indices)))


@pytest.mark.parametrize("case", list(BATCHES))
@pytest.mark.parametrize(
    "miner, pml_miner",
    [("batch_all", "batch_all"),
     ("semi_hard", miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard")),
     ("batch_hard", miners.BatchHardMiner())],
)
def test_mined_triplets_match_reference_and_pml(case, miner, pml_miner):
    x, y = BATCHES[case]
    mined = _mined(x, y, miner)
    assert mined == sorted(et.reference_triplets(x, y, miner, 0.2))
    assert mined == _pml(x, y, pml_miner)


@pytest.mark.parametrize("margin", [0.0, 0.05, 0.5, 3.0])
def test_semi_hard_window(margin):
    x, y = BATCHES["random"]
    mined = _mined(x, y, "semi_hard", margin)
    assert mined == sorted(et.reference_triplets(x, y, "semi_hard", margin))
    pml_miner = miners.TripletMarginMiner(margin=margin, type_of_triplets="semihard")
    assert mined == _pml(x, y, pml_miner)
    if margin == 0.0:
        assert mined == []


def test_batch_hard_is_one_triplet_per_anchor_with_a_positive_and_a_negative():
    x, y = BATCHES["single_anchor_with_positive"]  # labels 0, 0, 1, 2, 3
    mined = _mined(x, y, "batch_hard")
    assert [a for a, _, _ in mined] == [0, 1]
    d = et.distance_matrix(x)
    for a, p, q in mined:
        assert d[a, q] == min(d[a, j] for j in range(len(y)) if y[j] != y[a])


def test_ties_pick_one_triplet_per_anchor():
    x, y = et.batches()["ties"]
    mined = _mined(x, y, "batch_hard")
    assert sorted(a for a, _, _ in mined) == list(range(len(y)))
    assert mined == sorted(et.reference_triplets(x, y, "batch_hard"))  # the first of tied ones


def test_unknown_miner_raises():
    with pytest.raises(ValueError, match="`miner`"):
        _miners.check_miner("hardest")
