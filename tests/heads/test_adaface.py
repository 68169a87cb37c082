import math

import keras
import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, head_with_kernel, numerical_gradients, random_problem


def _angles_and_norms():
    """Targets at 0..180 degrees times norms from below 0.001 to above 100.

    With the batch's own statistics (t_alpha = 1) and h = 2 the scaler is clipped at
    both -1 and +1 and lies strictly between for some rows; theta - m * scaler falls
    below 1e-3 (theta = 0, scaler > 0) and above pi - 1e-3 (theta = pi, scaler < 0).
    """
    kernel = np.zeros((4, 3), np.float32)
    kernel[0, 0], kernel[2, 1], kernel[3, 2] = 1.0, 2.0, 0.5
    rows, labels = [], []
    for i, degree in enumerate([0, 3, 30, 90, 150, 177, 180]):
        for j, norm in enumerate([1e-4, 0.3, 2.0, 8.0, 40.0, 500.0]):
            label = (i + j) % 3
            x = np.zeros(4)
            x[[0, 2, 3][label]] = norm * math.cos(math.radians(degree))
            x[1] = norm * math.sin(math.radians(degree))
            rows.append(x)
            labels.append(label)
    return np.asarray(rows, np.float32), kernel, np.asarray(labels, np.int32)


def _expected(head, embeddings, kernel, labels, mean=20.0, std=100.0, t_alpha=0.01):
    mean, std = ref.adaface_statistics(np.linalg.norm(embeddings.astype(np.float64), axis=1), mean, std, t_alpha)
    logits = ref.adaface_logits(embeddings, kernel, labels, head.scale, head.margin, head.h, mean, std)
    return logits, mean, std


def test_matches_reference_with_every_clip_reached():
    embeddings, kernel, labels = _angles_and_norms()
    head = head_with_kernel(km.heads.AdaFace(3, scale=64.0, margin=0.4, h=2.0, t_alpha=1.0), kernel)
    logits = head(embeddings, labels=labels, training=True)
    expected, mean, std = _expected(head, embeddings, kernel, labels, t_alpha=1.0)
    ref.assert_close(logits, expected)
    assert float(head.batch_mean) == pytest.approx(mean, rel=1e-6)
    assert float(head.batch_std) == pytest.approx(std, rel=1e-6)
    # the inputs reach every branch
    norms = np.clip(np.linalg.norm(embeddings, axis=1), 0.001, 100.0)
    raw_norms = np.linalg.norm(embeddings, axis=1)
    assert raw_norms.min() < 0.001 and raw_norms.max() > 100
    scaler = (norms - mean) / (std + 1e-3) * 2.0
    assert (scaler < -1).any() and (scaler > 1).any() and (np.abs(scaler) < 1).any()
    cos, _, _ = ref.cosines(embeddings, kernel)
    theta = np.arccos(np.clip(cos[np.arange(len(labels)), labels], -1 + 1e-3, 1 - 1e-3))
    shifted = theta - 0.4 * np.clip(scaler, -1, 1)
    assert (shifted < 1e-3).any() and (shifted > math.pi - 1e-3).any()


def test_ema_over_several_steps_and_soft_labels():
    embeddings, kernel, _ = random_problem(batch=12, embedding_dim=6, num_classes=3, seed=5)
    embeddings = embeddings * np.linspace(0.5, 30, 12)[:, None].astype(np.float32)
    soft = np.random.default_rng(5).dirichlet(np.ones(3), size=12).astype(np.float32)
    head = head_with_kernel(km.heads.AdaFace(3, t_alpha=0.3), kernel)
    mean, std = 20.0, 100.0
    for step in range(3):
        batch = embeddings[step * 4:(step + 1) * 4]
        logits = head(batch, labels=soft[step * 4:(step + 1) * 4], training=True)
        expected, mean, std = _expected(head, batch, kernel, soft[step * 4:(step + 1) * 4], mean, std, 0.3)
        ref.assert_close(logits, expected)
    assert float(head.batch_mean) == pytest.approx(mean, rel=1e-6)


def test_statistics_are_frozen_at_inference_and_saved(tmp_path):
    embeddings, kernel, labels = random_problem(batch=8, seed=6)
    head = head_with_kernel(km.heads.AdaFace(3, t_alpha=0.5), kernel)
    head(embeddings * 10, labels=labels, training=True)
    state = (float(head.batch_mean), float(head.batch_std))
    assert state != (20.0, 100.0)
    head(embeddings, labels=labels, training=False)
    head(embeddings, labels=None, training=True)
    assert (float(head.batch_mean), float(head.batch_std)) == state
    np.testing.assert_allclose(head(embeddings), 64.0 * ref.cosines(embeddings, kernel)[0], rtol=1e-5, atol=1e-4)

    inputs = keras.Input((4,))
    model = keras.Model(inputs, head(inputs))
    model.save(tmp_path / "adaface.keras")
    restored = keras.saving.load_model(tmp_path / "adaface.keras").layers[-1]
    assert (float(restored.batch_mean), float(restored.batch_std)) == pytest.approx(state)
    np.testing.assert_allclose(
        restored(embeddings, labels=labels, training=True), head(embeddings, labels=labels, training=True),
        rtol=1e-5,
    )


def test_no_gradient_through_the_norm():
    # Rescaling x leaves every cosine unchanged; only the (detached) norm would see it,
    # so the logits' derivative along x itself must be zero.
    embeddings, kernel, labels = random_problem(batch=6, seed=7)
    head = head_with_kernel(km.heads.AdaFace(3, t_alpha=1.0, h=1.0), kernel)
    import tensorflow as tf

    x = tf.Variable(embeddings)
    with tf.GradientTape() as tape:
        logits = head(x, labels=labels, training=True)
    jacobian = tape.jacobian(logits, x)  # (B, C, B, D)
    radial = np.einsum("bcbd,bd->bc", np.asarray(jacobian), embeddings)
    np.testing.assert_allclose(radial, 0.0, atol=1e-4)


def test_gradients_match_finite_differences_where_the_scaler_is_saturated():
    # With every scaler clipped at -1 or +1 the margin does not depend on ||x||
    # locally, so the detached norm and finite differences agree on x as well.
    embeddings, kernel, labels = random_problem(seed=8)
    embeddings = embeddings * np.array([[0.5], [40.0], [2.0], [60.0], [1.0]], np.float32)
    assert_gradients_match(
        lambda **kw: km.heads.AdaFace(3, scale=8.0, t_alpha=1e-9, h=1000.0, **kw), embeddings, kernel, labels
    )


def test_kernel_gradients_match_finite_differences_between_the_clips():
    embeddings, kernel, labels = random_problem(seed=9)
    (_, analytic), (_, numeric) = numerical_gradients(
        lambda **kw: km.heads.AdaFace(3, scale=8.0, t_alpha=0.5, h=0.333, **kw), embeddings * 5, kernel, labels
    )
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())


@pytest.mark.parametrize(
    "kwargs, name",
    [({"margin": -0.1}, "margin"), ({"margin": 2.0}, "margin"), ({"h": 0.0}, "h"),
     ({"t_alpha": 0.0}, "t_alpha"), ({"t_alpha": 1.5}, "t_alpha"), ({"scale": -1}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.AdaFace(10, **kwargs)


def test_config_round_trip():
    head = km.heads.AdaFace(7, scale=32.0, margin=0.3, h=0.5, t_alpha=0.1, name="ada")
    clone = km.heads.AdaFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
