import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, random_problem


def test_matches_reference_on_the_sweep_over_several_steps():
    embeddings, kernel, labels = ref.angle_sweep()
    head = head_with_kernel(km.heads.CurricularFace(3, scale=64.0, margin=0.5), kernel)
    t = 0.0
    for _ in range(3):  # t grows from 0, so hard negatives change weight step by step
        logits = head(embeddings, labels=labels, training=True)
        expected, t = ref.curricularface_logits(embeddings, kernel, labels, 64.0, 0.5, t)
        ref.assert_close(logits, expected)
        assert float(head.t) == pytest.approx(t, rel=1e-5, abs=1e-7)
    # the sweep reaches the fallback, hard negatives and easy negatives
    cos, _, _ = ref.cosines(embeddings, kernel)
    target = cos[np.arange(len(labels)), labels]
    assert (np.arccos(target) + 0.5 > math.pi).any()
    threshold = np.cos(np.arccos(target) + 0.5)[:, None]
    negative = np.ones_like(cos, bool)
    negative[np.arange(len(labels)), labels] = False
    assert (negative & (cos > threshold)).any() and (negative & (cos <= threshold)).any()


def test_hard_negatives_are_reweighted_and_easy_ones_kept():
    embeddings, kernel, labels = random_problem(batch=32, seed=11)
    head = head_with_kernel(km.heads.CurricularFace(3, scale=1.0, margin=0.5), kernel)
    head.t.assign(0.7)
    logits = np.asarray(head(embeddings, labels=labels, training=True))
    t = float(head.t)
    cos, _, _ = ref.cosines(embeddings, kernel)
    target = cos[np.arange(32), labels]
    hard = cos > np.cos(np.arccos(target) + 0.5)[:, None]
    hard[np.arange(32), labels] = False
    easy = ~hard
    easy[np.arange(32), labels] = False
    assert hard.any() and easy.any()
    np.testing.assert_allclose(logits[hard], (cos * (t + cos))[hard], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits[easy], cos[easy], rtol=1e-5, atol=1e-6)


def test_soft_labels_match_reference():
    embeddings, kernel, _ = random_problem(batch=16, embedding_dim=6, seed=1)
    soft = np.random.default_rng(1).dirichlet(np.ones(3) * 0.5, size=16).astype(np.float32)
    head = head_with_kernel(km.heads.CurricularFace(3, scale=16.0, margin=0.4), kernel)
    head.t.assign(0.3)
    expected, t = ref.curricularface_logits(embeddings, kernel, soft, 16.0, 0.4, 0.3)
    ref.assert_close(head(embeddings, labels=soft, training=True), expected)
    assert float(head.t) == pytest.approx(t, rel=1e-5)


def test_t_is_frozen_at_inference_and_saved(tmp_path):
    embeddings, kernel, labels = random_problem(batch=8)
    head = head_with_kernel(km.heads.CurricularFace(3), kernel)
    head(embeddings, labels=labels, training=True)
    t = float(head.t)
    assert t != 0.0
    plain = 64.0 * ref.cosines(embeddings, kernel)[0]
    ref.assert_close(head(embeddings, labels=labels, training=False), plain)
    ref.assert_close(head(embeddings), plain)
    assert float(head.t) == t
    inputs = keras.Input((4,))
    model = keras.Model(inputs, head(inputs))
    model.save(tmp_path / "curricular.keras")
    restored = keras.saving.load_model(tmp_path / "curricular.keras").layers[-1]
    assert float(restored.t) == pytest.approx(t)


def test_return_inference_logits_are_the_plain_ones():
    embeddings, kernel, labels = random_problem(batch=8)
    head = head_with_kernel(km.heads.CurricularFace(3), kernel)
    logits, inference = head(embeddings, labels=labels, training=True, return_inference_logits=True)
    ref.assert_close(inference, 64.0 * ref.cosines(embeddings, kernel)[0])
    assert not np.allclose(logits, inference)


def _head_with_fixed_t(t, **kwargs):
    # t follows the batch's target cosines without gradient; finite differences would
    # see that dependence, so the EMA step is replaced by a constant t for this check.
    head = km.heads.CurricularFace(3, scale=8.0, margin=0.5, **kwargs)
    head.on_training_step = lambda context: head.t.assign(t)
    return head


@pytest.mark.parametrize("soft", [False, True])
def test_gradients_match_finite_differences(soft):
    embeddings, kernel, labels = random_problem(batch=8, seed=12)
    if soft:
        labels = np.random.default_rng(0).dirichlet(np.ones(3), size=8)
    assert_gradients_match(lambda **kw: _head_with_fixed_t(0.4, **kw), embeddings, kernel, labels)


def test_xla_matches_graph():
    embeddings, kernel, labels = random_problem(batch=16)
    results = []
    for jit in (False, True):
        head = head_with_kernel(km.heads.CurricularFace(3), kernel)
        step = tf.function(lambda x, y: head(x, labels=y, training=True), jit_compile=jit)
        results.append(np.asarray(step(embeddings, labels)))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("kwargs, name", [({"margin": -0.1}, "margin"), ({"margin": 1.6}, "margin"),
                                          ({"scale": 0}, "scale")])
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.CurricularFace(10, **kwargs)


def test_config_round_trip():
    head = km.heads.CurricularFace(7, scale=32.0, margin=0.3, name="curricular")
    clone = km.heads.CurricularFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
