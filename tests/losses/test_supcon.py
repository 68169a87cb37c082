import embedding_testing as et
import numpy as np
import pytest
from scipy.special import logsumexp
from pytorch_metric_learning import losses

import keras_margin as km

BATCHES = et.batches()


def _reference(x, y, temperature=0.1):
    """Khosla et al.'s Eq. 2 (L_out) per anchor, averaged over the non-zero terms."""
    xn = et.normalize(x)
    s = xn @ xn.T / temperature
    n = len(y)
    has_positive = any(y[i] == y[j] for i in range(n) for j in range(n) if i != j)
    has_negative = any(y[i] != y[j] for i in range(n) for j in range(n))
    if not (has_positive and has_negative):
        return 0.0
    values = []
    for i in range(n):
        others = [j for j in range(n) if j != i]
        positives = [p for p in others if y[p] == y[i]]
        log_partition = logsumexp([s[i, a] for a in others])
        values.append(-np.mean([s[i, p] - log_partition for p in positives]) if positives else 0.0)
    return et.average_non_zero(values)


@pytest.mark.parametrize("case", list(BATCHES))
def test_matches_reference_and_pml(case):
    x, y = BATCHES[case]
    value = et.check_matches_pml(km.losses.SupConLoss(), losses.SupConLoss(), x, y)
    np.testing.assert_allclose(value, _reference(x, y), rtol=2e-6, atol=2e-7)


def test_other_temperature_matches_pml():
    x, y = BATCHES["random"]
    value = et.check_matches_pml(km.losses.SupConLoss(0.5), losses.SupConLoss(temperature=0.5), x, y)
    np.testing.assert_allclose(value, _reference(x, y, 0.5), rtol=2e-6)


def test_small_temperature_stays_finite():
    x, y = BATCHES["random"]
    et.check_finite_and_close(km.losses.SupConLoss(1e-3), x, y, _reference(x, y, 1e-3), 1e-5)


def test_gradient_matches_finite_differences():
    x, y = et.small_batch()
    et.check_finite_differences(km.losses.SupConLoss(0.5), x, y)


def test_mixed_precision_is_finite():
    et.check_finite_under_mixed_precision(km.losses.SupConLoss(), np.array([0, 0, 1, 1, 2, 2]))


def test_config_round_trip():
    x, y = BATCHES["random"]
    et.check_config_round_trip(km.losses.SupConLoss(0.3), x, y)


def test_trains_with_fit():
    et.check_fit_decreases(km.losses.SupConLoss())


def test_sample_weight_is_refused():
    x, y = BATCHES["random"]
    with pytest.raises(ValueError, match="sample_weight"):
        km.losses.SupConLoss()(y, x, sample_weight=np.ones(len(y)))


@pytest.mark.parametrize("temperature", [0.0, -0.1, float("nan")])
def test_invalid_temperature_raises(temperature):
    with pytest.raises(ValueError, match="`temperature`"):
        km.losses.SupConLoss(temperature)


@pytest.mark.parametrize(
    "loss", [km.losses.SupConLoss(), km.losses.ContrastiveLoss(), km.losses.TripletMarginLoss()]
)
def test_large_class_ids_stay_distinct(loss):
    # 2**24 and 2**24 + 1 are one float32 number: the labels must not pass through it.
    x, _ = BATCHES["random"]
    y = np.arange(len(x)) % 3
    large = (2**24 + y).astype("int64")
    assert float(loss(large, x)) == float(loss(y, x)) > 0
