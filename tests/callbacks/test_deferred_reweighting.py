import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km

COUNTS = [300, 40, 6]


def test_weights_before_and_after_the_start_epoch():
    drw = km.callbacks.DeferredReweighting(COUNTS, start_epoch=3, beta=0.99)
    np.testing.assert_array_equal(drw.weights_for_epoch(0), np.ones(3))
    np.testing.assert_array_equal(drw.weights_for_epoch(2), np.ones(3))
    effective = (1 - 0.99 ** np.array(COUNTS, float)) / (1 - 0.99)  # Cui et al., eq. 3
    expected = (1 / effective) / (1 / effective).sum() * 3
    np.testing.assert_allclose(drw.weights_for_epoch(3), expected, rtol=1e-6)
    np.testing.assert_allclose(drw.weights_for_epoch(10), expected, rtol=1e-6)
    assert drw.weights_for_epoch(3).sum() == pytest.approx(3.0)
    assert np.all(np.diff(drw.weights_for_epoch(3)) > 0)  # rarer classes weigh more


def test_beta_zero_keeps_equal_weights():
    drw = km.callbacks.DeferredReweighting(COUNTS, start_epoch=0, beta=0.0)
    np.testing.assert_allclose(drw.weights_for_epoch(0), np.ones(3), rtol=1e-6)


def test_the_compiled_fit_step_sees_the_switch():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(30, 5)).astype("float32")
    labels = np.repeat(np.arange(3), 10).astype("int32")
    drw = km.callbacks.DeferredReweighting(COUNTS, start_epoch=1)
    backbone = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4)])
    model = km.MarginModel(backbone, km.heads.LDAM(COUNTS, scale=8.0))
    model.compile(optimizer=keras.optimizers.SGD(0.0),  # weights stay put: the loss only moves with DRW
                  loss=km.losses.CrossEntropy(class_weights=drw.class_weights))
    history = model.fit(features, labels, batch_size=30, epochs=3, callbacks=[drw], verbose=0)
    logits = model.head(backbone(features), labels=labels, training=True)
    per_sample = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    unweighted = float(np.mean(per_sample))
    weighted = float(np.mean(np.asarray(per_sample) * drw.weights_for_epoch(1)[labels]))
    losses = history.history["loss"]
    assert losses[0] == pytest.approx(unweighted, rel=1e-5)
    assert losses[1] == pytest.approx(weighted, rel=1e-5) and losses[2] == pytest.approx(weighted, rel=1e-5)
    assert abs(weighted - unweighted) > 0.1


def test_a_weighted_loss_reads_the_variable_inside_a_tf_function():
    weights = keras.Variable(np.ones(2, "float32"), trainable=False)
    loss = km.losses.CrossEntropy(class_weights=weights)
    logits = tf.constant([[2.0, 0.0], [0.0, 1.0]])
    step = tf.function(lambda y: loss(y, logits))
    before = float(step(tf.constant([0, 1])))
    weights.assign([0.0, 2.0])
    after = float(step(tf.constant([0, 1])))
    ce = keras.losses.sparse_categorical_crossentropy(tf.constant([0, 1]), logits, from_logits=True).numpy()
    assert before == pytest.approx(ce.mean(), rel=1e-6)
    assert after == pytest.approx((2.0 * ce[1]) / 2, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"class_counts": [3]}, "class_counts"), ({"start_epoch": -1}, "start_epoch"),
     ({"start_epoch": 1.5}, "start_epoch"), ({"beta": 1.0}, "beta"), ({"beta": -0.1}, "beta")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.callbacks.DeferredReweighting(**{"class_counts": COUNTS, **kwargs})
