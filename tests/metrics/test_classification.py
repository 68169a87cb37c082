import numpy as np
import pytest
from sklearn import metrics as sk

import keras_margin as km


def _random_probabilities(rng, n, num_classes, tied=False):
    if tied:
        # Few distinct values per column, so one-vs-rest rankings are full of ties.
        weights = rng.integers(1, 4, size=(n, num_classes)).astype(float)
    else:
        weights = rng.exponential(size=(n, num_classes))
    return weights / weights.sum(axis=1, keepdims=True)


def test_accuracy_by_hand_with_a_tie_going_to_the_lowest_class():
    probabilities = np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]])
    assert km.metrics.accuracy([0, 0, 0], probabilities) == pytest.approx(2 / 3)
    assert km.metrics.accuracy(np.array([[1], [1], [1]]), probabilities) == pytest.approx(1 / 3)


@pytest.mark.parametrize("seed", range(4))
def test_accuracy_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    probabilities = _random_probabilities(rng, 200, 5).astype(np.float32)
    labels = rng.integers(0, 5, 200)
    expected = sk.accuracy_score(labels, probabilities.argmax(axis=1))
    assert km.metrics.accuracy(labels, probabilities) == pytest.approx(expected, abs=1e-15)


def test_macro_precision_recall_f1_by_hand():
    # class 0: tp 1, fp 0, fn 1; class 1: tp 2, fp 1, fn 0; class 2 absent from both.
    result = km.metrics.macro_precision_recall_f1([0, 0, 1, 1], [0, 1, 1, 1], num_classes=3)
    assert result.precision == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert result.recall == pytest.approx((0.5 + 1 + 0) / 3)
    assert result.f1 == pytest.approx((2 / 3 + 0.8 + 0) / 3)
    precision, recall, f1 = result
    assert (precision, recall, f1) == (result.precision, result.recall, result.f1)


@pytest.mark.parametrize("seed", range(6))
def test_macro_precision_recall_f1_matches_sklearn_with_absent_classes(seed):
    rng = np.random.default_rng(seed)
    num_classes = 8
    # Classes 6 and 7 never occur in the labels; 7 is never predicted either, and
    # class 0 is never predicted: every zero-division case is exercised.
    labels = rng.integers(0, 6, 60)
    predictions = rng.integers(1, 7, 60)
    result = km.metrics.macro_precision_recall_f1(labels, predictions, num_classes)
    expected = sk.precision_recall_fscore_support(
        labels, predictions, labels=range(num_classes), average="macro", zero_division=0
    )
    np.testing.assert_allclose(tuple(result), expected[:3], rtol=1e-12, atol=1e-15)


def test_one_vs_rest_roc_auc_by_hand_with_ties():
    probabilities = np.array([[0.6, 0.4], [0.3, 0.7], [0.6, 0.4]])
    # Class 0: its one positive (0.6) beats 0.3 and ties 0.6 -> (1 + 0.5) / 2.
    # Class 1: 0.7 beats 0.4; 0.4 ties 0.4 -> (1 + 0.5) / 2.
    assert km.metrics.one_vs_rest_roc_auc([0, 1, 1], probabilities) == pytest.approx(0.75)


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_one_vs_rest_roc_auc_matches_sklearn(seed, tied):
    rng = np.random.default_rng(seed)
    probabilities = _random_probabilities(rng, 150, 4, tied=tied)
    labels = rng.integers(0, 4, 150)
    labels[:4] = np.arange(4)  # sklearn needs every class present
    expected = sk.roc_auc_score(labels, probabilities, multi_class="ovr", average="macro")
    assert km.metrics.one_vs_rest_roc_auc(labels, probabilities) == pytest.approx(expected, abs=1e-12)


def test_one_vs_rest_roc_auc_averages_only_classes_present():
    rng = np.random.default_rng(7)
    probabilities = _random_probabilities(rng, 100, 5, tied=True)
    labels = rng.choice([0, 2, 3], size=100)
    expected = np.mean([sk.roc_auc_score(labels == c, probabilities[:, c]) for c in (0, 2, 3)])
    assert km.metrics.one_vs_rest_roc_auc(labels, probabilities) == pytest.approx(expected, abs=1e-12)


def test_one_vs_rest_roc_auc_needs_two_classes():
    with pytest.raises(ValueError, match="`labels`.*two distinct classes"):
        km.metrics.one_vs_rest_roc_auc([1, 1, 1], np.full((3, 2), 0.5))


@pytest.mark.parametrize(
    "labels, probabilities, name",
    [
        ([0, 1], np.array([[2.0, -1.0], [0.5, 0.5]]), "probabilities"),  # logits
        ([0, 1], np.array([[0.3, 0.3], [0.5, 0.5]]), "probabilities"),  # row sum 0.6
        ([0, 1], np.array([[np.nan, 0.5], [0.5, 0.5]]), "probabilities"),
        ([0, 1], np.array([1.0, 0.0]), "probabilities"),  # 1-D
        ([0, 1], np.ones((2, 1)), "probabilities"),  # one class
        ([0, 2], np.full((2, 2), 0.5), "labels"),  # id out of range
        ([0, -1], np.full((2, 2), 0.5), "labels"),
        ([0, 0.5], np.full((2, 2), 0.5), "labels"),
        (["a", "b"], np.full((2, 2), 0.5), "labels"),
        ([[0, 1]], np.full((2, 2), 0.5), "labels"),  # shape (1, 2)
        ([], np.full((0, 2), 0.5), "probabilities"),
    ],
)
def test_invalid_inputs_name_the_argument(labels, probabilities, name):
    for metric in (km.metrics.accuracy, km.metrics.one_vs_rest_roc_auc):
        with pytest.raises(ValueError, match=f"`{name}`"):
            metric(labels, probabilities)


def test_length_mismatch_names_both_arguments():
    with pytest.raises(ValueError, match="`labels` and `probabilities`"):
        km.metrics.accuracy([0, 1, 1], np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="`labels` and `predictions`"):
        km.metrics.macro_precision_recall_f1([0, 1, 1], [0, 1], num_classes=2)


@pytest.mark.parametrize(
    "predictions, num_classes, name",
    [([0, 3], 3, "predictions"), ([0, 1], 1, "num_classes"), ([0, 1], 2.5, "num_classes")],
)
def test_macro_invalid_arguments(predictions, num_classes, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.metrics.macro_precision_recall_f1([0, 1], predictions, num_classes)
