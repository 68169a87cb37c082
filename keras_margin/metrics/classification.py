"""Closed-set classification metrics: accuracy, macro precision / recall / F1, and
one-vs-rest ROC AUC, computed in float64 from class ids and class probabilities."""

from typing import NamedTuple

import numpy as np

from keras_margin.metrics import _checks
from keras_margin.metrics._roc import roc_auc
from keras_margin.utils import validation


class PrecisionRecallF1(NamedTuple):
    """Macro-averaged precision, recall and F1, each in [0, 1]."""

    precision: float
    recall: float
    f1: float


def accuracy(labels, probabilities):
    """Fraction of samples whose most probable class is the label.

    Args:
        labels: class ids, shape (n,) or (n, 1).
        probabilities: (n, num_classes) rows that sum to 1 (e.g. `MarginModel.predict`).
            Ties between equally probable classes go to the lowest class id.

    Returns:
        A float in [0, 1].
    """
    probabilities = _checks.probability_matrix(probabilities)
    labels = _checks.class_ids(labels, num_classes=probabilities.shape[1])
    _checks.same_length(labels, "labels", probabilities, "probabilities")
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def macro_precision_recall_f1(labels, predictions, num_classes):
    """Unweighted means over all `num_classes` classes of per-class precision, recall, F1.

    Per class c, with tp / fp / fn counted one-vs-rest:
    precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 tp / (2 tp + fp + fn).
    A ratio whose denominator is 0 counts as 0: a class never predicted has precision 0,
    and a class absent from both `labels` and `predictions` scores 0 on all three and
    still counts in the average. This equals scikit-learn's
    `precision_recall_fscore_support(labels, predictions, labels=range(num_classes),
    average="macro", zero_division=0)`. Macro F1 is the mean of per-class F1 scores, not
    the F1 of the macro precision and recall.

    Args:
        labels: true class ids, shape (n,) or (n, 1).
        predictions: predicted class ids, same shape.
        num_classes: the number of classes, at least 2; ids must be below it.

    Returns:
        `PrecisionRecallF1(precision, recall, f1)`, floats in [0, 1].
    """
    num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
    labels = _checks.class_ids(labels, "labels", num_classes)
    predictions = _checks.class_ids(predictions, "predictions", num_classes)
    _checks.same_length(labels, "labels", predictions, "predictions")
    true_positives = np.bincount(labels[labels == predictions], minlength=num_classes)
    predicted = np.bincount(predictions, minlength=num_classes)
    actual = np.bincount(labels, minlength=num_classes)
    precision = _ratio_or_zero(true_positives, predicted)
    recall = _ratio_or_zero(true_positives, actual)
    # 2tp / (2tp + fp + fn) == 2tp / (predicted + actual); it is 0 wherever P + R is 0.
    f1 = _ratio_or_zero(2 * true_positives, predicted + actual)
    return PrecisionRecallF1(float(precision.mean()), float(recall.mean()), float(f1.mean()))


def one_vs_rest_roc_auc(labels, probabilities):
    """Macro average over the classes present in `labels` of one-vs-rest ROC AUC.

    For each class c that occurs in `labels`, the AUC of `probabilities[:, c]` as a score
    separating class c from all other samples (ties between a positive and a negative
    count one half). Classes absent from `labels` have no positives, so their AUC is
    undefined and they are left out of the mean. When every class occurs this equals
    scikit-learn's `roc_auc_score(labels, probabilities, multi_class="ovr",
    average="macro")`.

    Args:
        labels: class ids, shape (n,) or (n, 1); at least two distinct classes.
        probabilities: (n, num_classes) rows that sum to 1.

    Returns:
        A float in [0, 1].
    """
    probabilities = _checks.probability_matrix(probabilities)
    labels = _checks.class_ids(labels, num_classes=probabilities.shape[1])
    _checks.same_length(labels, "labels", probabilities, "probabilities")
    present = np.unique(labels)
    if present.size < 2:
        raise ValueError(
            "`labels` must contain at least two distinct classes for a one-vs-rest ROC AUC; "
            f"received only class {present[0]}."
        )
    return float(np.mean([roc_auc(probabilities[:, c], labels == c) for c in present]))


def _ratio_or_zero(numerator, denominator):
    return np.divide(
        numerator,
        denominator,
        out=np.zeros(numerator.shape, dtype=np.float64),
        where=denominator > 0,
    )
