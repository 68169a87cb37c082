import numpy as np
import pytest

from keras_margin.metrics import tar_at_far
from keras_margin.retrieval import calibrate, verify


def _reference_threshold(scores, is_same, target):
    """float64, from the definition: the lowest threshold T with
    #(impostor scores >= T) / #impostors <= target, over every T that changes the count."""
    impostors = np.asarray(scores, np.float64)[~np.asarray(is_same)]
    candidates = sorted({impostors.min()} | {np.nextafter(s, np.inf) for s in impostors})
    for threshold in candidates:
        if np.mean(impostors >= threshold) <= target + 1e-12:
            return threshold
    raise AssertionError("unreachable")


@pytest.mark.parametrize("target", [0.01, 0.05, 0.1, 0.5, 1.0])
def test_calibrate_matches_the_definition_with_ties(target):
    rng = np.random.default_rng(1)
    # Rounded to two decimals: many tied scores, some straddling the cut.
    scores = np.round(np.r_[rng.normal(0.6, 0.15, 300), rng.normal(0.1, 0.15, 500)], 2)
    is_same = np.r_[np.ones(300, bool), np.zeros(500, bool)]
    threshold = calibrate(scores, is_same, target)
    assert isinstance(threshold, float)
    assert threshold == _reference_threshold(scores, is_same, target)
    assert np.mean(scores[~is_same] >= threshold) <= target
    # The TAR there is the TAR@FAR of the ROC code.
    assert np.mean(scores[is_same] >= threshold) == pytest.approx(tar_at_far(scores, is_same, target)[0])


def test_calibrate_takes_a_sequence_of_targets():
    scores = np.linspace(0, 1, 200)
    is_same = np.arange(200) >= 100
    thresholds = calibrate(scores, is_same, [1e-2, 1e-1])
    assert thresholds.shape == (2,) and thresholds[0] > thresholds[1]


def test_calibrate_refuses_a_target_the_impostors_cannot_resolve():
    with pytest.raises(ValueError, match="cannot resolve FAR 0.001"):
        calibrate(np.linspace(0, 1, 200), np.arange(200) >= 100, 1e-3)
    with pytest.raises(ValueError, match="far_targets"):
        calibrate([0.1, 0.9], [False, True], 0.0)


def test_verify_scores_are_cosines_and_decide_at_the_threshold():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(50, 8)), rng.normal(size=(50, 8))
    result = verify(a, b, threshold=0.1)
    expected = np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(result.scores, expected, atol=1e-6)
    np.testing.assert_array_equal(result.same, result.scores >= 0.1)
    with pytest.raises(ValueError, match="same number of rows"):
        verify(a, b[:3], 0.1)
    with pytest.raises(ValueError, match="threshold"):
        verify(a, b, float("nan"))
