"""Hostile inputs to the heads (issue 18, "Bad input: Heads"), replayed so they stay fixed.

Each test here failed before its fix: embedding norms that overflowed float32, float16
embeddings whose gradient overflowed, class ids that wrapped around or were truncated,
constructor arguments beyond float32/int32, and a NaN row that poisoned a running
statistic for every later call.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.heads.base import LOGIT_LIMIT

NUM_CLASSES = 4
LABELS = np.array([0, 1, 2, 3], np.int32)


def _head(name, **kwargs):
    if name == "ldam":
        return km.heads.create(name, NUM_CLASSES, class_counts=[40, 20, 5, 2], **kwargs)
    return km.heads.create(name, NUM_CLASSES, **kwargs)


def _directions(seed=0, batch=4, dim=8):
    rows = np.random.default_rng(seed).normal(size=(batch, dim))
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _logits_and_gradients(head, embeddings, labels=LABELS):
    x = tf.Variable(embeddings)
    with tf.GradientTape() as tape:
        logits = head(x, labels=labels, training=True)
        loss = km.losses.CrossEntropy()(labels, logits)
    grad_x, grad_w = tape.gradient(loss, [x, head.kernel])
    return logits, head(x), loss, grad_x, grad_w


def _all_finite(*tensors):
    return all(np.isfinite(np.asarray(keras.ops.cast(t, "float32"))).all() for t in tensors)


# ------------------------------------------------------------------ extreme norms
@pytest.mark.parametrize("norm", [0.0, 1e-30, 1.0, 1e20, 3e38])
@pytest.mark.parametrize("name", km.heads.names())
def test_every_head_is_finite_at_every_finite_norm(name, norm):
    # Past ~1.8e19 sum(x^2) overflowed: L-Softmax/SphereFace gave -inf logits, cosine
    # heads all-zero logits, and at 3e38 every head had NaN gradients.
    embeddings = (_directions() * norm).astype(np.float32)
    outputs = _logits_and_gradients(_head(name), embeddings)
    assert _all_finite(*outputs)


@pytest.mark.parametrize("name", km.heads.names())
def test_float16_embeddings_of_norm_1e_4_have_finite_gradients(name):
    # The gradient of x / ||x|| is about s / ||x||: 6.4e5 at s = 64, beyond float16.
    keras.config.set_dtype_policy("mixed_float16")
    head = _head(name)
    embeddings = keras.ops.cast(_directions(seed=1) * 1e-4, "float16")
    outputs = _logits_and_gradients(head, embeddings)
    assert outputs[3].dtype == tf.float16
    assert _all_finite(*outputs)


@pytest.mark.parametrize(
    "factory",
    [lambda: km.heads.AdaCos(1000), lambda: km.heads.NormFace(1000, scale=256.0),
     lambda: km.heads.CosFace(1000, scale=64.0)],
    ids=["adacos", "normface_s256", "cosface"],
)
def test_float16_gradient_stays_below_an_eighth_of_the_float16_range(factory):
    # For float16 embeddings a cosine head divides by max(||x||, 16 s / 65504), so
    # ||dL/dx|| <= s |p - y|_1 / floor <= 65504 / 8. AdaCos' dynamic training path
    # cast the embeddings before the head saw their dtype: 63,680 for one sample.
    keras.config.set_dtype_policy("mixed_float16")
    head = factory()
    x = keras.ops.cast(_directions(seed=8, batch=1, dim=16) * 1e-4, "float16")
    labels = np.array([3], np.int32)
    gradient = np.asarray(keras.ops.cast(_logits_and_gradients(head, x, labels)[3], "float32"))
    assert np.abs(gradient).max() <= 65504 / 8


@pytest.mark.parametrize("name", ["cosface", "arcface", "adaface", "curricularface", "ldam"])
def test_cosine_heads_ignore_the_norm_of_huge_embeddings(name):
    # Cosines do not depend on ||x||; they used to become 0 once ||x||^2 overflowed.
    directions = _directions(seed=2).astype(np.float32)
    head = _head(name)
    expected = np.asarray(head(directions))
    for norm in (1e20, 3e38):
        np.testing.assert_allclose(head(directions * np.float32(norm)), expected, rtol=1e-5, atol=1e-5)


def test_linear_heads_are_exact_below_the_logit_limit_and_clipped_beyond():
    directions = _directions(seed=3)
    for name in ("softmax", "largemarginsoftmax", "sphereface"):
        head = _head(name)
        head.build((None, 8))
        kernel = np.asarray(head.kernel, np.float64)
        if name == "sphereface":  # unit centres
            kernel = kernel / np.linalg.norm(kernel, axis=0)
        for norm in (1e20, 1e28):
            x = (directions * norm).astype(np.float32)
            expected = x.astype(np.float64) @ kernel
            np.testing.assert_allclose(head(x), expected, rtol=1e-5)
        # The true logits (~1e38) are beyond the limit: saturated, finite, zero gradient.
        huge = (directions * 3e38).astype(np.float32)
        logits, inference, _, grad_x, grad_w = _logits_and_gradients(head, huge)
        assert np.abs(np.asarray(inference)).max() == np.float32(LOGIT_LIMIT)
        assert np.abs(np.asarray(logits)).max() <= np.float32(LOGIT_LIMIT)
        assert _all_finite(grad_x, grad_w)


def test_unit_rows_of_tiny_and_huge_rows():
    half = 0.5**0.5
    rows = np.array(
        [[3e38, 3e38, 0.0], [1e-10, 0.0, -1e-10], [1e-40, 0.0, 0.0], [0.0, 0.0, 0.0], [3.0, 4.0, 0.0]],
        np.float32,
    )
    expected = [[half, half, 0.0], [half, 0.0, -half], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.6, 0.8, 0.0]]
    # (norms at most 1e-12 are zero embeddings: mapped to zero)
    np.testing.assert_allclose(km.heads.base.unit_rows(tf.constant(rows)), expected, rtol=1e-6)


# ------------------------------------------------------------------------ labels
BAD_IDS = [
    np.array([0, 1, 2, 2**32 + 1], np.int64),  # wrapped to 1 by the int32 cast
    np.array([0, 1, 2, 2.5], np.float32),  # truncated to 2
    np.array([0, 1, 2, np.nan], np.float32),
    np.array([0, 1, 2, 3e9], np.float32),  # beyond int32
]


@pytest.mark.parametrize("labels", BAD_IDS, ids=["int64_2^32+1", "2.5", "nan", "3e9"])
@pytest.mark.parametrize("name", ["cosface", "softmax"])
def test_bad_class_ids_raise_or_give_nan(name, labels):
    head = _head(name)
    x = _directions(seed=4).astype(np.float32)
    with pytest.raises(ValueError, match="`labels`"):
        head(x, labels=labels, training=True)
    graph = tf.function(lambda x, y: head(x, labels=y, training=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match="labels"):
        graph(x, labels)

    # XLA cannot raise: the bad row's logits, and so its loss, are NaN.
    @tf.function(jit_compile=True)
    def xla_loss(x, y):
        logits = head(x, labels=y, training=True)
        return logits, km.losses.CrossEntropy()(keras.ops.cast(y, "int32"), logits)

    logits, loss = xla_loss(x, labels)
    finite_rows = np.isfinite(np.asarray(logits)).all(axis=1)
    np.testing.assert_array_equal(finite_rows, [True, True, True, False])
    assert np.isnan(float(loss))


# ---------------------------------------------------------- constructor arguments
@pytest.mark.parametrize(
    "factory, argument",
    [
        (lambda: km.heads.CosFace(4, scale=1e39), "scale"),
        (lambda: km.heads.ArcFace(4, scale=-1e39), "scale"),
        (lambda: km.heads.CosFace(1e39), "num_classes"),
        (lambda: km.heads.Softmax(2**31), "num_classes"),
        (lambda: km.heads.SphereFace(4, margin=1e39), "margin"),  # used to hang the call
        (lambda: km.heads.LargeMarginSoftmax(4, margin=65), "margin"),
        (lambda: km.heads.SphereFace(4, lambda_base=1e39), "lambda_base"),
        (lambda: km.heads.ElasticFace(4, seed=1e39), "seed"),
        (lambda: km.heads.NormFace(4, sample_rate=0.5, seed=2**31 - 1), "seed"),
        (lambda: km.heads.ArcFace(4, dtype="int32"), "dtype"),
        (lambda: km.heads.Softmax(4, dtype="mixed_int8"), "dtype"),
        (lambda: km.heads.SubCenterArcFace(2**20, sub_centers=2**12), "sub_centers"),
        (lambda: km.heads.MagFace(4, upper_magnitude=1e39), "upper_magnitude"),
        (lambda: km.heads.LDAM([10, 5], scale=float(np.finfo(np.float64).max)), "scale"),
    ],
)
def test_arguments_beyond_float32_or_int32_are_refused(factory, argument):
    with pytest.raises(ValueError, match=f"`{argument}`"):
        factory()


@pytest.mark.parametrize("name", km.heads.names())
def test_every_head_refuses_an_integer_dtype(name):
    with pytest.raises(ValueError, match="`dtype`"):
        _head(name, dtype="int32")


def test_largest_accepted_arguments_still_work():
    head = km.heads.ElasticFace(4, seed=2**31 - 2, scale=1e30)
    x = _directions(seed=5).astype(np.float32)
    assert _all_finite(*_logits_and_gradients(head, x))
    assert km.heads.SphereFace(4, margin=64).margin == 64


# ----------------------------------------------------- non-finite rows and state
def _state(head):
    return [np.asarray(v) for v in head.non_trainable_variables]


@pytest.mark.parametrize("name", ["adaface", "curricularface", "subcenterarcface"])
def test_a_nan_row_changes_no_running_state(name):
    norms = np.array([[3.0], [20.0], [7.0], [1.0], [40.0]])
    x = (_directions(seed=6, batch=5) * norms).astype(np.float32)
    labels = np.array([0, 1, 2, 3, 1], np.int32)
    poisoned = x.copy()
    poisoned[2] = np.nan
    kept = np.array([0, 1, 3, 4])
    clean = (_directions(seed=7) * 10.0).astype(np.float32)

    with_nan, without = _head(name), _head(name)
    for head in (with_nan, without):
        head.build((None, 8))
    without.set_weights(with_nan.get_weights())

    nan_logits = np.asarray(with_nan(poisoned, labels=labels, training=True))
    assert np.isnan(nan_logits[2]).all() and np.isfinite(nan_logits[kept]).all()
    without(x[kept], labels=labels[kept], training=True)
    for a, b in zip(_state(with_nan), _state(without)):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        assert np.isfinite(a).all()
    # and a later clean call is the same as if the bad row had never been there
    np.testing.assert_allclose(
        with_nan(clean, labels=LABELS, training=True),
        without(clean, labels=LABELS, training=True),
        rtol=1e-5,
        atol=1e-5,
    )


def test_a_batch_of_only_nan_rows_leaves_the_statistics_unchanged():
    head = _head("adaface")
    head.build((None, 8))
    before = _state(head)
    head(np.full((4, 8), np.nan, np.float32), labels=LABELS, training=True)
    for a, b in zip(_state(head), before):
        np.testing.assert_array_equal(a, b)
