"""Behaviour every head shares through `MarginHead`: labels, errors, precision, config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from head_testing import head_with_kernel, random_problem

ALL_HEADS = {
    "softmax": lambda **kw: km.heads.Softmax(3, **kw),
    "normface": lambda **kw: km.heads.NormFace(3, **kw),
    "cosface": lambda **kw: km.heads.CosFace(3, **kw),
    "arcface": lambda **kw: km.heads.ArcFace(3, **kw),
    "arcface_easy": lambda **kw: km.heads.ArcFace(3, easy_margin=True, **kw),
    "combinedmargin": lambda **kw: km.heads.CombinedMargin(3, **kw),
    "sphereface": lambda **kw: km.heads.SphereFace(3, **kw),
    "largemarginsoftmax": lambda **kw: km.heads.LargeMarginSoftmax(3, **kw),
    "adacos": lambda **kw: km.heads.AdaCos(3, **kw),
}
MARGIN_HEADS = {k: v for k, v in ALL_HEADS.items() if k not in ("softmax", "normface", "adacos")}


@pytest.fixture(params=sorted(ALL_HEADS))
def head_factory(request):
    return ALL_HEADS[request.param]


@pytest.fixture(params=sorted(MARGIN_HEADS))
def margin_head_factory(request):
    return MARGIN_HEADS[request.param]


def test_label_formats_agree(head_factory):
    embeddings, kernel, labels = random_problem(batch=8)
    results = []
    for form in (labels, labels[:, None], labels.astype(np.float32), np.eye(3, dtype=np.float32)[labels]):
        head = head_with_kernel(head_factory(), kernel)
        results.append(np.asarray(head(embeddings, labels=form, training=True)))
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], rtol=1e-5, atol=1e-4)


def test_margin_touches_only_the_target_logits(margin_head_factory):
    embeddings, kernel, labels = random_problem(batch=32, num_classes=3)
    head = head_with_kernel(margin_head_factory(), kernel)
    trained = np.asarray(head(embeddings, labels=labels, training=True))
    plain = np.asarray(head(embeddings))
    off_target = np.ones_like(trained, bool)
    off_target[np.arange(32), labels] = False
    np.testing.assert_array_equal(trained[off_target], plain[off_target])
    assert np.all(trained[~off_target] <= plain[~off_target] + 1e-4)  # a margin never helps
    assert np.any(trained[~off_target] < plain[~off_target] - 1e-3)


def test_return_inference_logits(margin_head_factory):
    embeddings, kernel, labels = random_problem(batch=32)
    head = head_with_kernel(margin_head_factory(), kernel)
    logits, inference = head(embeddings, labels=labels, training=True, return_inference_logits=True)
    np.testing.assert_array_equal(inference, head(embeddings))
    assert not np.array_equal(logits, inference)


@pytest.mark.parametrize("bad", [-1, 3, 100])
def test_out_of_range_ids_raise_eagerly(head_factory, bad):
    embeddings, kernel, labels = random_problem()
    labels[2] = bad
    head = head_with_kernel(head_factory(), kernel)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        head(embeddings, labels=labels, training=True)


def test_out_of_range_ids_raise_in_a_graph(head_factory):
    embeddings, kernel, labels = random_problem()
    labels[0] = 7
    head = head_with_kernel(head_factory(), kernel)
    step = tf.function(lambda x, y: head(x, labels=y, training=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[0, 3\)"):
        step(embeddings, labels)


def test_out_of_range_ids_poison_the_row_under_xla(margin_head_factory):
    embeddings, kernel, labels = random_problem()
    labels[1] = 9
    head = head_with_kernel(margin_head_factory(), kernel)
    step = tf.function(lambda x, y: head(x, labels=y, training=True), jit_compile=True)
    logits = np.asarray(step(embeddings, labels))
    assert np.isnan(logits[1]).any()
    assert np.isfinite(np.delete(logits, 1, axis=0)).all()


def test_bad_label_shape_is_a_clear_error(margin_head_factory):
    embeddings, kernel, _ = random_problem()
    head = head_with_kernel(margin_head_factory(), kernel)
    with pytest.raises(ValueError, match="labels"):
        head(embeddings, labels=np.zeros((5, 2, 2), np.int32), training=True)


def _extreme_inputs():
    """Zero embeddings, theta exactly 0 and pi, huge and tiny norms, parallel centres."""
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 0], kernel[1, 1], kernel[0, 2] = 1.0, 2.0, -3.0  # centre 2 is at pi from 0
    embeddings = np.array(
        [[0, 0, 0, 0], [5, 0, 0, 0], [-5, 0, 0, 0], [1e4, 0, 0, 0], [1e-20, 0, 0, 0],
         [0, 3e3, 0, 0], [1, 1, 1, 1]], np.float32)
    labels = np.array([0, 0, 0, 2, 2, 1, 1], np.int32)
    return embeddings, kernel, labels


def test_no_nan_or_inf_at_the_edges(head_factory):
    embeddings, kernel, labels = _extreme_inputs()
    head = head_with_kernel(head_factory(), kernel)
    x = tf.Variable(embeddings)
    with tf.GradientTape() as tape:
        logits = head(x, labels=labels, training=True)
        loss = km.losses.CrossEntropy()(labels, logits)
    gradients = tape.gradient(loss, [x, head.kernel])
    assert np.isfinite(logits.numpy()).all()
    for gradient in gradients:
        assert np.isfinite(np.asarray(gradient)).all()


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_computes_in_float32(head_factory, policy):
    embeddings, kernel, labels = random_problem(batch=16)
    reference = head_with_kernel(head_factory(), kernel)
    expected = np.asarray(reference(embeddings, labels=labels, training=True))
    keras.config.set_dtype_policy(policy)
    head = head_with_kernel(head_factory(), kernel)
    assert head.compute_dtype == "float32"
    half = keras.ops.cast(embeddings, policy.split("_")[1])
    logits = head(half, labels=labels, training=True)
    assert logits.dtype == tf.float32
    # the only difference is the rounding of the half-precision embeddings
    rounded = np.asarray(keras.ops.cast(half, "float32"))
    keras.config.set_dtype_policy("float32")
    fresh = head_with_kernel(head_factory(), kernel)  # same annealing state as `head`
    np.testing.assert_allclose(
        logits, fresh(rounded, labels=labels, training=True), rtol=1e-5, atol=1e-4
    )
    np.testing.assert_allclose(logits, expected, rtol=1e-2, atol=1e-2 * np.abs(expected).max())


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_edges_have_no_nan(head_factory, policy):
    keras.config.set_dtype_policy(policy)
    embeddings, kernel, labels = _extreme_inputs()
    embeddings = np.clip(embeddings, -6e4, 6e4)
    head = head_with_kernel(head_factory(), kernel)
    x = tf.Variable(keras.ops.cast(embeddings, policy.split("_")[1]))
    with tf.GradientTape() as tape:
        loss = km.losses.CrossEntropy()(labels, head(x, labels=labels, training=True))
    assert np.isfinite(float(loss))
    for gradient in tape.gradient(loss, [x, head.kernel]):
        assert np.isfinite(np.asarray(keras.ops.cast(gradient, "float32"))).all()


def test_class_centers_are_unit_rows(head_factory):
    _, kernel, _ = random_problem(embedding_dim=5)
    head = head_with_kernel(head_factory(), kernel)
    centers = np.asarray(head.class_centers)
    assert centers.shape == (3, 5)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(centers, (kernel / np.linalg.norm(kernel, axis=0)).T, rtol=1e-6)


def test_config_and_serialization_round_trip(head_factory):
    head = head_factory(name="head_under_test")
    config = head.get_config()
    clone = type(head).from_config(config)
    assert clone.get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    assert type(restored) is type(head) and restored.get_config() == config


@pytest.mark.parametrize("num_classes", [1, 0, -3, 2.5, "10", None])
def test_num_classes_must_be_an_integer_of_at_least_two(num_classes):
    for factory in (km.heads.Softmax, km.heads.ArcFace, km.heads.SphereFace):
        with pytest.raises(ValueError, match="`num_classes`"):
            factory(num_classes)


def test_inside_a_functional_model():
    embeddings = keras.Input((8,))
    labels = keras.Input((), dtype="int32")
    logits = km.heads.CosFace(5)(embeddings, labels=labels)
    model = keras.Model([embeddings, labels], logits)
    assert model.output_shape == (None, 5)


def test_xla_compiled_step_matches_the_graph_step(head_factory):
    embeddings, kernel, labels = random_problem(batch=16)
    results = []
    for jit in (False, True):
        head = head_with_kernel(head_factory(), kernel)

        @tf.function(jit_compile=jit)
        def step(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = head(x, labels=y, training=True)
                loss = km.losses.CrossEntropy()(y, logits)
            return (logits,) + tuple(tape.gradient(loss, [x, head.kernel]))

        results.append([np.asarray(t) for t in step(tf.constant(embeddings), tf.constant(labels))])
    for graph, xla in zip(*results):
        np.testing.assert_allclose(xla, graph, rtol=1e-4, atol=1e-5)


def test_fractional_float_ids_are_rejected(margin_head_factory):
    embeddings, kernel, labels = random_problem()
    head = head_with_kernel(margin_head_factory(), kernel)
    with pytest.raises(ValueError, match="whole numbers"):
        head(embeddings, labels=labels.astype(np.float32) + 0.5, training=True)
