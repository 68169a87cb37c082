import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def _log_softmax(logits):
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def test_label_smoothing_smooths_ids_and_matrices():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(5, 4)).astype("float32") * 3
    ids = rng.integers(0, 4, 5)
    target = np.eye(4)[ids] * 0.8 + 0.2 / 4
    expected = np.mean(-(target * _log_softmax(logits)).sum(-1))
    loss = km.losses.CrossEntropy(label_smoothing=0.2)
    assert float(loss(ids, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(np.eye(4, dtype="float32")[ids], logits)) == pytest.approx(expected, rel=1e-5)
    weighted = km.losses.CrossEntropy(label_smoothing=0.2, class_weights=[1.0, 2.0, 0.0, 1.0])
    per_sample = -(target * _log_softmax(logits)).sum(-1) * np.array([1.0, 2.0, 0.0, 1.0])[ids]
    assert float(weighted(ids, logits)) == pytest.approx(per_sample.mean(), rel=1e-5)
    restored = km.losses.CrossEntropy.from_config(loss.get_config())
    assert restored.label_smoothing == 0.2
    with pytest.raises(ValueError, match="`label_smoothing`"):
        km.losses.CrossEntropy(label_smoothing=1.0)


def test_label_smoothing_with_a_margin_head_trains_on_margin_logits():
    rng = np.random.default_rng(1)
    features = rng.normal(size=(16, 6)).astype("float32")
    labels = np.arange(16) % 4
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5)])
    model = km.MarginModel(backbone, km.heads.ArcFace(4, scale=8.0, margin=0.3))
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss=km.losses.CrossEntropy(label_smoothing=0.1))
    history = model.fit(features, labels, batch_size=16, epochs=1, verbose=0)
    margin_logits = np.asarray(model.head(backbone(features), labels=labels, training=True))
    target = np.eye(4)[labels] * 0.9 + 0.1 / 4
    expected = np.mean(-(target * _log_softmax(margin_logits)).sum(-1))
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("kind, beta", [("soft", 0.95), ("hard", 0.8)])
def test_bootstrapping_matches_reed_et_al(kind, beta):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 3)).astype("float32") * 2
    ids = rng.integers(0, 3, 6)
    log_q = _log_softmax(logits)
    belief = np.exp(log_q) if kind == "soft" else np.eye(3)[logits.argmax(-1)]
    expected = np.mean(-((beta * np.eye(3)[ids] + (1 - beta) * belief) * log_q).sum(-1))
    loss = km.losses.Bootstrapping(kind=kind)
    assert loss.beta == beta
    assert float(loss(ids, logits)) == pytest.approx(expected, rel=1e-5)
    assert float(loss(np.eye(3, dtype="float32")[ids], logits)) == pytest.approx(expected, rel=1e-5)
    restored = km.losses.Bootstrapping.from_config(loss.get_config())
    assert (restored.kind, restored.beta) == (kind, beta)


def test_soft_bootstrapping_gradient_includes_the_entropy_term():
    logits = tf.Variable([[1.0, -0.5, 0.2]])
    with tf.GradientTape() as tape:
        value = km.losses.Bootstrapping(kind="soft", beta=0.5)(np.array([0]), logits)
    gradient = tape.gradient(value, logits).numpy()
    q = np.exp(_log_softmax(logits.numpy()))
    log_q = np.log(q)
    entropy_gradient = -q * (log_q - (q * log_q).sum())  # d/dz of the entropy -sum q log q
    expected = 0.5 * (q - np.eye(3)[[0]]) + 0.5 * entropy_gradient  # beta CE + (1 - beta) H
    np.testing.assert_allclose(gradient, expected, rtol=1e-5, atol=1e-6)


def test_bootstrapping_beta_one_is_cross_entropy_and_bad_arguments_are_named():
    logits = np.array([[3.0, 0.0], [0.0, 1.0]], "float32")
    ids = np.array([1, 1])
    assert float(km.losses.Bootstrapping(beta=1.0)(ids, logits)) == pytest.approx(
        float(km.losses.CrossEntropy()(ids, logits)), rel=1e-6)
    with pytest.raises(ValueError, match="`kind`"):
        km.losses.Bootstrapping(kind="medium")
    with pytest.raises(ValueError, match="`beta`"):
        km.losses.Bootstrapping(beta=1.5)


def test_bootstrapping_trains_a_margin_model():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(32, 6)).astype("float32")
    labels = (features[:, 0] > 0).astype("int32")
    backbone = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    model = km.MarginModel(backbone, km.heads.CosFace(2, scale=10.0, margin=0.2))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=km.losses.Bootstrapping(kind="hard"))
    history = model.fit(features, labels, batch_size=32, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
