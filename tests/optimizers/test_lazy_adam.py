"""`LazyAdam` against a float64 NumPy reference of the lazy (row-wise) Adam update."""


import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km

ROWS, COLUMNS = 7, 3
LR, BETA_1, BETA_2, EPSILON = 0.05, 0.8, 0.95, 1e-3  # far from the defaults: every term counts


def lazy_adam_reference(weights, steps, amsgrad=False):
    """Kingma & Ba's Adam applied row by row, only to the rows each step's gradient names.

    `steps` is a list of (indices, values); repeated indices add (the gradient of a row
    named twice is the sum). Float64 throughout.
    """
    w = np.asarray(weights, np.float64).copy()
    m, v, v_hat = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, (indices, values) in enumerate(steps, start=1):
        gradient = {}
        for i, g in zip(indices, np.asarray(values, np.float64)):
            gradient[int(i)] = gradient.get(int(i), 0.0) + g
        alpha = LR * np.sqrt(1 - BETA_2**t) / (1 - BETA_1**t)
        for i, g in gradient.items():
            m[i] = BETA_1 * m[i] + (1 - BETA_1) * g
            v[i] = BETA_2 * v[i] + (1 - BETA_2) * g * g
            v_hat[i] = np.maximum(v_hat[i], v[i])
            w[i] -= alpha * m[i] / (np.sqrt(v_hat[i] if amsgrad else v[i]) + EPSILON)
    return w, m, v


def sparse_steps(seed=0, count=4):
    """Steps whose gradients name a few rows, some twice, some rows never."""
    rng = np.random.default_rng(seed)
    indices = [np.array([1, 4, 1, 5]), np.array([0, 4]), np.array([5, 5, 5]), np.array([4, 1, 2, 6])][:count]
    return [(i.astype("int32"), rng.normal(size=(len(i), COLUMNS)).astype("float32")) for i in indices]


def run_optimizer(optimizer, weights, steps, jit_compile=False):
    variable = keras.Variable(np.asarray(weights, "float32"))
    optimizer.build([variable])

    @tf.function(jit_compile=jit_compile)
    def apply(indices, values):
        optimizer.apply([tf.IndexedSlices(values, indices, dense_shape=(ROWS, COLUMNS))], [variable])

    for indices, values in steps:
        apply(tf.constant(indices), tf.constant(values))
    return variable, optimizer


def make(**kwargs):
    return km.optimizers.LazyAdam(learning_rate=LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON, **kwargs)


@pytest.fixture
def weights():
    return np.random.default_rng(1).normal(size=(ROWS, COLUMNS)).astype("float32")


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_sparse_steps_match_the_reference(weights, amsgrad, jit_compile):
    steps = sparse_steps()
    variable, optimizer = run_optimizer(make(amsgrad=amsgrad), weights, steps, jit_compile)
    expected_w, expected_m, expected_v = lazy_adam_reference(weights, steps, amsgrad)
    np.testing.assert_allclose(variable.numpy(), expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(optimizer._momentums[0].numpy(), expected_m, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(optimizer._velocities[0].numpy(), expected_v, rtol=1e-5, atol=1e-6)


def test_rows_never_in_a_gradient_keep_their_weights_and_zero_moments(weights):
    variable, optimizer = run_optimizer(make(), weights, sparse_steps())
    untouched = 3  # no step names row 3
    np.testing.assert_array_equal(variable.numpy()[untouched], weights[untouched])
    assert not np.any(optimizer._momentums[0].numpy()[untouched])
    assert not np.any(optimizer._velocities[0].numpy()[untouched])


def test_differs_from_adam_on_rows_a_step_misses(weights):
    # Row 1 is reached at step 1 only; Keras' Adam keeps moving it on the later steps
    # (its moments decay on every row), the lazy update does not.
    steps = sparse_steps(count=3)
    lazy, _ = run_optimizer(make(), weights, steps)
    adam, _ = run_optimizer(
        keras.optimizers.Adam(learning_rate=LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON), weights, steps
    )
    after_step_1, _, _ = lazy_adam_reference(weights, steps[:1])
    np.testing.assert_allclose(lazy.numpy()[1], after_step_1[1], rtol=1e-6)
    assert np.max(np.abs(adam.numpy()[1] - after_step_1[1])) > 1e-3
    # on a row every step reaches (row 4, in steps 1 and 2) the two are the same
    lazy, _ = run_optimizer(make(), weights, steps[:2])
    adam, _ = run_optimizer(
        keras.optimizers.Adam(learning_rate=LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON), weights, steps[:2]
    )
    np.testing.assert_allclose(lazy.numpy()[4], adam.numpy()[4], rtol=1e-5)


def test_dense_gradients_are_adam(weights):
    rng = np.random.default_rng(2)
    gradients = [rng.normal(size=(ROWS, COLUMNS)).astype("float32") for _ in range(3)]
    results = []
    for optimizer in (make(), keras.optimizers.Adam(learning_rate=LR, beta_1=BETA_1, beta_2=BETA_2, epsilon=EPSILON)):
        variable = keras.Variable(weights)
        for gradient in gradients:
            optimizer.apply([tf.constant(gradient)], [variable])
        results.append(variable.numpy())
    np.testing.assert_array_equal(results[0], results[1])
    # a dense gradient is a sparse one naming every row once
    expected, _, _ = lazy_adam_reference(weights, [(np.arange(ROWS), g) for g in gradients])
    np.testing.assert_allclose(results[0], expected, rtol=1e-5, atol=1e-6)


def test_sampling_head_step_updates_only_the_sampled_centres():
    head = km.heads.CosFace(40, sample_rate=0.25, seed=3)
    head.build((None, 4))
    optimizer = make()
    optimizer.build([head.kernel])
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(6, 4)).astype("float32"))
    y = tf.constant(rng.integers(0, 40, size=6).astype("int32"))
    before = head.kernel.numpy()
    with tf.GradientTape() as tape:
        logits, targets = head(x, labels=y, training=True, return_labels=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(targets, logits))
    (gradient,) = tape.gradient(loss, [head.kernel.value])
    assert isinstance(gradient, tf.IndexedSlices)
    optimizer.apply([gradient], [head.kernel])
    moved = np.flatnonzero(np.any(head.kernel.numpy() != before, axis=1))
    assert len(moved) == 10  # ceil(0.25 * 40) sampled classes, batch's classes among them
    assert set(y.numpy()) <= set(moved)
    expected, _, _ = lazy_adam_reference(before, [(gradient.indices.numpy(), gradient.values.numpy())])
    np.testing.assert_allclose(head.kernel.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_trains_a_sampling_margin_model():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = rng.integers(0, 20, size=64).astype("int32")
    backbone = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8)])
    model = km.MarginModel(backbone, km.heads.ArcFace(20, scale=8.0, sample_rate=0.3, seed=0))
    model.compile(optimizer=km.optimizers.LazyAdam(0.01))
    history = model.fit(x, y, batch_size=16, epochs=3, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_config_round_trip_and_registration():
    optimizer = km.optimizers.LazyAdam(learning_rate=0.02, beta_1=0.7, amsgrad=True)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is km.optimizers.LazyAdam
    assert restored.get_config() == optimizer.get_config()
