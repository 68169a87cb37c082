import embedding_testing as et
import numpy as np
import pytest
from scipy.special import logsumexp
from pytorch_metric_learning import losses

import keras_margin as km

BATCHES = et.batches()


def _reference(x, y, temperature=0.07):
    """SimCLR's term per ordered positive pair, against the anchor's negatives."""
    xn = et.normalize(x)
    s = xn @ xn.T / temperature
    n = len(y)
    if not any(y[i] != y[j] for i in range(n) for j in range(n)):
        return 0.0
    terms = []
    for a in range(n):
        negatives = [s[a, q] for q in range(n) if y[q] != y[a]]
        for p in range(n):
            if p != a and y[p] == y[a]:
                terms.append(logsumexp([s[a, p]] + negatives) - s[a, p])
    return float(np.mean(terms)) if terms else 0.0


@pytest.mark.parametrize("case", list(BATCHES))
def test_matches_reference_and_pml(case):
    x, y = BATCHES[case]
    value = et.check_matches_pml(km.losses.NTXentLoss(), losses.NTXentLoss(), x, y)
    np.testing.assert_allclose(value, _reference(x, y), rtol=2e-6, atol=2e-7)


def test_simclr_views():
    """Two views per image: each view's positive is the other view of its image."""
    rng = np.random.default_rng(5)
    images = rng.normal(size=(4, 3))
    x = np.concatenate([images, images + 0.1 * rng.normal(size=(4, 3))])
    y = np.concatenate([np.arange(4), np.arange(4)])
    value = et.check_matches_pml(km.losses.NTXentLoss(0.5), losses.NTXentLoss(0.5), x, y)
    np.testing.assert_allclose(value, _reference(x, y, 0.5), rtol=2e-6)


def test_small_temperature_stays_finite():
    x, y = BATCHES["random"]
    et.check_finite_and_close(km.losses.NTXentLoss(1e-3), x, y, _reference(x, y, 1e-3), 1e-5)


def test_gradient_matches_finite_differences():
    x, y = et.small_batch()
    et.check_finite_differences(km.losses.NTXentLoss(0.5), x, y)


def test_mixed_precision_is_finite():
    et.check_finite_under_mixed_precision(km.losses.NTXentLoss(), np.array([0, 0, 1, 1, 2, 2]))


def test_config_round_trip():
    x, y = BATCHES["random"]
    et.check_config_round_trip(km.losses.NTXentLoss(0.2), x, y)


def test_trains_with_fit():
    et.check_fit_decreases(km.losses.NTXentLoss(0.5))


@pytest.mark.parametrize("temperature", [0.0, -1.0, float("inf"), "0.1"])
def test_invalid_temperature_raises(temperature):
    with pytest.raises(ValueError, match="`temperature`"):
        km.losses.NTXentLoss(temperature)
