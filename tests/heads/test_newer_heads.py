"""What the newer heads share with the others through `MarginHead`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from head_testing import head_with_kernel, random_problem

NEWER = {
    "subcenterarcface": lambda **kw: km.heads.SubCenterArcFace(3, sub_centers=2, **kw),
    "adaface": lambda **kw: km.heads.AdaFace(3, **kw),
    "magface": lambda **kw: km.heads.MagFace(3, lower_magnitude=0.5, upper_magnitude=8.0, **kw),
    "curricularface": lambda **kw: km.heads.CurricularFace(3, **kw),
    "elasticface": lambda **kw: km.heads.ElasticFace(3, plus=True, seed=0, **kw),
    "ldam": lambda **kw: km.heads.LDAM([50, 10, 3], **kw),
}


@pytest.fixture(params=sorted(NEWER))
def factory(request):
    return NEWER[request.param]


def _built(factory, kernel):
    """The head with these centres; K sub-centres per class are perturbed copies (no ties)."""
    head = factory()
    k = head.centers_per_class
    perturbation = np.random.default_rng(9).normal(scale=0.3, size=(kernel.shape[0], kernel.shape[1] * k))
    if k == 1:
        perturbation[:] = 0.0
    return head_with_kernel(head, (np.repeat(kernel, k, axis=1) + perturbation).astype(np.float32))


def test_label_formats_agree(factory):
    embeddings, kernel, labels = random_problem(batch=8)
    results = []
    for form in (labels, labels[:, None], labels.astype(np.float32), np.eye(3, dtype=np.float32)[labels]):
        results.append(np.asarray(_built(factory, kernel)(embeddings, labels=form, training=True)))
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], rtol=1e-5, atol=1e-4)


def test_margin_lowers_the_target_logit(factory):
    embeddings, kernel, labels = random_problem(batch=32)
    head = _built(factory, kernel)
    trained = np.asarray(head(embeddings, labels=labels, training=True))
    plain = np.asarray(head(embeddings))
    rows = np.arange(32)
    assert np.all(trained[rows, labels] <= plain[rows, labels] + 1e-4)
    assert np.any(trained[rows, labels] < plain[rows, labels] - 1e-3)


@pytest.mark.parametrize("bad", [-1, 3])
def test_out_of_range_ids_raise(factory, bad):
    embeddings, kernel, labels = random_problem()
    labels[2] = bad
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        _built(factory, kernel)(embeddings, labels=labels, training=True)


def test_out_of_range_ids_poison_the_row_under_xla(factory):
    embeddings, kernel, labels = random_problem()
    labels[1] = 9
    head = _built(factory, kernel)
    logits = np.asarray(tf.function(lambda x, y: head(x, labels=y, training=True), jit_compile=True)(
        embeddings, labels))
    assert np.isnan(logits[1]).any()
    assert np.isfinite(np.delete(logits, 1, axis=0)).all()


def test_xla_step_matches_the_graph_step(factory):
    embeddings, kernel, labels = random_problem(batch=16)
    results = []
    for jit in (False, True):
        head = _built(factory, kernel)
        if isinstance(head, km.heads.ElasticFace):
            # XLA and the CPU kernels draw different numbers from the same seed; the
            # margins are what differs, so this compares the rest with sigma = 0.
            head = _built(lambda: km.heads.ElasticFace(3, plus=True, margin_std=0.0), kernel)

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


def test_class_centers_are_unit_rows(factory):
    _, kernel, _ = random_problem(embedding_dim=5)
    centers = np.asarray(_built(factory, kernel).class_centers)
    assert centers.shape == (3, 5)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 1.0, rtol=1e-6)


def test_serialization_round_trip(factory):
    head = factory(name="under_test")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    assert type(restored) is type(head) and restored.get_config() == head.get_config()


def test_trains_in_margin_model(factory):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 16).astype("int32")
    features = (np.eye(3)[labels] * 4 + rng.normal(scale=0.5, size=(48, 3))).astype("float32")
    backbone = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6)])
    model = km.MarginModel(backbone, factory())
    model.compile(optimizer=keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(features, labels, batch_size=16, epochs=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.evaluate(features, labels, verbose=0)[1] > 0.9
