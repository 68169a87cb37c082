import math

import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import (
    assert_gradients_match,
    check_against_reference,
    head_with_kernel,
    random_problem,
)


@pytest.mark.parametrize("margin", [0.5, 0.2, 1.2])
@pytest.mark.parametrize("easy_margin", [False, True])
def test_matches_reference(margin, easy_margin):
    check_against_reference(
        lambda: km.heads.ArcFace(3, scale=64.0, margin=margin, easy_margin=easy_margin),
        "arcface",
        {"scale": 64.0, "margin": margin, "easy_margin": easy_margin},
    )


def test_sweep_reaches_the_fallback_branch():
    # theta + m > pi happens for theta > 151.4 degrees at m = 0.5; the sweep goes to 180.
    assert math.degrees(math.pi - 0.5) < 180
    embeddings, kernel, labels = ref.angle_sweep(degrees=np.array([170, 175, 180]))
    head = head_with_kernel(km.heads.ArcFace(3, margin=0.5), kernel)
    target = np.asarray(head(embeddings, labels=labels, training=True))[np.arange(3), labels]
    cos = np.cos(np.radians([170, 175, 180]))
    np.testing.assert_allclose(target, 64 * (cos - 0.5 * math.sin(0.5)), rtol=1e-5)


def test_an_embedding_on_its_centre_has_theta_zero_in_a_long_batch():
    # arccos is infinitely steep at 1, so a cosine an ulp below 1 moves s cos(theta + m)
    # by 0.015. A batch long enough for the vectorised kernels must still normalise
    # x = 2^k * w exactly (TensorFlow's rsqrt on AVX-512 CPUs did not).
    norms = np.resize(np.array([0.25, 0.5, 1.0, 2.0, 4.0, 0.75, 3.0], np.float32), 256)
    embeddings = np.zeros((256, 4), np.float32)
    embeddings[:, 0] = norms
    kernel = np.array([[0.5, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]], np.float32)
    labels = np.zeros(256, np.int32)
    head = head_with_kernel(km.heads.ArcFace(2, scale=64.0, margin=0.5), kernel)
    target = np.asarray(head(embeddings, labels=labels, training=True))[:, 0]
    np.testing.assert_allclose(target, 64 * math.cos(0.5), rtol=1e-6)


def test_target_logit_is_monotone_in_the_angle():
    degrees = np.linspace(0, 180, 721)
    rows = np.stack([np.cos(np.radians(degrees)), np.sin(np.radians(degrees))], 1)
    kernel = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    head = head_with_kernel(km.heads.ArcFace(2, margin=0.5), kernel)
    logits = np.asarray(head(rows.astype(np.float32), labels=np.zeros(721, np.int32), training=True))
    assert np.all(np.diff(logits[:, 0]) <= 1e-4)


def test_gradients_match_finite_differences():
    embeddings, kernel, labels = random_problem(seed=3)
    assert_gradients_match(lambda **kw: km.heads.ArcFace(3, scale=8.0, margin=0.5, **kw), embeddings, kernel, labels)


def test_gradients_with_soft_labels():
    embeddings, kernel, _ = random_problem(seed=4)
    soft = np.random.default_rng(0).dirichlet(np.ones(3), size=5)
    assert_gradients_match(
        lambda **kw: km.heads.ArcFace(3, scale=8.0, margin=0.3, **kw), embeddings, kernel, soft
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"scale": 0.0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"margin": -0.1}, "margin"),
        ({"margin": math.pi / 2 + 0.01}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"easy_margin": "yes"}, "easy_margin"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.ArcFace(10, **kwargs)


def test_config_round_trip():
    head = km.heads.ArcFace(7, scale=32.0, margin=0.3, easy_margin=True, name="arc")
    clone = km.heads.ArcFace.from_config(head.get_config())
    assert clone.get_config() == head.get_config()
