import keras
import numpy as np
import pytest

import keras_margin as km


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _random_problem(seed, n=300, num_classes=6):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, num_classes))
    return rng.integers(0, num_classes, n), logits


def test_two_bin_example_by_hand():
    probabilities = np.array(
        [
            [0.9, 0.05, 0.05],  # label 0: confidence 0.9, correct  -> bin (0.5, 1]
            [0.1, 0.8, 0.1],  # label 0: confidence 0.8, wrong    -> bin (0.5, 1]
            [0.4, 0.3, 0.3],  # label 0: confidence 0.4, correct  -> bin [0, 0.5]
            [0.2, 0.45, 0.35],  # label 2: confidence 0.45, wrong -> bin [0, 0.5]
        ]
    )
    # High bin: accuracy 0.5, confidence 0.85; low bin: accuracy 0.5, confidence 0.425.
    expected = 0.5 * abs(0.5 - 0.85) + 0.5 * abs(0.5 - 0.425)
    ece = km.metrics.expected_calibration_error([0, 0, 0, 2], probabilities, num_bins=2)
    assert ece == pytest.approx(expected, abs=1e-15)
    assert expected == pytest.approx(0.2125)


def test_a_confidence_on_a_bin_edge_belongs_to_the_lower_bin():
    # Bins (0, 0.5] and (0.5, 1]: 0.5 goes low, giving 0.5 * 0.5 + 0.5 * 1 = 0.75.
    # Were it put in the upper bin the answer would be |0.5 - 0.75| = 0.25.
    probabilities = np.array([[0.5, 0.5], [1.0, 0.0]])
    ece = km.metrics.expected_calibration_error([0, 1], probabilities, num_bins=2)
    assert ece == pytest.approx(0.75)


def test_calibrated_predictions_have_zero_error():
    probabilities = np.tile([0.8, 0.2], (10, 1))
    labels = np.r_[np.zeros(8, int), np.ones(2, int)]
    assert km.metrics.expected_calibration_error(labels, probabilities) == pytest.approx(0, abs=1e-14)


def test_one_bin_is_the_gap_between_mean_confidence_and_accuracy():
    labels, logits = _random_problem(0)
    probabilities = _softmax(logits)
    accuracy = np.mean(probabilities.argmax(axis=1) == labels)
    expected = abs(accuracy - probabilities.max(axis=1).mean())
    ece = km.metrics.expected_calibration_error(labels, probabilities, num_bins=1)
    assert ece == pytest.approx(expected, abs=1e-14)


def test_sample_weights_act_as_repeated_samples():
    labels, logits = _random_problem(1, n=50)
    probabilities = _softmax(logits)
    repeats = np.random.default_rng(1).integers(0, 4, 50)
    weighted = km.metrics.expected_calibration_error(labels, probabilities, sample_weight=repeats)
    repeated = km.metrics.expected_calibration_error(
        np.repeat(labels, repeats), np.repeat(probabilities, repeats, axis=0)
    )
    assert weighted == pytest.approx(repeated, abs=1e-14)


@pytest.mark.parametrize("batch_sizes", [[300], [1, 299], [17] * 17 + [11], [100, 0, 200]])
def test_streaming_metric_equals_the_numpy_function(batch_sizes):
    labels, logits = _random_problem(2)
    probabilities = _softmax(logits).astype(np.float32)
    metric = km.metrics.ExpectedCalibrationError()
    start = 0
    for size in batch_sizes:
        metric.update_state(labels[start:start + size], probabilities[start:start + size])
        start += size
    expected = km.metrics.expected_calibration_error(labels, probabilities)
    assert float(metric.result()) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_streaming_metric_takes_one_hot_labels_logits_and_weights():
    labels, logits = _random_problem(3)
    weights = np.random.default_rng(3).uniform(0, 2, labels.size)
    metric = km.metrics.ExpectedCalibrationError(num_bins=10, from_logits=True)
    one_hot = np.eye(6, dtype=np.float32)[labels]
    for batch in np.array_split(np.arange(labels.size), 7):
        metric.update_state(one_hot[batch], logits[batch].astype(np.float32), weights[batch])
    expected = km.metrics.expected_calibration_error(
        labels, _softmax(logits.astype(np.float32).astype(np.float64)), 10, sample_weight=weights
    )
    assert float(metric.result()) == pytest.approx(expected, rel=1e-9)


def test_streaming_metric_resets_and_starts_at_zero():
    metric = km.metrics.ExpectedCalibrationError()
    assert float(metric.result()) == 0.0
    metric.update_state([1, 0], [[0.9, 0.1], [0.2, 0.8]])
    assert float(metric.result()) == pytest.approx(0.85)
    metric.reset_state()
    assert float(metric.result()) == 0.0
    metric.update_state([0], [[0.9, 0.1]])
    assert float(metric.result()) == pytest.approx(0.1)


def test_streaming_metric_serializes():
    metric = km.metrics.ExpectedCalibrationError(num_bins=7, from_logits=True, name="ece")
    config = keras.saving.serialize_keras_object(metric)
    clone = keras.saving.deserialize_keras_object(config)
    assert isinstance(clone, km.metrics.ExpectedCalibrationError)
    assert clone.get_config() == metric.get_config()
    assert (clone.num_bins, clone.from_logits, clone.name) == (7, True, "ece")


def test_compiled_in_a_margin_model_it_matches_predictions():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = rng.integers(0, 3, 96)
    backbone = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8)])
    model = km.MarginModel(backbone, km.heads.NormFace(3, scale=4.0))
    model.compile(metrics=[km.metrics.ExpectedCalibrationError(from_logits=True)])
    logs = model.evaluate(x, y, batch_size=20, verbose=0, return_dict=True)
    probabilities = model.predict(x, batch_size=20, verbose=0)
    expected = km.metrics.expected_calibration_error(y, probabilities)
    assert expected > 0.01  # an untrained model: the comparison is not between two zeros
    assert logs["expected_calibration_error"] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("kwargs, name", [({"num_bins": 0}, "num_bins"), ({"num_bins": 2.5}, "num_bins"),
                                          ({"from_logits": "yes"}, "from_logits")])
def test_streaming_metric_invalid_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.metrics.ExpectedCalibrationError(**kwargs)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"num_bins": 0}, "num_bins"),
        ({"probabilities": np.array([[3.0, -2.0]])}, "probabilities"),
        ({"labels": [2]}, "labels"),
        ({"sample_weight": [-1.0]}, "sample_weight"),
        ({"sample_weight": [0.0]}, "sample_weight"),
        ({"sample_weight": [1.0, 1.0]}, "sample_weight"),
    ],
)
def test_numpy_function_invalid_arguments(kwargs, name):
    arguments = {"labels": [0], "probabilities": np.array([[0.6, 0.4]])} | kwargs
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.metrics.expected_calibration_error(**arguments)
