"""Open-set verification metrics on pair scores: ROC, TAR at FAR, EER, ROC AUC, and
LFW-style k-fold verification accuracy.

Throughout, a pair is accepted as "same identity" when its score is at or above the
threshold; higher scores mean more alike (cosine similarity). FAR (false acceptance
rate) is the fraction of impostor pairs accepted, TAR (true acceptance rate) the
fraction of genuine pairs accepted, and FRR = 1 - TAR.
"""

import warnings
from typing import NamedTuple

import numpy as np

from keras_margin.metrics import _checks
from keras_margin.metrics import _roc
from keras_margin.utils import validation

DEFAULT_FAR_TARGETS = (1e-3, 1e-2, 1e-1)

# Slack when turning a FAR target into a count of false accepts, so that a product such
# as 1e-3 * 3000 that rounds to 2.9999999999999996 still allows 3.
_COUNT_SLACK = 1e-9


class FarResolutionWarning(UserWarning):
    """Too few impostor pairs to measure TAR at a requested FAR."""


class RocCurve(NamedTuple):
    """A verification ROC curve, one point per distinct score plus a first point at
    threshold `+inf` where nothing is accepted. FAR and TAR never decrease along it,
    and thresholds decrease."""

    far: np.ndarray
    tar: np.ndarray
    thresholds: np.ndarray


class KFoldAccuracy(NamedTuple):
    """LFW-style verification accuracy: mean and population standard deviation over the
    folds, with each fold's accuracy and the threshold chosen on its training folds."""

    mean: float
    std: float
    fold_accuracies: np.ndarray
    thresholds: np.ndarray


def verification_roc(scores, is_same):
    """The ROC curve of verification scores.

    Equal to scikit-learn's `roc_curve(is_same, scores, drop_intermediate=False)`: every
    distinct score is a threshold (tied scores share one point), so FAR and TAR can be
    read exactly at any operating point.

    Args:
        scores: (num_pairs,) similarity scores; higher means more alike.
        is_same: (num_pairs,) bool, True for genuine pairs; both kinds must occur.

    Returns:
        `RocCurve(far, tar, thresholds)`, float64 arrays of equal length.
    """
    scores, is_same = _checks.scores_and_is_same(scores, is_same)
    return RocCurve(*_roc.roc_rates(scores, is_same))


def tar_at_far(scores, is_same, far_targets=DEFAULT_FAR_TARGETS):
    """TAR at the most permissive threshold whose FAR does not exceed each target.

    For a target t this is `max {TAR(T) : FAR(T) <= t}` over the thresholds T of the
    ROC curve; as TAR and FAR both fall as T rises, that is the TAR at the lowest
    threshold with FAR <= t. No interpolation: the value is an operating point that a
    threshold actually achieves on these pairs. A block of tied scores is accepted or
    rejected as a whole, so if accepting it would push FAR past t, none of it is.

    With n impostor pairs the smallest non-zero FAR is 1 / n. For a target below that
    only FAR = 0 would qualify, which measures something else, so the result is NaN
    and a `FarResolutionWarning` is issued; use at least 1 / t impostor pairs (and
    preferably many more, as the estimate then rests on a handful of false accepts).

    Args:
        scores: (num_pairs,) similarity scores.
        is_same: (num_pairs,) bool, True for genuine pairs; both kinds must occur.
        far_targets: FAR values in (0, 1], a sequence or a single number.

    Returns:
        A float64 array with one TAR per target, NaN where unresolvable.
    """
    scores, is_same = _checks.scores_and_is_same(scores, is_same)
    targets = _far_targets(far_targets)
    false_accepts, true_accepts, _ = _roc.roc_counts(scores, is_same)
    num_impostors = false_accepts[-1]
    num_genuine = true_accepts[-1]
    result = np.full(targets.shape, np.nan)
    unresolved = []
    for i, target in enumerate(targets):
        allowed = np.floor(target * num_impostors + _COUNT_SLACK)
        if allowed < 1:
            unresolved.append(target)
            continue
        # False accepts never decrease along the curve: take the last point within budget.
        point = np.searchsorted(false_accepts, allowed, side="right") - 1
        result[i] = true_accepts[point] / num_genuine
    if unresolved:
        warnings.warn(
            f"{num_impostors} impostor pairs cannot resolve FAR "
            f"{', '.join(f'{t:g}' for t in unresolved)} (the smallest non-zero FAR is "
            f"1/{num_impostors}); TAR is NaN there.",
            FarResolutionWarning,
            stacklevel=2,
        )
    return result


def equal_error_rate(scores, is_same):
    """The error rate where FAR equals FRR, interpolated linearly on the ROC curve.

    Walking the curve from the highest threshold, FRR - FAR falls from 1 to -1. At the
    first point where it is <= 0 the EER lies on the segment from the previous point;
    it is the FAR where that straight segment crosses FRR = FAR (the intersection of the
    piecewise-linear ROC with the line TAR = 1 - FAR), or that point's FAR if FRR = FAR
    there exactly. Perfectly separated scores give 0, reversed ones 1.

    Args:
        scores: (num_pairs,) similarity scores.
        is_same: (num_pairs,) bool, True for genuine pairs; both kinds must occur.

    Returns:
        A float in [0, 1].
    """
    far, tar, _ = verification_roc(scores, is_same)
    gap = (1.0 - tar) - far
    # gap[0] is 1 (nothing accepted), so the crossing point is never the first.
    crossing = int(np.argmax(gap <= 0.0))
    if gap[crossing] == 0.0:
        return float(far[crossing])
    fraction = gap[crossing - 1] / (gap[crossing - 1] - gap[crossing])
    return float(far[crossing - 1] + fraction * (far[crossing] - far[crossing - 1]))


def verification_roc_auc(scores, is_same):
    """Area under the verification ROC curve (trapezoidal; a tie counts one half).

    The probability that a random genuine pair scores above a random impostor pair.
    Equal to scikit-learn's `roc_auc_score(is_same, scores)`.
    """
    scores, is_same = _checks.scores_and_is_same(scores, is_same)
    return _roc.roc_auc(scores, is_same)


def k_fold_verification_accuracy(scores, is_same, num_folds=10):
    """Verification accuracy by the LFW protocol: threshold from k-1 folds, accuracy on
    the held-out fold, repeated for every fold.

    Folds are contiguous and deterministic, as in LFW's `pairs.txt`: the genuine pairs,
    in the order given, are cut into `num_folds` consecutive parts of nearly equal size
    (sizes differ by at most one, larger parts first), the impostor pairs likewise, and
    fold k is the k-th part of each. For LFW's file (ten sets of 300 genuine then 300
    impostor pairs) these are exactly its ten sets, and every fold holds both kinds
    whatever the input order.

    On the training folds the threshold maximises accuracy over all cuts of the score
    ranking; among equally accurate cuts the one accepting fewest pairs wins (the
    highest threshold). The threshold is then placed midway between the lowest accepted
    and the highest rejected training score, so a held-out score that falls between
    them is not decided by which side the cut happened to touch. If the best cut
    accepts nothing the threshold is `+inf`, if it accepts everything `-inf`.

    Args:
        scores: (num_pairs,) similarity scores.
        is_same: (num_pairs,) bool, True for genuine pairs.
        num_folds: at least 2; there must be at least `num_folds` genuine and
            `num_folds` impostor pairs.

    Returns:
        `KFoldAccuracy(mean, std, fold_accuracies, thresholds)`; `std` is the population
        standard deviation (ddof=0) of the fold accuracies.
    """
    scores, is_same = _checks.scores_and_is_same(scores, is_same)
    num_folds = validation.integer_at_least(num_folds, 2, "num_folds")
    num_genuine = int(is_same.sum())
    num_impostors = is_same.size - num_genuine
    if min(num_genuine, num_impostors) < num_folds:
        raise ValueError(
            f"`num_folds` is {num_folds}, but every fold needs a genuine and an impostor "
            f"pair; received {num_genuine} genuine and {num_impostors} impostor pairs."
        )
    folds = np.empty(is_same.size, dtype=np.int64)
    for kind in (is_same, ~is_same):
        for fold, members in enumerate(np.array_split(np.flatnonzero(kind), num_folds)):
            folds[members] = fold
    accuracies = np.empty(num_folds)
    thresholds = np.empty(num_folds)
    for fold in range(num_folds):
        train = folds != fold
        thresholds[fold] = _most_accurate_threshold(scores[train], is_same[train])
        held_out = ~train
        accepted = scores[held_out] >= thresholds[fold]
        accuracies[fold] = np.mean(accepted == is_same[held_out])
    return KFoldAccuracy(float(accuracies.mean()), float(accuracies.std()), accuracies, thresholds)


def _most_accurate_threshold(scores, is_same):
    false_accepts, true_accepts, cut_scores = _roc.roc_counts(scores, is_same)
    num_impostors = false_accepts[-1]
    correct = true_accepts + (num_impostors - false_accepts)
    best = int(np.argmax(correct))  # first maximum: the highest threshold
    if best == 0:
        return np.inf
    if best == cut_scores.size - 1:
        return -np.inf
    lowest_accepted, highest_rejected = cut_scores[best], cut_scores[best + 1]
    midpoint = (lowest_accepted + highest_rejected) / 2.0
    # Between two adjacent floats the midpoint can round down onto the rejected score.
    return midpoint if midpoint > highest_rejected else lowest_accepted


def _far_targets(far_targets):
    try:
        targets = np.atleast_1d(np.asarray(far_targets, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"`far_targets` must be numbers; received {far_targets!r}.") from None
    if targets.ndim != 1 or targets.size == 0:
        raise ValueError(
            f"`far_targets` must be a number or a non-empty sequence; received {far_targets!r}."
        )
    if not np.all(np.isfinite(targets)) or np.any(targets <= 0.0) or np.any(targets > 1.0):
        raise ValueError(f"`far_targets` must lie in (0, 1]; received {far_targets!r}.")
    return targets


def threshold_at_far(scores, is_same, far_targets=DEFAULT_FAR_TARGETS):
    """The lowest threshold whose false acceptance rate does not exceed each target.

    Only the impostor scores decide it. With n impostor scores and a target t, at most
    a = floor(t * n) of them may be accepted: the threshold is the smallest float64
    above the (a + 1)-th highest impostor score, so exactly the impostors scoring
    strictly above that one are accepted (a tie straddling the cut is rejected as a
    whole). `tar_at_far` at t is the TAR this threshold gives on the same pairs. When
    t * n >= n everything may be accepted and the threshold is the lowest impostor
    score.

    Args:
        scores: (num_pairs,) similarity scores.
        is_same: (num_pairs,) bool, True for genuine pairs; both kinds must occur.
        far_targets: FAR values in (0, 1], a sequence or a single number.

    Returns:
        A float64 array with one threshold per target.

    Raises:
        ValueError: for a target below 1 / n, which n impostor scores cannot resolve.
    """
    scores, is_same = _checks.scores_and_is_same(scores, is_same)
    targets = _far_targets(far_targets)
    impostors = np.sort(scores[~is_same])[::-1]
    allowed = np.floor(targets * impostors.size + _COUNT_SLACK).astype(np.int64)
    if np.any(allowed < 1):
        raise ValueError(
            f"{impostors.size} impostor pairs cannot resolve FAR {targets[allowed < 1].min():g} "
            f"(the smallest non-zero FAR is 1/{impostors.size}); calibrate on more impostor pairs."
        )
    cut = impostors[np.minimum(allowed, impostors.size - 1)]
    return np.where(allowed >= impostors.size, impostors[-1], np.nextafter(cut, np.inf))
