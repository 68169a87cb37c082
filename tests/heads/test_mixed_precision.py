"""Every head, old and new, under mixed_float16 and mixed_bfloat16: float32 logits, no NaN."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from head_testing import head_with_kernel, random_problem

HEADS = {
    "softmax": lambda: km.heads.Softmax(3),
    "normface": lambda: km.heads.NormFace(3),
    "cosface": lambda: km.heads.CosFace(3),
    "arcface": lambda: km.heads.ArcFace(3),
    "combinedmargin": lambda: km.heads.CombinedMargin(3),
    "sphereface": lambda: km.heads.SphereFace(3),
    "largemarginsoftmax": lambda: km.heads.LargeMarginSoftmax(3),
    "subcenterarcface": lambda: km.heads.SubCenterArcFace(3, sub_centers=2),
    "adaface": lambda: km.heads.AdaFace(3),
    "magface": lambda: km.heads.MagFace(3, lower_magnitude=1.0, upper_magnitude=20.0),
    "curricularface": lambda: km.heads.CurricularFace(3),
    "elasticface": lambda: km.heads.ElasticFace(3, plus=True, seed=0),
    "elasticface_cos": lambda: km.heads.ElasticFace(3, margin=0.35, kind="cos", seed=0),
    "ldam": lambda: km.heads.LDAM([100, 20, 5]),
    "adacos": lambda: km.heads.AdaCos(3),
}


def _kernel_for(head, kernel):
    """The (D, C) centres; with K sub-centres per class, K scaled copies of each."""
    k = head.centers_per_class
    return np.repeat(kernel, k, axis=1) * np.tile(1.0 + 0.1 * np.arange(k), kernel.shape[1])


def _training_logits(factory, policy, embeddings, kernel, labels):
    keras.config.set_dtype_policy(policy)
    try:
        head = factory()
        head = head_with_kernel(head, _kernel_for(head, kernel))
        assert head.compute_dtype == "float32"
        x = tf.Variable(keras.ops.cast(embeddings, keras.config.dtype_policy().compute_dtype))
        with tf.GradientTape() as tape:
            logits = head(x, labels=labels, training=True)
            loss = km.losses.CrossEntropy()(labels, logits) + sum(head.losses)
        gradients = tape.gradient(loss, [x, head.kernel])
        return logits, loss, gradients
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", sorted(HEADS))
def test_logits_are_float32_finite_and_close_to_float32(name, policy):
    embeddings, kernel, labels = random_problem(batch=16, seed=3)
    embeddings = embeddings * 3.0
    expected, _, _ = _training_logits(HEADS[name], "float32", embeddings, kernel, labels)
    logits, loss, gradients = _training_logits(HEADS[name], policy, embeddings, kernel, labels)
    assert logits.dtype == tf.float32
    assert np.isfinite(np.asarray(logits)).all() and np.isfinite(float(loss))
    for gradient in gradients:
        assert np.isfinite(np.asarray(keras.ops.cast(gradient, "float32"))).all()
    expected = np.asarray(expected)
    np.testing.assert_allclose(logits, expected, rtol=1e-2, atol=1e-2 * np.abs(expected).max())


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", sorted(HEADS))
def test_no_nan_at_the_edges(name, policy):
    # zero embeddings, theta exactly 0 and pi, norms near the float16 limit (1e-20 is
    # zero in float16 and bfloat16 keeps it: both must stay finite)
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 0], kernel[1, 1], kernel[0, 2] = 1.0, 2.0, -3.0
    embeddings = np.array([[0, 0, 0, 0], [5, 0, 0, 0], [-5, 0, 0, 0], [6e4, 0, 0, 0], [1e-20, 0, 0, 0],
                           [0, 3e3, 0, 0], [1, 1, 1, 1]], np.float32)
    labels = np.array([0, 0, 0, 2, 2, 1, 1], np.int32)
    logits, loss, gradients = _training_logits(HEADS[name], policy, embeddings, kernel, labels)
    assert np.isfinite(np.asarray(logits)).all() and np.isfinite(float(loss))
    for gradient in gradients:
        assert np.isfinite(np.asarray(keras.ops.cast(gradient, "float32"))).all()
