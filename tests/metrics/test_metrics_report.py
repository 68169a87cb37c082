import json
import warnings

import numpy as np
import pytest
from sklearn import metrics as sk

import keras_margin as km
from keras_margin.metrics import FarResolutionWarning
from keras_margin.metrics.report import far_key

OPEN_SET_KEYS = {
    "tar_at_far_1e-3",
    "tar_at_far_1e-2",
    "tar_at_far_1e-1",
    "eer",
    "roc_auc",
    "verification_accuracy",
    "verification_accuracy_std",
    "num_genuine_pairs",
    "num_impostor_pairs",
}


def _clustered_embeddings(seed, num_identities=20, per_identity=30, spread=0.6):
    rng = np.random.default_rng(seed)
    centers = rng.normal(size=(num_identities, 16))
    labels = np.repeat(np.arange(num_identities), per_identity)
    return centers[labels] + spread * rng.normal(size=(labels.size, 16)), labels


def test_closed_set_metrics_agree_with_sklearn():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 5))
    labels = rng.integers(0, 5, 300)
    logits[np.arange(300), labels] += 1.0  # better than chance
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    result = km.metrics.closed_set_metrics(labels, probabilities.astype(np.float32))
    predictions = probabilities.argmax(axis=1)
    precision, recall, f1, _ = sk.precision_recall_fscore_support(
        labels, predictions, labels=range(5), average="macro", zero_division=0
    )
    expected = {
        "accuracy": sk.accuracy_score(labels, predictions),
        "macro_precision": precision,
        "macro_recall": recall,
        "macro_f1": f1,
        "roc_auc": sk.roc_auc_score(labels, probabilities, multi_class="ovr"),
        "expected_calibration_error": km.metrics.expected_calibration_error(
            labels, probabilities.astype(np.float32)
        ),
    }
    assert result.keys() == expected.keys()
    for key, value in expected.items():
        assert result[key] == pytest.approx(value, abs=1e-6), key
        assert isinstance(result[key], float)
    assert 0.3 < result["accuracy"] < 0.9


def test_closed_set_metrics_name_bad_probabilities():
    with pytest.raises(ValueError, match="`probabilities`"):
        km.metrics.closed_set_metrics([0, 1], np.array([[2.0, -1.0], [0.0, 1.0]]))


def test_open_set_metrics_on_separable_identities():
    embeddings, labels = _clustered_embeddings(0, spread=0.05)
    result = km.metrics.open_set_metrics(embeddings, labels, num_pairs=3000, seed=0)
    assert set(result) == OPEN_SET_KEYS
    assert result["eer"] == 0.0 and result["roc_auc"] == 1.0
    assert result["tar_at_far_1e-3"] == 1.0
    assert (result["verification_accuracy"], result["verification_accuracy_std"]) == (1.0, 0.0)
    assert (result["num_genuine_pairs"], result["num_impostor_pairs"]) == (3000, 3000)


def test_open_set_metrics_equal_the_separate_functions():
    embeddings, labels = _clustered_embeddings(1, spread=1.5)
    result, roc_arrays = km.metrics.open_set_metrics(
        embeddings, labels, num_pairs=2000, seed=4, return_roc=True
    )
    pairs, is_same = km.metrics.verification_pairs(labels, num_pairs=2000, seed=4)
    scores = km.metrics.pair_scores(embeddings, pairs)
    tars = km.metrics.tar_at_far(scores, is_same)
    k_fold = km.metrics.k_fold_verification_accuracy(scores, is_same)
    roc = km.metrics.verification_roc(scores, is_same)
    assert [result[f"tar_at_far_{t}"] for t in ("1e-3", "1e-2", "1e-1")] == list(tars)
    assert result["eer"] == km.metrics.equal_error_rate(scores, is_same)
    assert result["roc_auc"] == km.metrics.verification_roc_auc(scores, is_same)
    assert result["verification_accuracy"] == k_fold.mean
    assert result["verification_accuracy_std"] == k_fold.std
    np.testing.assert_array_equal(roc_arrays["false_accept_rate"], roc.far)
    np.testing.assert_array_equal(roc_arrays["true_accept_rate"], roc.tar)
    np.testing.assert_array_equal(roc_arrays["thresholds"], roc.thresholds)
    assert set(roc_arrays) == {"false_accept_rate", "true_accept_rate", "thresholds"}
    assert set(result) == OPEN_SET_KEYS
    assert result == km.metrics.open_set_metrics(embeddings, labels, num_pairs=2000, seed=4)
    # Overlapping identities: nothing here is at a trivial extreme.
    assert 0.02 < result["eer"] < 0.4 and 0.6 < result["verification_accuracy"] < 0.98
    assert result["tar_at_far_1e-3"] < result["tar_at_far_1e-2"] < result["tar_at_far_1e-1"]


def test_open_set_metrics_are_plain_json_numbers():
    embeddings, labels = _clustered_embeddings(2, spread=1.5)
    result = km.metrics.open_set_metrics(embeddings, labels, num_pairs=1500)
    assert json.loads(json.dumps(result)) == result
    assert all(type(value) in (int, float) for value in result.values())


def test_open_set_metrics_is_deterministic_given_the_seed():
    embeddings, labels = _clustered_embeddings(2, spread=1.5)
    first = km.metrics.open_set_metrics(embeddings, labels, num_pairs=1500, seed=9)
    second = km.metrics.open_set_metrics(embeddings, labels, num_pairs=1500, seed=9)
    other = km.metrics.open_set_metrics(embeddings, labels, num_pairs=1500, seed=10)
    assert first == second
    assert first != other


def test_open_set_metrics_with_too_few_pairs_for_a_far():
    embeddings, labels = _clustered_embeddings(3)
    with pytest.warns(FarResolutionWarning, match="500 impostor pairs cannot resolve FAR 0.001"):
        result = km.metrics.open_set_metrics(embeddings, labels, num_pairs=500)
    assert np.isnan(result["tar_at_far_1e-3"])
    assert np.isfinite(result["tar_at_far_1e-2"])


def test_open_set_metrics_custom_far_targets():
    embeddings, labels = _clustered_embeddings(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = km.metrics.open_set_metrics(
            embeddings, labels, num_pairs=400, far_targets=(0.05, 0.25), num_folds=5
        )
    assert {"tar_at_far_5e-2", "tar_at_far_2.5e-1"} <= set(result)
    assert not any(key.startswith("tar_at_far_1e") for key in result)


@pytest.mark.parametrize(
    "far, key",
    [(1e-3, "1e-3"), (0.01, "1e-2"), (0.1, "1e-1"), (0.25, "2.5e-1"), (5e-4, "5e-4"), (1.0, "1e0")],
)
def test_far_key(far, key):
    assert far_key(far) == key


def test_angle_metrics_on_hand_built_vectors():
    centers = np.array([[1.0, 0.0], [0.5, np.sqrt(3) / 2], [0.0, -1.0]])  # 0, 60, -90 degrees
    embeddings = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -2.0]])  # 90, 60, 0 from own centre
    result = km.metrics.angle_metrics(embeddings, [0, 1, 2], centers)
    assert result == pytest.approx(
        {
            "mean_angle_to_center": 50.0,
            "median_angle_to_center": 60.0,
            "min_center_angle": 60.0,
            "mean_center_angle": (60 + 90 + 150) / 3,
        }
    )


def test_open_set_metrics_needs_one_label_per_embedding():
    embeddings, labels = _clustered_embeddings(3)
    with pytest.raises(ValueError, match="`embeddings` and `labels`"):
        km.metrics.open_set_metrics(embeddings[:-1], labels, num_pairs=100)
