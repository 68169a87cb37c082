import embedding_testing as et
import numpy as np
import pytest
from scipy.special import logsumexp
from pytorch_metric_learning import losses

import keras_margin as km

BATCHES = et.batches()


def _reference(x, y, alpha=2.0, beta=50.0, base=0.5):
    """Wang et al.'s Eq. 6 per sample (all pairs, no mining), averaged."""
    xn = et.normalize(x)
    s = xn @ xn.T
    values = []
    for i in range(len(y)):
        positives = [s[i, j] for j in range(len(y)) if j != i and y[j] == y[i]]
        negatives = [s[i, j] for j in range(len(y)) if y[j] != y[i]]
        # log(1 + sum exp(z)) = logsumexp([0, z...]), stable for large alpha and beta.
        positive = logsumexp([0.0] + [-alpha * (v - base) for v in positives]) / alpha
        negative = logsumexp([0.0] + [beta * (v - base) for v in negatives]) / beta
        values.append(positive + negative)
    return float(np.mean(values))


@pytest.mark.parametrize("case", list(BATCHES))
def test_matches_reference_and_pml(case):
    x, y = BATCHES[case]
    value = et.check_matches_pml(km.losses.MultiSimilarityLoss(), losses.MultiSimilarityLoss(), x, y)
    np.testing.assert_allclose(value, _reference(x, y), rtol=2e-6, atol=2e-7)


def test_other_weights_match_pml():
    x, y = BATCHES["random"]
    value = et.check_matches_pml(
        km.losses.MultiSimilarityLoss(alpha=5.0, beta=10.0, base=0.2),
        losses.MultiSimilarityLoss(alpha=5.0, beta=10.0, base=0.2), x, y,
    )
    np.testing.assert_allclose(value, _reference(x, y, 5.0, 10.0, 0.2), rtol=2e-6)


def test_large_beta_stays_finite():
    x, y = BATCHES["random"]
    et.check_finite_and_close(km.losses.MultiSimilarityLoss(beta=1e4), x, y, _reference(x, y, beta=1e4), 2e-5)


def test_gradient_matches_finite_differences():
    x, y = et.small_batch()
    et.check_finite_differences(km.losses.MultiSimilarityLoss(), x, y)


def test_mixed_precision_is_finite():
    et.check_finite_under_mixed_precision(km.losses.MultiSimilarityLoss(), np.array([0, 0, 1, 1, 2, 2]))


def test_config_round_trip():
    x, y = BATCHES["random"]
    et.check_config_round_trip(km.losses.MultiSimilarityLoss(alpha=3.0, beta=20.0, base=0.4), x, y)


def test_trains_with_fit():
    et.check_fit_decreases(km.losses.MultiSimilarityLoss())


@pytest.mark.parametrize(
    "kwargs, name", [({"alpha": 0.0}, "alpha"), ({"beta": -1.0}, "beta"), ({"base": None}, "base")]
)
def test_invalid_arguments_raise(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.losses.MultiSimilarityLoss(**kwargs)
