import warnings

import numpy as np
import pytest
from sklearn import metrics as sk

import keras_margin as km
from keras_margin.metrics import FarResolutionWarning

# Genuine pairs score 0.9 and 0.4, impostor pairs 0.6 and 0.2. Thresholds, high to low:
#   inf: FAR 0,   TAR 0      0.9: FAR 0,   TAR 1/2     0.6: FAR 1/2, TAR 1/2
#   0.4: FAR 1/2, TAR 1      0.2: FAR 1,   TAR 1
FOUR_SCORES = np.array([0.9, 0.6, 0.4, 0.2])
FOUR_SAME = np.array([True, False, True, False])


def _random_scores(seed, n=400, tied=False):
    rng = np.random.default_rng(seed)
    is_same = rng.random(n) < 0.4
    scores = rng.normal(size=n) + 1.2 * is_same
    if tied:
        scores = np.round(scores, 1)  # about 60 distinct values for 400 pairs
    return scores, is_same


def _separated(num_genuine=50, num_impostors=2000, seed=0):
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.uniform(0.6, 1.0, num_genuine), rng.uniform(-1.0, 0.5, num_impostors)]
    return scores, np.r_[np.ones(num_genuine, bool), np.zeros(num_impostors, bool)]


def test_four_pair_example_by_hand():
    roc = km.metrics.verification_roc(FOUR_SCORES, FOUR_SAME)
    np.testing.assert_array_equal(roc.far, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_array_equal(roc.tar, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_array_equal(roc.thresholds, [np.inf, 0.9, 0.6, 0.4, 0.2])
    # FRR - FAR: 1, 0.5, 0 -> the curve meets FAR = FRR at a vertex.
    assert km.metrics.equal_error_rate(FOUR_SCORES, FOUR_SAME) == 0.5
    # 0.9 beats both impostors, 0.4 beats one: 3 of 4 comparisons.
    assert km.metrics.verification_roc_auc(FOUR_SCORES, FOUR_SAME) == 0.75
    np.testing.assert_array_equal(km.metrics.tar_at_far(FOUR_SCORES, FOUR_SAME, (0.5, 1.0)), [1, 1])


def test_interpolated_equal_error_rate_by_hand():
    # Genuine 0.9, 0.8, 0.3; impostor 0.7, 0.2. The curve goes (0, 2/3) -> (1/2, 2/3):
    # FRR stays 1/3 along that segment while FAR rises through 1/3.
    scores = [0.9, 0.8, 0.7, 0.3, 0.2]
    is_same = [True, True, False, True, False]
    assert km.metrics.equal_error_rate(scores, is_same) == pytest.approx(1 / 3, abs=1e-15)


def test_perfect_separation():
    scores, is_same = _separated()
    assert km.metrics.equal_error_rate(scores, is_same) == 0.0
    assert km.metrics.verification_roc_auc(scores, is_same) == 1.0
    np.testing.assert_array_equal(km.metrics.tar_at_far(scores, is_same), [1, 1, 1])
    k_fold = km.metrics.k_fold_verification_accuracy(scores, is_same)
    assert (k_fold.mean, k_fold.std) == (1.0, 0.0)


def test_reversed_scores():
    scores, is_same = _separated()
    assert km.metrics.equal_error_rate(-scores, is_same) == 1.0
    assert km.metrics.verification_roc_auc(-scores, is_same) == 0.0
    np.testing.assert_array_equal(km.metrics.tar_at_far(-scores, is_same), [0, 0, 0])


def test_all_scores_tied():
    scores, is_same = np.zeros(200), np.arange(200) % 2 == 0
    assert km.metrics.equal_error_rate(scores, is_same) == 0.5
    assert km.metrics.verification_roc_auc(scores, is_same) == 0.5
    # The single tie block can only be accepted whole, which means FAR 1.
    np.testing.assert_array_equal(km.metrics.tar_at_far(scores, is_same, (0.1, 1.0)), [0, 1])


def test_a_tie_block_that_would_overshoot_the_far_is_rejected_whole():
    genuine = [0.9, 0.5, 0.5, 0.3]
    impostor = [0.5, 0.5] + [0.1] * 8  # accepting the 0.5 block means FAR 2/10
    scores, is_same = np.r_[genuine, impostor], np.r_[[True] * 4, [False] * 10]
    # FAR 0.1: only 0.9 can be accepted. FAR 0.2: the threshold can go down to 0.3.
    np.testing.assert_allclose(km.metrics.tar_at_far(scores, is_same, (0.1, 0.2)), [0.25, 1.0])


def test_far_target_times_impostor_count_is_not_lost_to_rounding():
    # 0.57 * 100 is 56.99999999999999 in floating point; 57 false accepts are allowed.
    scores = np.r_[np.ones(57), np.full(43, -1.0), np.full(5, 0.9)]
    is_same = np.r_[np.zeros(100, bool), np.ones(5, bool)]
    np.testing.assert_array_equal(km.metrics.tar_at_far(scores, is_same, 0.57), [1.0])
    np.testing.assert_array_equal(km.metrics.tar_at_far(scores, is_same, 0.56), [0.0])


def test_unresolvable_far_is_nan_with_a_warning():
    with pytest.warns(FarResolutionWarning, match="2 impostor pairs cannot resolve FAR 0.001, 0.1"):
        result = km.metrics.tar_at_far(FOUR_SCORES, FOUR_SAME, (1e-3, 0.1, 0.5))
    assert np.isnan(result[0]) and np.isnan(result[1]) and result[2] == 1.0


def test_resolvable_far_does_not_warn():
    scores, is_same = _random_scores(0, n=3000)
    assert (~is_same).sum() >= 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.all(np.isfinite(km.metrics.tar_at_far(scores, is_same)))


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_roc_and_auc_match_sklearn(seed, tied):
    scores, is_same = _random_scores(seed, tied=tied)
    far, tar, thresholds = sk.roc_curve(is_same, scores, drop_intermediate=False)
    roc = km.metrics.verification_roc(scores, is_same)
    np.testing.assert_allclose(roc.far, far, rtol=0, atol=1e-15)
    np.testing.assert_allclose(roc.tar, tar, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(roc.thresholds, thresholds)
    assert km.metrics.verification_roc_auc(scores, is_same) == pytest.approx(
        sk.roc_auc_score(is_same, scores), abs=1e-14
    )


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_tar_at_far_matches_brute_force_over_thresholds(seed, tied):
    scores, is_same = _random_scores(seed, n=600, tied=tied)
    targets = (0.01, 0.05, 0.1, 0.3)
    expected = []
    for target in targets:
        best = 0.0
        for threshold in np.r_[np.inf, np.unique(scores)]:
            accepted = scores >= threshold
            if accepted[~is_same].mean() <= target:
                best = max(best, accepted[is_same].mean())
        expected.append(best)
    np.testing.assert_allclose(km.metrics.tar_at_far(scores, is_same, targets), expected, atol=1e-15)
    # The same through sklearn's curve: the best TAR among points with FAR <= target.
    far, tar, _ = sk.roc_curve(is_same, scores)
    np.testing.assert_allclose(expected, [tar[far <= t].max() for t in targets], atol=1e-15)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_equal_error_rate_is_where_the_roc_polyline_meets_far_equals_frr(seed, tied):
    scores, is_same = _random_scores(seed, tied=tied)
    far, tar, _ = sk.roc_curve(is_same, scores, drop_intermediate=False)
    # Intersect every segment with TAR = 1 - FAR; all hits lie on one point.
    crossings = []
    for (x0, y0), (x1, y1) in zip(zip(far[:-1], tar[:-1]), zip(far[1:], tar[1:])):
        denominator = (x1 - x0) + (y1 - y0)
        if denominator > 0:
            t = (1 - x0 - y0) / denominator
            if 0 <= t <= 1:
                crossings.append(x0 + t * (x1 - x0))
    assert crossings and np.ptp(crossings) < 1e-12
    eer = km.metrics.equal_error_rate(scores, is_same)
    assert eer == pytest.approx(crossings[0], abs=1e-12)
    assert 0.05 < eer < 0.6


def test_k_fold_two_folds_by_hand():
    # Folds: genuine [0.8 | 0.45], impostor [0.2 | 0.1].
    # Held-out fold 0: trained on {0.45 genuine, 0.1 impostor} -> threshold 0.275; 0.8
    # accepted, 0.2 rejected: accuracy 1. Held-out fold 1: trained on {0.8, 0.2} ->
    # threshold 0.5; 0.45 wrongly rejected, 0.1 rejected: accuracy 0.5.
    scores = [0.8, 0.2, 0.45, 0.1]
    is_same = [True, False, True, False]
    result = km.metrics.k_fold_verification_accuracy(scores, is_same, num_folds=2)
    np.testing.assert_allclose(result.thresholds, [0.275, 0.5])
    np.testing.assert_array_equal(result.fold_accuracies, [1.0, 0.5])
    assert (result.mean, result.std) == (0.75, 0.25)


def test_k_fold_prefers_the_highest_of_equally_accurate_thresholds():
    # Fold 0 (genuine 0.9, 0.4; impostor 0.5, 0.1) is best cut above 0.9 or above 0.4,
    # each with 3 of 4 right: the higher cut wins, threshold (0.9 + 0.5) / 2.
    # Fold 1 (genuine 0.95, 0.85; impostor 0.05, 0.15) gives threshold (0.85 + 0.15) / 2.
    scores = np.r_[[0.9, 0.4, 0.95, 0.85], [0.5, 0.1, 0.05, 0.15]]
    is_same = np.r_[[True] * 4, [False] * 4]
    result = km.metrics.k_fold_verification_accuracy(scores, is_same, num_folds=2)
    np.testing.assert_allclose(result.thresholds, [0.5, 0.7])
    # Held-out fold 0 at 0.5: 0.9 right, 0.4 wrong, 0.5 wrongly accepted, 0.1 right.
    np.testing.assert_array_equal(result.fold_accuracies, [0.5, 1.0])


def test_k_fold_with_one_outlier_impostor():
    rng = np.random.default_rng(0)
    genuine = rng.uniform(0.6, 0.9, 100)
    impostor = np.r_[0.95, rng.uniform(0.1, 0.4, 100)]  # the outlier comes first
    scores, is_same = np.r_[impostor, genuine], np.r_[np.zeros(101, bool), np.ones(100, bool)]
    result = km.metrics.k_fold_verification_accuracy(scores, is_same, num_folds=10)
    # Fold 0 holds 10 genuine and 11 impostor pairs, among them the outlier, which the
    # threshold learnt on the clean folds wrongly accepts. Every other fold is classified
    # perfectly: with the outlier in training, the best cut still lies between the
    # genuine and the ordinary impostor scores.
    expected = np.r_[20 / 21, np.ones(9)]
    np.testing.assert_allclose(result.fold_accuracies, expected)
    assert result.mean == pytest.approx(expected.mean())
    assert result.std == pytest.approx(expected.std())
    assert np.all((result.thresholds > 0.4) & (result.thresholds < 0.6))


def test_k_fold_folds_do_not_depend_on_how_kinds_are_interleaved():
    scores, is_same = _random_scores(4, n=500)
    genuine, impostor = np.flatnonzero(is_same), np.flatnonzero(~is_same)
    regrouped = np.r_[impostor, genuine]  # same order within each kind
    first = km.metrics.k_fold_verification_accuracy(scores, is_same)
    second = km.metrics.k_fold_verification_accuracy(scores[regrouped], is_same[regrouped])
    np.testing.assert_array_equal(first.fold_accuracies, second.fold_accuracies)
    assert 0.6 < first.mean < 0.9 and first.std > 0


@pytest.mark.parametrize(
    "function",
    [
        km.metrics.verification_roc,
        km.metrics.tar_at_far,
        km.metrics.equal_error_rate,
        km.metrics.verification_roc_auc,
        km.metrics.k_fold_verification_accuracy,
    ],
)
@pytest.mark.parametrize(
    "scores, is_same, name",
    [
        ([0.1, 0.2], [True, True], "is_same"),
        ([0.1, 0.2], [False, False], "is_same"),
        ([0.1, 0.2], [1, 2], "is_same"),
        ([0.1, 0.2], [[True, False]], "is_same"),
        ([0.1, np.nan], [True, False], "scores"),
        ([[0.1, 0.2]], [True, False], "scores"),
        ([], [], "scores"),
        ([0.1, 0.2, 0.3], [True, False], "is_same"),
    ],
)
def test_invalid_scores_and_labels(function, scores, is_same, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        function(scores, is_same)


@pytest.mark.parametrize("targets", [0.0, (0.1, 1.5), -0.1, (), "x", float("nan")])
def test_invalid_far_targets(targets):
    with pytest.raises(ValueError, match="`far_targets`"):
        km.metrics.tar_at_far(FOUR_SCORES, FOUR_SAME, targets)


def test_invalid_num_folds():
    with pytest.raises(ValueError, match="`num_folds`"):
        km.metrics.k_fold_verification_accuracy(FOUR_SCORES, FOUR_SAME, num_folds=1)
    with pytest.raises(ValueError, match="`num_folds` is 3.*2 genuine and 2 impostor"):
        km.metrics.k_fold_verification_accuracy(FOUR_SCORES, FOUR_SAME, num_folds=3)
