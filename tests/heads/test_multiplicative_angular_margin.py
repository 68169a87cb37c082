"""The shared psi function and the lambda schedule of L-Softmax and SphereFace."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import heads_reference as ref
import keras_margin as km
from head_testing import random_problem


@pytest.mark.parametrize("margin", [1, 2, 3, 4, 5])
def test_psi_matches_the_paper_at_every_k(margin):
    theta = np.linspace(0.0, math.pi, 2001)
    head = km.heads.SphereFace(3, margin=margin)
    actual = np.asarray(head.psi(np.cos(theta).astype(np.float32)))
    ks = np.floor(margin * theta / math.pi)
    assert set(ks.astype(int)) == set(range(margin + 1))  # every k is reached
    np.testing.assert_allclose(actual, ref.psi(theta, margin), rtol=1e-5, atol=5e-5 * margin**2)


@pytest.mark.parametrize("head_class", [km.heads.SphereFace, km.heads.LargeMarginSoftmax])
def test_lambda_follows_the_schedule_over_training_steps(head_class):
    head = head_class(3)
    embeddings, kernel, labels = random_problem()
    head.build((None, 4))
    step = tf.function(lambda x, y: head(x, labels=y, training=True))
    for iteration in range(1, 6):
        step(embeddings, labels)
        assert int(head.iteration.numpy()) == iteration
        expected = ref.annealed_lambda(iteration, head.lambda_base, head.lambda_gamma, head.lambda_power, head.lambda_min)
        np.testing.assert_allclose(float(head.lambda_), expected, rtol=1e-5)
    # inference calls do not advance the schedule
    head(embeddings)
    head(embeddings, labels=labels, training=False)
    assert int(head.iteration.numpy()) == 5


def test_sphereface_lambda_reaches_its_floor():
    head = km.heads.SphereFace(3)
    head.build((None, 4))
    head.iteration.assign(10_000)
    assert float(head.lambda_) == pytest.approx(5.0)


def test_lambda_base_zero_disables_lambda():
    head = km.heads.SphereFace(3, lambda_base=0.0)
    head.build((None, 4))
    assert float(head.lambda_) == 0.0


def test_iteration_is_saved_with_the_model(tmp_path):
    head = km.heads.LargeMarginSoftmax(3)
    inputs = keras.Input((4,))
    model = keras.Model(inputs, head(inputs))
    head.iteration.assign(1234)
    path = str(tmp_path / "head.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert int(loaded.layers[-1].iteration.numpy()) == 1234
    np.testing.assert_allclose(float(loaded.layers[-1].lambda_), float(head.lambda_))
