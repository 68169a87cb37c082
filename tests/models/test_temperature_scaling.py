"""Temperature scaling: `fit_temperature` against a float64 grid search, and its use in
`MarginModel.predict` and the export."""

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

import keras_margin as km
from keras_margin.models.temperature_scaling import fit_temperature
from keras_margin.models.temperature_scaling import negative_log_likelihood
from test_margin_model import tiny_backbone, tiny_data


def _overconfident(n=400, num_classes=5, scale=12.0, seed=0):
    """Logits of a classifier right about 70% of the time but sure of itself."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    predicted = np.where(rng.random(n) < 0.7, labels, rng.integers(0, num_classes, n))
    logits = rng.normal(size=(n, num_classes))
    logits[np.arange(n), predicted] += 2.0
    return scale * logits, labels


def _reference_nll(logits, labels, temperature):
    scaled = np.asarray(logits, np.float64) / temperature
    return np.mean(logsumexp(scaled, axis=-1) - scaled[np.arange(len(labels)), labels])


@pytest.mark.parametrize("scale, seed", [(12.0, 0), (0.3, 1), (3.0, 2)])
def test_the_fitted_temperature_minimises_the_validation_nll(scale, seed):
    logits, labels = _overconfident(scale=scale, seed=seed)
    temperature = fit_temperature(logits, labels)
    grid = np.exp(np.linspace(np.log(1e-2), np.log(1e2), 20_001))
    nll = np.array([_reference_nll(logits, labels, t) for t in grid])
    best = grid[np.argmin(nll)]
    assert _reference_nll(logits, labels, temperature) <= nll.min() + 1e-9
    assert temperature == pytest.approx(best, rel=2e-3)
    assert negative_log_likelihood(logits, labels, temperature) == pytest.approx(
        _reference_nll(logits, labels, temperature), rel=1e-12)


def test_overconfidence_gives_t_above_one_and_soft_labels_agree():
    logits, labels = _overconfident(scale=12.0)
    temperature = fit_temperature(logits, labels)
    assert temperature > 2.0
    one_hot = np.eye(5)[labels]
    assert fit_temperature(logits, one_hot) == pytest.approx(temperature, rel=1e-6)


def test_a_perfect_separation_goes_to_the_lower_bound():
    # The NLL falls towards 0 as T -> 0 and underflows to 0 in float64 below T ~ 0.13:
    # every T there is a minimiser.
    logits, labels = np.array([[5.0, 0.0], [0.0, 5.0]]), np.array([0, 1])
    temperature = fit_temperature(logits, labels, bounds=(0.1, 10.0))
    assert temperature < 0.2
    assert negative_log_likelihood(logits, labels, temperature) < 1e-15


def test_bad_inputs_raise():
    logits, labels = _overconfident(n=10)
    with pytest.raises(ValueError, match="finite"):
        fit_temperature(np.where(np.eye(10, 5) > 0, np.nan, logits), labels)
    with pytest.raises(ValueError, match="class ids"):
        fit_temperature(logits, labels + 5)
    with pytest.raises(ValueError, match="bounds"):
        fit_temperature(logits, labels, bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="shape"):
        fit_temperature(logits[:, :1], labels)


def test_the_model_keeps_the_temperature_for_predict_and_export(tmp_path):
    images, labels = tiny_data()
    model = km.MarginModel(tiny_backbone(), km.heads.ArcFace(4, scale=64.0))
    model.compile()
    model.fit(images, labels, epochs=2, batch_size=16, verbose=0)
    before = model.predict(images, verbose=0)  # traces predict with temperature 1
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(16)
    temperature = model.calibrate_temperature(dataset)
    logits = np.asarray(model(images), np.float64)
    assert temperature == pytest.approx(fit_temperature(logits, labels), rel=1e-4)
    assert float(model.temperature) == pytest.approx(temperature, rel=1e-6)
    calibrated = model.predict(images, verbose=0)
    expected = np.exp(logits / temperature - logsumexp(logits / temperature, axis=-1, keepdims=True))
    np.testing.assert_allclose(calibrated, expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_array_equal(np.argmax(calibrated, -1), np.argmax(before, -1))
    assert (negative_log_likelihood(logits, labels, temperature)
            <= negative_log_likelihood(logits, labels, 1.0))
    model.export(str(tmp_path / "serving"), verbose=False)
    serve = tf.saved_model.load(str(tmp_path / "serving")).signatures["serving_default"]
    np.testing.assert_allclose(serve(inputs=tf.constant(images))["probabilities"], calibrated,
                               rtol=1e-5, atol=1e-6)
