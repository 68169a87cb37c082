"""`margin_scale`: the variable MarginWarmup writes; alpha = 1 is the head as defined."""

import numpy as np
import pytest

import keras_margin as km
from head_testing import head_with_kernel, random_problem


def test_alpha_zero_removes_the_margin_and_one_half_halves_an_additive_one():
    embeddings, kernel, labels = random_problem(batch=6, num_classes=4)
    head = head_with_kernel(km.heads.CosFace(4, scale=10.0, margin=0.4), kernel)
    plain = np.asarray(head(embeddings))
    full = np.asarray(head(embeddings, labels=labels, training=True))
    head.margin_scale.assign(0.5)
    np.testing.assert_allclose(head(embeddings, labels=labels, training=True),
                               plain - 10.0 * 0.2 * np.eye(4)[labels], rtol=1e-5, atol=1e-5)
    head.margin_scale.assign(0.0)
    np.testing.assert_allclose(head(embeddings, labels=labels, training=True), plain, rtol=1e-6, atol=1e-6)
    soft = np.eye(4, dtype="float32")[labels] * 0.7 + 0.075
    np.testing.assert_allclose(head(embeddings, labels=soft, training=True), plain, rtol=1e-6, atol=1e-6)
    head.margin_scale.assign(1.0)
    np.testing.assert_array_equal(head(embeddings, labels=labels, training=True), full)


def test_curricularface_non_target_logits_follow_alpha():
    embeddings, kernel, labels = random_problem(batch=6, num_classes=4, seed=3)
    head = head_with_kernel(km.heads.CurricularFace(4, scale=10.0), kernel)
    head.t.assign(0.7)
    head.margin_scale.assign(0.0)
    np.testing.assert_allclose(head(embeddings, labels=labels, training=True), head(embeddings),
                               rtol=1e-5, atol=1e-5)


def test_alpha_is_a_lambda_for_multiplicative_margins():
    embeddings, kernel, labels = random_problem(batch=6, num_classes=4, seed=1)
    alpha, lambda_ = 0.25, 3.0
    blended = head_with_kernel(km.heads.SphereFace(4, lambda_base=lambda_, lambda_gamma=0.0, lambda_min=0.0), kernel)
    blended.margin_scale.assign(alpha)
    equivalent = head_with_kernel(
        km.heads.SphereFace(4, lambda_base=(1 + lambda_) / alpha - 1, lambda_gamma=0.0, lambda_min=0.0), kernel)
    np.testing.assert_allclose(blended(embeddings, labels=labels, training=True),
                               equivalent(embeddings, labels=labels, training=True), rtol=1e-5, atol=1e-5)


def test_margin_scale_is_saved_with_the_weights_but_not_in_the_config(tmp_path):
    import keras

    head = km.heads.ArcFace(3)
    assert "margin_scale" not in head.get_config()
    model = keras.Sequential([keras.Input((4,)), head])
    head.margin_scale.assign(0.3)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert float(restored.layers[-1].margin_scale.numpy()) == pytest.approx(0.3)
    assert not hasattr(km.heads.NormFace(3), "margin_scale")
