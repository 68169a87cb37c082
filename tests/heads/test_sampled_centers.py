"""Class-centre sampling (Partial FC): `sample_rate` on every cosine-margin head."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import heads_reference as ref
import keras_margin as km
from keras_margin.heads import _sampling

COSINE_HEADS = [
    name for name in km.heads.names() if issubclass(km.heads.get(name), km.heads.CosineMarginHead)
]


def make_head(name, num_classes, **kwargs):
    counts = list(range(3, 3 + num_classes))
    if name == "adacos":
        kwargs.setdefault("dynamic", False)  # the dynamic scale needs every class: no sampling
    return km.heads.create(name, num_classes, class_counts=counts, **kwargs)


def problem(batch=6, dim=5, num_classes=12, seed=0, labels=None):
    rng = np.random.default_rng(seed)
    embeddings = (rng.normal(size=(batch, dim)) * 2.0).astype(np.float32)
    kernel = rng.normal(size=(dim, num_classes)).astype(np.float32)
    if labels is None:
        labels = rng.integers(0, num_classes, size=batch)
    return embeddings, kernel, np.asarray(labels, np.int32)


def sampled_call(head, embeddings, labels):
    """(logits, local labels, sampled classes) of one training call.

    The sampled classes are read back by replaying the head's seed state through the
    sampler, and then checked against what the call returned, so this does not take
    the sampler's word for it.
    """
    state = [np.asarray(v) for v in head.non_trainable_variables]
    seed_state = np.asarray(head._seed_generator.state)
    logits, local = head(embeddings, labels=labels, training=True, return_labels=True)
    after = [np.asarray(v) for v in head.non_trainable_variables]
    for variable, value in zip(head.non_trainable_variables, state):
        variable.assign(value)
    head._seed_generator.state.assign(seed_state)
    count = _sampling.num_sampled(head.sample_rate, head.num_classes, len(labels))
    classes = _sampling.sample_classes(
        tf.constant(labels, tf.int32), head.num_classes, count, head._seed_generator
    )
    for variable, value in zip(head.non_trainable_variables, after):
        variable.assign(value)
    return np.asarray(logits, np.float64), np.asarray(local), np.asarray(classes)


def check_sample(classes, local, labels, num_classes, count):
    assert classes.shape == (count,)
    assert np.all(np.diff(classes) > 0), "sampled classes must be sorted and distinct"
    assert classes.min() >= 0 and classes.max() < num_classes
    assert set(labels.tolist()) <= set(classes.tolist())
    np.testing.assert_array_equal(classes[local], labels)


# ------------------------------------------------------------------ the sampler
def test_num_sampled_is_the_rate_at_least_the_batch_and_at_most_all():
    assert _sampling.num_sampled(0.1, 1000, 64) == 100
    assert _sampling.num_sampled(0.1, 1000, 256) == 256
    assert _sampling.num_sampled(0.1, 100, 256) == 100
    assert _sampling.num_sampled(0.001, 1001, 1) == 2
    assert _sampling.num_sampled(1.0, 50, 4) == 50


def test_negatives_are_uniform_without_replacement():
    num_classes, count, draws = 20, 6, 1500
    ids = tf.constant([3, 3, 11], tf.int32)
    seed = keras.random.SeedGenerator(7)
    sample = tf.function(lambda: _sampling.sample_classes(ids, num_classes, count, seed))
    hits = np.zeros(num_classes)
    for _ in range(draws):
        classes = sample().numpy()
        assert len(set(classes)) == count and {3, 11} <= set(classes)
        hits[classes] += 1
    negatives = np.delete(hits, [3, 11]) / draws
    p = (count - 2) / (num_classes - 2)
    sigma = math.sqrt(p * (1 - p) / draws)
    assert np.all(np.abs(negatives - p) < 5 * sigma), negatives


def test_every_class_is_kept_when_the_batch_fills_the_sample():
    ids = tf.constant(np.arange(8, dtype=np.int32)[::-1])
    classes = _sampling.sample_classes(ids, 40, 8, 0).numpy()
    np.testing.assert_array_equal(classes, np.arange(8))


# ---------------------------------------------------- against the float64 reference
@pytest.mark.parametrize("name,params", [
    ("cosface", {"scale": 16.0, "margin": 0.35}),
    ("arcface", {"scale": 16.0, "margin": 0.5}),
])
def test_sampled_logits_are_the_reference_restricted_to_the_sample(name, params):
    embeddings, kernel, labels = problem(batch=7, num_classes=30, labels=[4, 4, 29, 0, 17, 4, 8])
    head = km.heads.get(name)(30, sample_rate=0.3, seed=5, **params)
    head.build((None, kernel.shape[0]))
    head.kernel.assign(kernel.T)  # a sampling head stores its centres as rows
    logits, local, classes = sampled_call(head, embeddings, labels)
    check_sample(classes, local, labels, 30, count=9)
    expected = ref.logits(name, embeddings, kernel, labels, **params)[:, classes]
    ref.assert_close(logits, expected)
    # inference and export see every class
    ref.assert_close(head(embeddings), ref.logits(name, embeddings, kernel, None, **params))


def test_sub_centers_are_sampled_by_class():
    embeddings, kernel, labels = problem(batch=5, num_classes=10 * 3, labels=[9, 2, 2, 0, 6])
    head = km.heads.SubCenterArcFace(10, scale=16.0, sub_centers=3, sample_rate=0.5, seed=1)
    head.build((None, kernel.shape[0]))
    head.kernel.assign(kernel.T)
    logits, local, classes = sampled_call(head, embeddings, labels)
    check_sample(classes, local, labels, 10, count=5)
    expected = ref.subcenter_arcface_logits(embeddings, kernel, 3, labels, scale=16.0)[:, classes]
    ref.assert_close(logits, expected)
    # the running counts index the true classes, not the positions in the sample
    counts = np.asarray(head.assignment_counts)
    np.testing.assert_array_equal(counts.sum(axis=1), np.bincount(labels, minlength=10))


def test_curricular_face_adjusts_the_sampled_negatives_as_the_full_head():
    embeddings, kernel, labels = problem(batch=6, num_classes=16, seed=3)
    head = km.heads.CurricularFace(16, scale=16.0, sample_rate=0.5, seed=2)
    head.build((None, kernel.shape[0]))
    head.kernel.assign(kernel.T)
    head.t.assign(0.3)
    logits, local, classes = sampled_call(head, embeddings, labels)
    check_sample(classes, local, labels, 16, count=8)
    expected, t_after = ref.curricularface_logits(embeddings, kernel, labels, 16.0, 0.5, 0.3)
    ref.assert_close(logits, expected[:, classes])
    np.testing.assert_allclose(float(head.t), t_after, rtol=1e-5)


@pytest.mark.parametrize("name", COSINE_HEADS)
def test_every_cosine_head_samples_with_its_own_margin(name):
    """Sampled training logits = the same head's full training logits, sampled columns."""
    num_classes = 24
    embeddings, kernel, labels = problem(batch=6, num_classes=num_classes, seed=4)
    full = make_head(name, num_classes, seed=9) if name == "elasticface" else make_head(name, num_classes)
    sampled = make_head(name, num_classes, sample_rate=0.25, seed=9)
    columns = num_classes * full.centers_per_class
    rng = np.random.default_rng(1)
    kernel = rng.normal(size=(kernel.shape[0], columns)).astype(np.float32)
    full.build((None, kernel.shape[0]))
    sampled.build((None, kernel.shape[0]))
    full.kernel.assign(kernel)
    sampled.kernel.assign(kernel.T)
    logits, local, classes = sampled_call(sampled, embeddings, labels)
    check_sample(classes, local, labels, num_classes, count=6)
    expected = np.asarray(full(embeddings, labels=labels, training=True), np.float64)
    ref.assert_close(logits, expected[:, classes])
    for a, b in zip(full.non_trainable_weights, sampled.non_trainable_weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(sampled(embeddings)), np.asarray(full(embeddings)), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------- gradients
@pytest.mark.parametrize("name", ["arcface", "subcenterarcface"])
def test_gradients_match_finite_differences_and_reach_only_sampled_centres(name):
    num_classes, dim = 8, 3
    head = km.heads.get(name)(num_classes, scale=4.0, sample_rate=0.5, seed=3, dtype="float64")
    columns = num_classes * head.centers_per_class
    rng = np.random.default_rng(2)
    x0 = rng.normal(size=(3, dim))
    w0 = rng.normal(size=(columns, dim))
    labels = np.array([1, 6, 1], np.int32)
    head.build((None, dim))
    state = [np.asarray(v) for v in head.non_trainable_variables]
    weights = rng.normal(size=(3, 4))

    def evaluate(x):
        for variable, value in zip(head.non_trainable_variables, state):
            variable.assign(value)
        logits, _ = head(x, labels=labels, training=True, return_labels=True)
        return tf.reduce_sum(logits * weights)

    head.kernel.assign(w0)
    x = tf.Variable(x0)
    with tf.GradientTape() as tape:
        value = evaluate(x)
    grad_x, grad_w = tape.gradient(value, [x, head.kernel.value])
    assert isinstance(grad_w, tf.IndexedSlices)
    sampled_rows = set(np.asarray(grad_w.indices).tolist())
    assert len(sampled_rows) == 4 * head.centers_per_class
    grad_w = np.asarray(tf.convert_to_tensor(grad_w))

    def central(array, function, step=1e-6):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += step
            minus[index] -= step
            grad[index] = (function(plus) - function(minus)) / (2 * step)
        return grad

    def with_kernel(w):
        head.kernel.assign(w)
        return float(evaluate(tf.constant(x0)))

    numeric_w = central(w0, with_kernel)
    head.kernel.assign(w0)
    numeric_x = central(x0, lambda v: float(evaluate(tf.constant(v))))
    np.testing.assert_allclose(np.asarray(grad_x), numeric_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grad_w, numeric_w, rtol=1e-5, atol=1e-6)
    untouched = sorted(set(range(columns)) - sampled_rows)
    assert np.all(numeric_w[untouched] == 0.0)


def test_sgd_updates_only_the_sampled_centres():
    head = km.heads.CosFace(50, scale=8.0, sample_rate=0.1, seed=0)
    head.build((None, 4))
    before = np.asarray(head.kernel)
    optimizer = keras.optimizers.SGD(0.5)
    x = tf.constant(np.random.default_rng(0).normal(size=(3, 4)), tf.float32)
    labels = tf.constant([7, 7, 42])
    with tf.GradientTape() as tape:
        logits, local = head(x, labels=labels, training=True, return_labels=True)
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(local, logits))
    optimizer.apply_gradients(zip(tape.gradient(loss, head.trainable_variables), head.trainable_variables))
    changed = np.flatnonzero(np.any(np.asarray(head.kernel) != before, axis=1))
    assert len(changed) == 5 and {7, 42} <= set(changed.tolist())


# -------------------------------------------------------- compiled and dynamic shapes
@pytest.mark.parametrize("jit_compile", [False, True])
def test_sampling_compiles_with_unknown_or_static_batch(jit_compile):
    head = km.heads.ArcFace(40, sample_rate=0.25, seed=0)
    head.build((None, 4))
    signature = [tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None,), tf.int32)]

    @tf.function(jit_compile=jit_compile, input_signature=signature)
    def step(x, y):
        return head(x, labels=y, training=True, return_inference_logits=True, return_labels=True)

    for batch in (3, 17):
        x = np.random.default_rng(batch).normal(size=(batch, 4)).astype(np.float32)
        y = np.arange(batch, dtype=np.int32) * 2
        logits, inference, local = step(x, y)
        assert logits.shape == inference.shape == (batch, max(10, batch))
        # the remapped label points at the same class's logit as the original id
        at_local = np.take_along_axis(np.asarray(inference), np.asarray(local)[:, None], 1)
        at_label = np.take_along_axis(np.asarray(head(x)), y[:, None], 1)
        np.testing.assert_allclose(at_local, at_label, rtol=1e-5, atol=1e-5)
        assert np.all(np.asarray(logits) <= np.asarray(inference) + 1e-5)  # margin lowers targets only


# ------------------------------------------------------------------------ errors
def test_constructor_errors_name_the_argument():
    with pytest.raises(ValueError, match="sample_rate"):
        km.heads.ArcFace(10, sample_rate=0.0)
    with pytest.raises(ValueError, match="sample_rate"):
        km.heads.CosFace(10, sample_rate=1.5)
    with pytest.raises(ValueError, match="seed"):
        km.heads.CosFace(10, sample_rate=0.5, seed=-1)


def test_training_call_must_ask_for_the_labels():
    head = km.heads.ArcFace(10, sample_rate=0.5)
    with pytest.raises(ValueError, match="return_labels=True"):
        head(np.ones((2, 3), np.float32), labels=np.array([0, 1]), training=True)


def test_label_matrices_are_refused_in_training():
    head = km.heads.ArcFace(10, sample_rate=0.5)
    soft = np.full((2, 10), 0.1, np.float32)
    with pytest.raises(ValueError, match="class-id"):
        head(np.ones((2, 3), np.float32), labels=soft, training=True, return_labels=True)
    # outside training a label matrix is ignored, as for every head
    assert head(np.ones((2, 3), np.float32), labels=soft, training=False).shape == (2, 10)


# ------------------------------------------------------- model, saving and export
def test_margin_model_trains_on_samples_and_predicts_every_class(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 8))
    labels = rng.integers(0, 30, size=240).astype(np.int32)
    x = (centres[labels] + 0.1 * rng.normal(size=(240, 8))).astype(np.float32)
    backbone = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8)])
    model = km.MarginModel(backbone, km.heads.CosFace(30, scale=16.0, margin=0.1, sample_rate=0.2, seed=0))
    model.compile(optimizer=keras.optimizers.Adam(0.02), metrics=["accuracy"])
    history = model.fit(x, labels, batch_size=16, epochs=6, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (240, 30)
    assert np.mean(probabilities.argmax(-1) == labels) > 0.9

    path = str(tmp_path / "sampled.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.head.sample_rate == 0.2 and loaded.head.seed == 0
    assert tuple(loaded.head.kernel.shape) == (30, 8)
    np.testing.assert_allclose(loaded.predict(x[:5], verbose=0), probabilities[:5], rtol=1e-5, atol=1e-6)
    assert km.heads.CosFace.from_config(model.head.get_config()).get_config() == model.head.get_config()
