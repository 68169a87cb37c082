import numpy as np
import pytest

import keras_margin as km


def _reference(labels_matrix, logits):
    logits = logits.astype(np.float64)
    log_softmax = logits - logits.max(-1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(-1, keepdims=True))
    return float(np.mean(-(labels_matrix * log_softmax).sum(-1)))


def test_ids_one_hot_and_soft_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 4)).astype("float32") * 5
    ids = rng.integers(0, 4, 6)
    loss = km.losses.CrossEntropy()
    one_hot = np.eye(4)[ids]
    assert float(loss(ids, logits)) == pytest.approx(_reference(one_hot, logits), rel=1e-5)
    assert float(loss(ids[:, None], logits)) == pytest.approx(_reference(one_hot, logits), rel=1e-5)
    assert float(loss(one_hot.astype("float32"), logits)) == pytest.approx(_reference(one_hot, logits), rel=1e-5)
    soft = rng.dirichlet(np.ones(4), 6).astype("float32")
    assert float(loss(soft, logits)) == pytest.approx(_reference(soft, logits), rel=1e-5)


def test_half_precision_logits_are_computed_in_float32():
    logits = np.array([[300.0, -300.0]], "float16")
    assert np.isfinite(float(km.losses.CrossEntropy()(np.array([1]), logits)))


def test_config_round_trip():
    loss = km.losses.CrossEntropy(name="ce")
    assert km.losses.CrossEntropy.from_config(loss.get_config()).get_config() == loss.get_config()


def test_class_weights_scale_each_sample_by_its_class():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(6, 3)).astype("float32") * 3
    ids = np.array([0, 1, 2, 2, 1, 0])
    weights = np.array([0.5, 2.0, 1.0], "float32")
    one_hot = np.eye(3)[ids]
    log_softmax = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    per_sample = -(one_hot * log_softmax).sum(-1)
    expected = float(np.mean(per_sample * weights[ids]))  # divided by the batch size, as Keras' class_weight
    loss = km.losses.CrossEntropy(class_weights=weights)
    assert float(loss(ids, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(one_hot.astype("float32"), logits)) == pytest.approx(expected, rel=1e-5)
    soft = rng.dirichlet(np.ones(3), 6).astype("float32")
    soft_expected = float(np.mean(-(soft * log_softmax).sum(-1) * (soft * weights).sum(-1)))
    assert float(loss(soft, logits)) == pytest.approx(soft_expected, rel=1e-5)
    clone = km.losses.CrossEntropy.from_config(loss.get_config())
    assert float(clone(ids, logits)) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("weights", [[[1.0, 2.0]], [1.0, -1.0], [1.0, float("nan")]])
def test_bad_class_weights_are_rejected(weights):
    with pytest.raises(ValueError, match="`class_weights`"):
        km.losses.CrossEntropy(class_weights=weights)
