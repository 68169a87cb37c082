import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, random_problem


def _lambda_of(head):
    return ref.annealed_lambda(
        int(head.iteration.numpy()), head.lambda_base, head.lambda_gamma, head.lambda_power, head.lambda_min
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # the reference defaults: lambda = max(5, 1000 / (1 + 0.12 * 1))
        {"margin": 4, "lambda_base": 0.0},  # pure psi: every k of psi matters
        {"margin": 3, "lambda_base": 2.0, "lambda_gamma": 0.0, "lambda_min": 0.0},
        {"margin": 2, "lambda_base": 0.0},
    ],
)
def test_matches_reference(kwargs):
    check_against_reference(
        lambda: km.heads.SphereFace(3, **kwargs),
        "sphereface",
        lambda head: {"margin": head.margin, "lambda_": _lambda_of(head)},
    )


def test_defaults_are_the_reference_solvers():
    head = km.heads.SphereFace(10)
    assert (head.margin, head.lambda_base, head.lambda_gamma, head.lambda_power, head.lambda_min) == (
        4, 1000.0, 0.12, 1.0, 5.0)


@pytest.mark.parametrize("margin", [4, 3])
def test_gradients_match_finite_differences(margin):
    embeddings, kernel, labels = random_problem(seed=9)
    assert_gradients_match(
        lambda **kw: km.heads.SphereFace(3, margin=margin, lambda_base=0.5, lambda_gamma=0.0, lambda_min=0.0, **kw),
        embeddings, kernel, labels,
    )


def test_inference_logits_are_norm_times_cosine():
    embeddings, kernel, _ = random_problem()
    head = km.heads.SphereFace(3)
    head.build((None, 4))
    head.kernel.assign(kernel)
    cos, x_norm, _ = ref.cosines(embeddings, kernel)
    np.testing.assert_allclose(head(embeddings), x_norm * cos, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"margin": 2.5}, "margin"), ({"margin": 0}, "margin"), ({"margin": True}, "margin"),
     ({"lambda_base": -1.0}, "lambda_base"), ({"lambda_gamma": -0.1}, "lambda_gamma"),
     ({"lambda_power": -1}, "lambda_power"), ({"lambda_min": -5}, "lambda_min")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.SphereFace(10, **kwargs)
