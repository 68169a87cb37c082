"""Helpers shared by the head tests: any registered head, given centres, gradients."""

import numpy as np
import tensorflow as tf

import keras_margin as km

# What the shared suites give a registered head besides its number of classes, where the
# defaults would leave a path untested: two sub-centres, a magnitude range around the
# test embeddings' norms, ElasticFace+ with a fixed seed; LDAM is built from counts.
HEAD_ARGUMENTS = {
    "subcenterarcface": {"sub_centers": 2},
    "magface": {"lower_magnitude": 0.5, "upper_magnitude": 8.0},
    "elasticface": {"plus": True, "seed": 0},
}
CLASS_COUNTS = (50, 10, 3)


def make_head(name, num_classes=3, /, **kwargs):
    """The registered head `name` with `num_classes` classes and the suites' arguments."""
    kwargs = {**HEAD_ARGUMENTS.get(name, {}), **kwargs}
    counts = [CLASS_COUNTS[i % len(CLASS_COUNTS)] for i in range(num_classes)]
    return km.heads.create(name, num_classes, class_counts=counts, **kwargs)


def head_with_kernel(head, kernel):
    """Builds `head` for `kernel.shape[0]`-dim embeddings and sets its centres."""
    head.build((None, kernel.shape[0]))
    head.kernel.assign(np.asarray(kernel, head.kernel.dtype))
    return head


def numerical_gradients(head_factory, embeddings, kernel, labels, seed=0, step=1e-6, with_losses=False):
    """Analytic (tf.GradientTape) and central-difference gradients, float64.

    The objective is `sum(logits * weights)` with fixed random weights, so every logit
    contributes, plus the head's added losses if `with_losses`. The head's
    non-trainable state (EMAs, counters, seed) is restored before every evaluation, so
    all of them see the same state. Returns `((analytic_x, analytic_w), (numeric_x,
    numeric_w))`.
    """
    head = head_with_kernel(head_factory(dtype="float64"), kernel.astype(np.float64))
    weights = np.random.default_rng(seed).normal(size=(embeddings.shape[0], head.num_classes))
    state = [np.asarray(v) for v in head.non_trainable_variables]

    def evaluate(x):
        for variable, value in zip(head.non_trainable_variables, state):
            variable.assign(value)
        value = tf.reduce_sum(head(x, labels=labels, training=True) * weights)
        if with_losses:
            value = value + tf.add_n(head.losses)
        return value

    def objective(x, w):
        head.kernel.assign(w)
        return float(evaluate(x))

    x = tf.Variable(embeddings.astype(np.float64))
    with tf.GradientTape() as tape:
        value = evaluate(x)
    grad_x, grad_w = tape.gradient(value, [x, head.kernel])

    def central(array, evaluate):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += step
            minus[index] -= step
            grad[index] = (evaluate(plus) - evaluate(minus)) / (2 * step)
        return grad

    x0 = embeddings.astype(np.float64)
    w0 = kernel.astype(np.float64)
    numeric_x = central(x0, lambda v: objective(v, w0))
    numeric_w = central(w0, lambda v: objective(x0, v))
    return (np.asarray(grad_x), np.asarray(grad_w)), (numeric_x, numeric_w)


def assert_gradients_match(head_factory, embeddings, kernel, labels, rtol=1e-5, with_losses=False):
    (ax, aw), (nx, nw) = numerical_gradients(
        head_factory, embeddings, kernel, labels, with_losses=with_losses
    )
    np.testing.assert_allclose(ax, nx, rtol=rtol, atol=rtol * max(1.0, np.abs(nx).max()))
    np.testing.assert_allclose(aw, nw, rtol=rtol, atol=rtol * max(1.0, np.abs(nw).max()))


def random_problem(batch=5, embedding_dim=4, num_classes=3, seed=0):
    """Random float32 embeddings, centres with unequal norms, and class ids."""
    rng = np.random.default_rng(seed)
    embeddings = rng.normal(size=(batch, embedding_dim)).astype(np.float32) * 2.0
    kernel = (rng.normal(size=(embedding_dim, num_classes)) * rng.uniform(0.5, 2.0, num_classes))
    labels = rng.integers(0, num_classes, size=batch).astype(np.int32)
    return embeddings, kernel.astype(np.float32), labels


def check_against_reference(head_factory, name, reference_params, sweep_degrees=None):
    """Compares a float32 head with the float64 reference on three kinds of input.

    1. the 0..180 degree sweep with class ids (every branch of every margin);
    2. random embeddings with soft labels (the label-mass formula);
    3. inference logits, with labels=None and with training=False.

    `reference_params` may be a callable of the head (for state such as lambda, read
    after the call).
    """
    import heads_reference as ref

    def params(head):
        return reference_params(head) if callable(reference_params) else reference_params

    embeddings, kernel, labels = ref.angle_sweep(degrees=sweep_degrees)
    head = head_with_kernel(head_factory(), kernel)
    actual = head(embeddings, labels=labels, training=True)
    ref.assert_close(actual, ref.logits(name, embeddings, kernel, labels, **params(head)))

    rng = np.random.default_rng(1)
    embeddings, kernel, _ = random_problem(batch=16, embedding_dim=6, num_classes=3, seed=1)
    soft = rng.dirichlet(np.ones(3) * 0.5, size=16).astype(np.float32)
    head = head_with_kernel(head_factory(), kernel)
    actual = head(embeddings, labels=soft, training=True)
    ref.assert_close(actual, ref.logits(name, embeddings, kernel, soft, **params(head)))

    expected = ref.logits(name, embeddings, kernel, None, **params(head))
    ref.assert_close(head(embeddings), expected)
    ref.assert_close(head(embeddings, labels=soft, training=False), expected)
