"""The binary ROC curve shared by the verification metrics and one-vs-rest AUC."""

import numpy as np


def roc_counts(scores, positives):
    """Cumulative (false positives, true positives, thresholds) of a score ranking.

    A sample is predicted positive when `score >= threshold`. The thresholds are the
    distinct scores in decreasing order, preceded by `+inf` (nothing accepted), so the
    curve starts at (0, 0) and ends where everything is accepted. Tied scores share one
    threshold: a tie can only be accepted or rejected as a whole.
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    sorted_positives = positives[order]
    # Index of the last sample of each block of equal scores.
    block_ends = np.r_[np.flatnonzero(np.diff(sorted_scores)), sorted_scores.size - 1]
    true_positives = np.cumsum(sorted_positives, dtype=np.int64)[block_ends]
    false_positives = block_ends + 1 - true_positives
    return (
        np.r_[0, false_positives],
        np.r_[0, true_positives],
        np.r_[np.inf, sorted_scores[block_ends]],
    )


def roc_rates(scores, positives):
    """(false positive rate, true positive rate, thresholds); needs both classes."""
    false_positives, true_positives, thresholds = roc_counts(scores, positives)
    return (
        false_positives / false_positives[-1],
        true_positives / true_positives[-1],
        thresholds,
    )


def roc_auc(scores, positives):
    """Trapezoidal area under the ROC curve.

    Equal to the probability that a random positive outscores a random negative, with
    ties counted as one half: a tie block is a diagonal segment of the curve.
    """
    false_positive_rate, true_positive_rate, _ = roc_rates(scores, positives)
    # Written out rather than np.trapezoid, which needs NumPy 2 (the project allows 1.26).
    widths = np.diff(false_positive_rate)
    heights = (true_positive_rate[1:] + true_positive_rate[:-1]) / 2.0
    return float(np.sum(widths * heights))
