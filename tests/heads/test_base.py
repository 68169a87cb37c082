"""Behaviour every head shares through `MarginHead`, for every head in the registry.

One suite over `km.heads.names()`, so a newly registered head is tested here without
anyone adding it to a list; `VARIANTS` adds the two options whose code paths differ
(ArcFace's easy margin, ElasticFace's cosine kind). `head_testing.make_head` holds the
arguments a head gets beyond `num_classes`.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from head_testing import make_head, random_problem

# Options of a registered head that take another path through the margin code.
VARIANTS = {
    "arcface-easy": ("arcface", {"easy_margin": True}),
    "elasticface-cos": ("elasticface", {"kind": "cos", "margin": 0.35, "plus": False}),
}
CASES = km.heads.names() + sorted(VARIANTS)
POLICIES = ["mixed_float16", "mixed_bfloat16"]


def _factory(case):
    """`factory(**kwargs) -> head` with 3 classes for a registry name or a variant."""
    name, options = VARIANTS.get(case, (case, {}))
    return lambda **kwargs: make_head(name, **{**options, **kwargs})


def _built(factory, kernel, **kwargs):
    """The head with these (D, 3) centres; K sub-centres per class are perturbed copies (no ties)."""
    head = factory(**kwargs)
    k = head.centers_per_class
    perturbation = np.random.default_rng(9).normal(scale=0.3, size=(kernel.shape[0], kernel.shape[1] * k))
    if k == 1:
        perturbation[:] = 0.0
    head.build((None, kernel.shape[0]))
    head.kernel.assign((np.repeat(kernel, k, axis=1) + perturbation).astype(head.kernel.dtype))
    return head


def _case_factory(case):
    factory = _factory(case)
    factory.case = case
    return factory


@pytest.fixture(params=CASES)
def head_factory(request):
    return _case_factory(request.param)


@pytest.fixture(params=[case for case in CASES if _factory(case)().has_margin])
def margin_head_factory(request):
    return _case_factory(request.param)


# One compiled training step per head, shared by the tests that run it under XLA: the
# compile is most of their time.
_STEPS = {}


def _compiled_step(factory, jit):
    """`step(x, y) -> (logits, d loss / d x, d loss / d centres)` of the head `factory`
    makes on `random_problem(batch=16)`'s centres, graph or XLA-compiled, built once.
    Every call starts from the head's initial state (the iteration counters and running
    statistics of L-Softmax, SphereFace, CurricularFace, ...), whatever ran before."""
    key = (factory.case, jit)
    if key not in _STEPS:
        _, kernel, _ = random_problem(batch=16)
        head = _built(factory, kernel)
        if isinstance(head, km.heads.ElasticFace):
            # XLA and the CPU kernels draw different numbers from the same seed; the
            # margins are what differs, so the steps run with sigma = 0.
            head = _built(factory, kernel, margin_std=0.0)

        @tf.function(jit_compile=jit)
        def step(x, y):
            with tf.GradientTape() as tape:
                tape.watch(x)
                logits = head(x, labels=y, training=True)
                loss = km.losses.CrossEntropy()(y, logits)
            return (logits,) + tuple(tape.gradient(loss, [x, head.kernel]))

        initial = [np.array(variable) for variable in head.non_trainable_variables]

        def from_the_start(x, y):
            for variable, value in zip(head.non_trainable_variables, initial):
                variable.assign(value)
            return step(x, y)

        _STEPS[key] = from_the_start
    return _STEPS[key]


def test_the_suite_covers_every_registered_head():
    assert set(km.heads.names()) <= set(CASES)
    margin_free = {case for case in CASES if not _factory(case)().has_margin}
    assert margin_free == {"softmax", "normface", "adacos"}


def test_label_formats_agree(head_factory):
    embeddings, kernel, labels = random_problem(batch=8)
    results = []
    for form in (labels, labels[:, None], labels.astype(np.float32), np.eye(3, dtype=np.float32)[labels]):
        head = _built(head_factory, kernel)
        results.append(np.asarray(head(embeddings, labels=form, training=True)))
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], rtol=1e-5, atol=1e-4)


def test_margin_lowers_the_target_logits_and_only_them(margin_head_factory):
    embeddings, kernel, labels = random_problem(batch=32, num_classes=3)
    head = _built(margin_head_factory, kernel)
    trained = np.asarray(head(embeddings, labels=labels, training=True))
    plain = np.asarray(head(embeddings))
    off_target = np.ones_like(trained, bool)
    off_target[np.arange(32), labels] = False
    if not head.adjusts_non_target_logits:  # CurricularFace changes the hard negatives
        np.testing.assert_array_equal(trained[off_target], plain[off_target])
    assert np.all(trained[~off_target] <= plain[~off_target] + 1e-4)  # a margin never helps
    assert np.any(trained[~off_target] < plain[~off_target] - 1e-3)


def test_return_inference_logits(margin_head_factory):
    embeddings, kernel, labels = random_problem(batch=32)
    head = _built(margin_head_factory, kernel)
    logits, inference = head(embeddings, labels=labels, training=True, return_inference_logits=True)
    np.testing.assert_array_equal(inference, head(embeddings))
    assert not np.array_equal(logits, inference)


@pytest.mark.parametrize("bad", [-1, 3, 100])
def test_out_of_range_ids_raise_eagerly(head_factory, bad):
    embeddings, kernel, labels = random_problem()
    labels[2] = bad
    head = _built(head_factory, kernel)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        head(embeddings, labels=labels, training=True)


def test_out_of_range_ids_raise_in_a_graph(head_factory):
    embeddings, kernel, labels = random_problem()
    labels[0] = 7
    head = _built(head_factory, kernel)
    step = tf.function(lambda x, y: head(x, labels=y, training=True))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[0, 3\)"):
        step(embeddings, labels)


def test_out_of_range_ids_poison_the_row_under_xla(margin_head_factory):
    embeddings, _, labels = random_problem(batch=16)
    labels[1] = 9
    logits = np.asarray(_compiled_step(margin_head_factory, jit=True)(tf.constant(embeddings),
                                                                      tf.constant(labels))[0])
    assert np.isnan(logits[1]).any()
    assert np.isfinite(np.delete(logits, 1, axis=0)).all()


def test_bad_label_shape_is_a_clear_error(margin_head_factory):
    embeddings, kernel, _ = random_problem()
    head = _built(margin_head_factory, kernel)
    with pytest.raises(ValueError, match="labels"):
        head(embeddings, labels=np.zeros((5, 2, 2), np.int32), training=True)


def test_fractional_float_ids_are_rejected(margin_head_factory):
    embeddings, kernel, labels = random_problem()
    head = _built(margin_head_factory, kernel)
    with pytest.raises(ValueError, match="whole numbers"):
        head(embeddings, labels=labels.astype(np.float32) + 0.5, training=True)


def _extreme_inputs():
    """Zero embeddings, theta exactly 0 and pi, huge and tiny norms, parallel centres.

    1e-20 is zero in float16 and bfloat16 keeps it; 6e4 is near the float16 limit.
    """
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 0], kernel[1, 1], kernel[0, 2] = 1.0, 2.0, -3.0  # centre 2 is at pi from 0
    embeddings = np.array(
        [[0, 0, 0, 0], [5, 0, 0, 0], [-5, 0, 0, 0], [1e4, 0, 0, 0], [6e4, 0, 0, 0], [1e-20, 0, 0, 0],
         [0, 3e3, 0, 0], [1, 1, 1, 1]], np.float32)
    labels = np.array([0, 0, 0, 2, 2, 2, 1, 1], np.int32)
    return embeddings, kernel, labels


def _training_step(head, embeddings, labels):
    """Logits, loss (with the head's added losses) and gradients for x and the centres."""
    x = tf.Variable(embeddings)
    with tf.GradientTape() as tape:
        logits = head(x, labels=labels, training=True)
        loss = km.losses.CrossEntropy()(labels, logits) + sum(head.losses)
    return logits, loss, tape.gradient(loss, [x, head.kernel])


def _assert_finite(logits, loss, gradients):
    assert np.isfinite(np.asarray(logits)).all() and np.isfinite(float(loss))
    for gradient in gradients:
        assert np.isfinite(np.asarray(keras.ops.cast(gradient, "float32"))).all()


def test_no_nan_or_inf_at_the_edges(head_factory):
    embeddings, kernel, labels = _extreme_inputs()
    _assert_finite(*_training_step(_built(head_factory, kernel), embeddings, labels))


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed, magnitude", [(0, 1.0), (3, 3.0)])
def test_mixed_precision_computes_in_float32(head_factory, policy, seed, magnitude):
    embeddings, kernel, labels = random_problem(batch=16, seed=seed)
    embeddings = embeddings * magnitude
    expected, _, _ = _training_step(_built(head_factory, kernel), embeddings, labels)
    expected = np.asarray(expected)
    half_dtype = policy.split("_")[1]
    keras.config.set_dtype_policy(policy)
    head = _built(head_factory, kernel)
    assert head.compute_dtype == "float32"
    logits, loss, gradients = _training_step(head, keras.ops.cast(embeddings, half_dtype), labels)
    assert logits.dtype == tf.float32
    _assert_finite(logits, loss, gradients)
    # the only difference is the rounding of the half-precision embeddings
    rounded = np.asarray(keras.ops.cast(keras.ops.cast(embeddings, half_dtype), "float32"))
    keras.config.set_dtype_policy("float32")
    fresh = _built(head_factory, kernel)  # same annealing state as `head`
    np.testing.assert_allclose(
        logits, fresh(rounded, labels=labels, training=True), rtol=1e-5, atol=1e-4
    )
    np.testing.assert_allclose(logits, expected, rtol=1e-2, atol=1e-2 * np.abs(expected).max())


@pytest.mark.parametrize("policy", POLICIES)
def test_mixed_precision_edges_have_no_nan(head_factory, policy):
    keras.config.set_dtype_policy(policy)
    embeddings, kernel, labels = _extreme_inputs()
    head = _built(head_factory, kernel)
    assert head.compute_dtype == "float32"
    _assert_finite(*_training_step(head, keras.ops.cast(embeddings, policy.split("_")[1]), labels))


def test_class_centers_are_unit_rows(head_factory):
    _, kernel, _ = random_problem(embedding_dim=5)
    head = _built(head_factory, kernel)
    centers = np.asarray(head.class_centers)
    assert centers.shape == (3, 5)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, rtol=1e-6)
    if head.centers_per_class == 1:
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
    embeddings, _, labels = random_problem(batch=16)
    results = [[np.asarray(t) for t in _compiled_step(head_factory, jit)(tf.constant(embeddings),
                                                                         tf.constant(labels))]
               for jit in (False, True)]
    for graph, xla in zip(*results):
        np.testing.assert_allclose(xla, graph, rtol=1e-4, atol=1e-5)


def test_trains_in_margin_model(head_factory):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 16).astype("int32")
    features = (np.eye(3)[labels] * 4 + rng.normal(scale=0.5, size=(48, 3))).astype("float32")
    backbone = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6)])
    model = km.MarginModel(backbone, head_factory())
    model.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(features, labels, batch_size=16, epochs=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    # A direct call (inference logits): `evaluate` would trace a test step for each head.
    predicted = np.argmax(np.asarray(model(features, training=False)), axis=-1)
    assert np.mean(predicted == labels) > 0.9


class _RecordingHead(km.heads.CosineMarginHead):
    """A CosFace-like head that records how the base class calls its hooks."""

    adjusts_non_target_logits = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def on_training_step(self, context):
        self.calls.append(("on_training_step", None, context))

    def target_cosine(self, cosine, context):
        self.calls.append(("target_cosine", tuple(cosine.shape), context))
        return cosine - 0.1

    def non_target_cosine(self, cosine, context):
        self.calls.append(("non_target_cosine", tuple(cosine.shape), context))
        return cosine


@pytest.mark.parametrize("labels_form, sample_rate, cosine_shapes", [
    ("ids", None, [(8, 1), (8, 6)]),
    ("matrix", None, [(8, 6), (8, 6)]),
    ("ids", 0.5, [(8, 1), (8, 8)]),  # sampled: max(ceil(0.5 * 12), 8) = 8 of 12 classes
])
def test_hook_contract_order_arguments_and_context(labels_form, sample_rate, cosine_shapes):
    num_classes = 6 if sample_rate is None else 12
    embeddings, _, labels = random_problem(batch=8, num_classes=num_classes)
    head = _RecordingHead(num_classes, scale=4.0, sample_rate=sample_rate, seed=0)
    given = labels if labels_form == "ids" else np.eye(num_classes, dtype="float32")[labels]
    head(embeddings, labels=given, training=True, return_labels=True)
    assert [name for name, _, _ in head.calls] == ["on_training_step", "target_cosine", "non_target_cosine"]
    assert [shape for _, shape, _ in head.calls[1:]] == cosine_shapes
    contexts = {id(context) for _, _, context in head.calls}
    context = head.calls[0][2]
    assert len(contexts) == 1 and isinstance(context, km.heads.MarginContext)
    # the context keeps the true class ids, also when the logits cover a sample
    if labels_form == "ids":
        np.testing.assert_array_equal(np.asarray(context.class_ids)[:, 0], labels)
    else:
        np.testing.assert_array_equal(np.asarray(context.labels), given)
    head.calls.clear()
    head(embeddings)  # inference: no labels, no hooks
    head(embeddings, labels=given, training=False)
    assert head.calls == []
