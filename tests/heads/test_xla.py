"""Every head compiles with XLA (`jit_compile=True`) and computes what it computes without."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km

NUM_CLASSES, DIM, BATCH = 6, 4, 5
# Heads whose training logits draw random numbers: XLA may pick another RNG algorithm,
# so only finiteness and shapes are compared for them.
RANDOM = {"elasticface"}


def make_head(name, **kwargs):
    counts = [3, 5, 8, 13, 21, 34]
    return km.heads.create(name, NUM_CLASSES, class_counts=counts, **kwargs)


def train_step(head, optimizer, jit_compile):
    @tf.function(jit_compile=jit_compile)
    def step(x, y):
        with tf.GradientTape() as tape:
            tape.watch(x)
            logits, targets = head(x, labels=y, training=True, return_labels=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits))
            if head.losses:
                loss = loss + tf.add_n(head.losses)
        grads = tape.gradient(loss, [x] + head.trainable_variables)
        optimizer.apply(grads[1:], head.trainable_variables)
        return loss, grads[0]

    return step


def run(name, jit_compile, **kwargs):
    keras.utils.set_random_seed(0)
    head = make_head(name, **kwargs)
    head.build((None, DIM))
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(head.trainable_variables)
    step = train_step(head, optimizer, jit_compile)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(BATCH, DIM)), tf.float32)
    y = tf.constant([0, 1, 1, 5, 3], tf.int32)
    outputs = [step(x, y) for _ in range(2)]
    return head, outputs


@pytest.mark.parametrize("name", km.heads.names())
def test_head_train_step_compiles_with_xla(name):
    head, outputs = run(name, jit_compile=True)
    for loss, grad_x in outputs:
        assert np.isfinite(float(loss)) and grad_x.shape == (BATCH, DIM)
        assert np.all(np.isfinite(grad_x))
    if name in RANDOM:
        return
    reference, expected = run(name, jit_compile=False)
    for (loss, grad_x), (want_loss, want_grad) in zip(outputs, expected):
        np.testing.assert_allclose(float(loss), float(want_loss), rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(grad_x, want_grad, rtol=1e-3, atol=1e-5)
    for got, want in zip(head.weights, reference.weights):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-4, atol=1e-5)


def test_sampling_head_train_step_compiles_with_xla():
    head = km.heads.CosFace(40, scale=8.0, sample_rate=0.2, seed=1)
    head.build((None, DIM))
    before = np.asarray(head.kernel)
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(head.trainable_variables)
    x = tf.constant(np.random.default_rng(0).normal(size=(BATCH, DIM)), tf.float32)
    y = tf.constant([0, 1, 1, 35, 3], tf.int32)
    loss, grad_x = train_step(head, optimizer, jit_compile=True)(x, y)
    assert np.isfinite(float(loss)) and np.all(np.isfinite(grad_x))
    changed = np.flatnonzero(np.any(np.asarray(head.kernel) != before, axis=1))
    assert len(changed) == 8 and {0, 1, 3, 35} <= set(changed.tolist())


def test_margin_model_fits_with_jit_compile():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, DIM)).astype(np.float32)
    y = rng.integers(0, NUM_CLASSES, size=20).astype(np.int32)
    backbone = keras.Sequential([keras.Input((DIM,)), keras.layers.Dense(DIM)])
    model = km.MarginModel(backbone, km.heads.ArcFace(NUM_CLASSES, scale=8.0, sample_rate=0.5, seed=0))
    model.compile(optimizer="sgd", metrics=["accuracy"], jit_compile=True)
    history = model.fit(x, y, batch_size=10, epochs=2, verbose=0).history
    assert model.jit_compile is True
    assert np.all(np.isfinite(history["loss"]))
    assert model.predict(x, verbose=0).shape == (20, NUM_CLASSES)
