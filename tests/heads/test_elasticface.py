import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem


def _drawn_margins(batch, **kwargs):
    """The margins a head with these arguments draws first, before any ElasticFace+ sort."""
    twin = km.heads.ElasticFace(3, **{**kwargs, "plus": False})
    return np.asarray(twin.draw_margins(np.zeros((batch, 1), np.float32)))[:, 0]


@pytest.mark.parametrize("kind, margin", [("arc", 0.5), ("arc", 1.5), ("cos", 0.35)])
@pytest.mark.parametrize("plus", [False, True])
def test_matches_reference_on_the_sweep(kind, margin, plus):
    kwargs = dict(margin=margin, margin_std=0.1, kind=kind, plus=plus, seed=3)
    embeddings, kernel, labels = ref.angle_sweep()
    head = head_with_kernel(km.heads.ElasticFace(3, scale=64.0, **kwargs), kernel)
    logits = head(embeddings, labels=labels, training=True)
    drawn = _drawn_margins(len(labels), **kwargs)
    assert drawn.std() > 0.05  # really random
    target = ref.cosines(embeddings, kernel)[0][np.arange(len(labels)), labels]
    margins = ref.elastic_assignment(drawn, target) if plus else drawn
    ref.assert_close(logits, ref.elasticface_logits(embeddings, kernel, labels, 64.0, margins, kind))
    if kind == "arc":
        assert (np.arccos(target) + margins > math.pi).any()  # the fallback


def test_plus_gives_the_largest_margin_to_the_farthest_sample():
    embeddings, kernel, labels = ref.angle_sweep(degrees=np.array([10, 80, 40, 150, 5, 120]))
    head = head_with_kernel(km.heads.ElasticFace(3, kind="cos", margin_std=0.2, plus=True, seed=1, scale=1.0), kernel)
    logits = np.asarray(head(embeddings, labels=labels, training=True))
    target = ref.cosines(embeddings, kernel)[0][np.arange(6), labels]
    margins = target - logits[np.arange(6), labels]
    # ordering the samples by angle orders their margins the same way
    np.testing.assert_array_equal(np.argsort(margins), np.argsort(-target))


def test_soft_labels_match_reference():
    embeddings, kernel, _ = random_problem(batch=16, embedding_dim=6, seed=1)
    soft = np.random.default_rng(1).dirichlet(np.ones(3) * 0.5, size=16).astype(np.float32)
    kwargs = dict(margin=0.4, margin_std=0.1, kind="arc", plus=True, seed=7)
    head = head_with_kernel(km.heads.ElasticFace(3, scale=16.0, **kwargs), kernel)
    logits = head(embeddings, labels=soft, training=True)
    cos = ref.cosines(embeddings, kernel)[0]
    target = (soft * cos).sum(1) / soft.sum(1)
    margins = ref.elastic_assignment(_drawn_margins(16, **kwargs), target)
    ref.assert_close(logits, ref.elasticface_logits(embeddings, kernel, soft, 16.0, margins, "arc"))


def test_zero_std_is_arcface_or_cosface():
    embeddings, kernel, labels = random_problem(batch=8)
    for kind, plain in (("arc", km.heads.ArcFace(3, margin=0.5)), ("cos", km.heads.CosFace(3, margin=0.5))):
        elastic = head_with_kernel(km.heads.ElasticFace(3, margin=0.5, margin_std=0.0, kind=kind), kernel)
        plain = head_with_kernel(plain, kernel)
        np.testing.assert_allclose(elastic(embeddings, labels=labels, training=True),
                                   plain(embeddings, labels=labels, training=True), rtol=1e-5, atol=1e-4)


def test_draws_change_every_step_repeat_with_the_seed_and_stop_at_inference(tmp_path):
    embeddings, kernel, labels = random_problem(batch=8)
    head = head_with_kernel(km.heads.ElasticFace(3, margin_std=0.1, seed=5), kernel)
    twin = head_with_kernel(km.heads.ElasticFace(3, margin_std=0.1, seed=5), kernel)
    first = np.asarray(head(embeddings, labels=labels, training=True))
    second = np.asarray(head(embeddings, labels=labels, training=True))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(twin(embeddings, labels=labels, training=True), first)
    state = np.asarray(head.seed_generator.state)
    ref.assert_close(head(embeddings, labels=labels, training=False), 64 * ref.cosines(embeddings, kernel)[0])
    np.testing.assert_array_equal(np.asarray(head.seed_generator.state), state)

    inputs = keras.Input((4,))
    model = keras.Model(inputs, head(inputs))
    model.save(tmp_path / "elastic.keras")
    restored = keras.saving.load_model(tmp_path / "elastic.keras").layers[-1]
    # Keras does not save seed-generator state (nor for its own random layers): a
    # reloaded head restarts the sequence of its seed.
    fresh = head_with_kernel(km.heads.ElasticFace(3, margin_std=0.1, seed=5), kernel)
    np.testing.assert_allclose(restored(embeddings, labels=labels, training=True), first, rtol=1e-6)
    np.testing.assert_allclose(restored(embeddings), fresh(embeddings), rtol=1e-6)


@pytest.mark.parametrize("kind", ["arc", "cos"])
@pytest.mark.parametrize("plus", [False, True])
def test_gradients_match_finite_differences(kind, plus):
    # The helper restores the seed state before each evaluation: every one draws the
    # same margins.
    embeddings, kernel, labels = random_problem(seed=3)
    assert_gradients_match(
        lambda **kw: km.heads.ElasticFace(3, scale=8.0, margin=0.4, margin_std=0.1, kind=kind, plus=plus,
                                          seed=2, **kw),
        embeddings, kernel, labels,
    )


def test_runs_under_xla():
    embeddings, kernel, labels = random_problem(batch=16)
    head = head_with_kernel(km.heads.ElasticFace(3, plus=True, seed=0), kernel)
    step = tf.function(lambda x, y: head(x, labels=y, training=True), jit_compile=True)
    assert np.isfinite(np.asarray(step(embeddings, labels))).all()


@pytest.mark.parametrize(
    "kwargs, name",
    [({"kind": "sphere"}, "kind"), ({"margin": 1.7}, "margin"), ({"margin": 2.0, "kind": "cos"}, "margin"),
     ({"margin_std": -0.1}, "margin_std"), ({"plus": 1}, "plus"), ({"seed": -1}, "seed"),
     ({"seed": 1.5}, "seed"), ({"scale": 0}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.ElasticFace(10, **kwargs)


def test_config_round_trip():
    head = km.heads.ElasticFace(7, scale=32.0, margin=0.3, margin_std=0.02, kind="cos", plus=True, seed=4,
                                name="elastic")
    clone = km.heads.ElasticFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
