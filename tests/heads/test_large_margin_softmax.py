import numpy as np
import pytest

import heads_reference as ref
import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, head_with_kernel, random_problem


def _lambda_of(head):
    return ref.annealed_lambda(
        int(head.iteration.numpy()), head.lambda_base, head.lambda_gamma, head.lambda_power, head.lambda_min
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # reference defaults: lambda ~ 1000 at the first iteration
        {"margin": 4, "lambda_base": 0.0},
        {"margin": 3, "lambda_base": 0.0},
        {"margin": 2, "lambda_base": 1.0, "lambda_gamma": 0.0},
        {"margin": 1, "lambda_base": 0.0},  # m = 1: plain softmax
    ],
)
def test_matches_reference(kwargs):
    check_against_reference(
        lambda: km.heads.LargeMarginSoftmax(3, **kwargs),
        "largemarginsoftmax",
        lambda head: {"margin": head.margin, "lambda_": _lambda_of(head)},
    )


def test_inference_logits_are_the_linear_layer():
    embeddings, kernel, _ = random_problem()
    head = head_with_kernel(km.heads.LargeMarginSoftmax(3), kernel)
    np.testing.assert_allclose(head(embeddings), embeddings.astype(np.float64) @ kernel, rtol=1e-5, atol=1e-5)


def test_margin_one_without_lambda_is_plain_softmax_in_training():
    embeddings, kernel, labels = random_problem()
    head = head_with_kernel(km.heads.LargeMarginSoftmax(3, margin=1, lambda_base=0.0), kernel)
    np.testing.assert_allclose(
        head(embeddings, labels=labels, training=True), head(embeddings), rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("margin", [4, 2])
def test_gradients_match_finite_differences(margin):
    embeddings, kernel, labels = random_problem(seed=10)
    assert_gradients_match(
        lambda **kw: km.heads.LargeMarginSoftmax(3, margin=margin, lambda_base=0.3, lambda_gamma=0.0, **kw),
        embeddings, kernel, labels,
    )


def test_defaults_are_the_reference_solvers():
    head = km.heads.LargeMarginSoftmax(10)
    assert (head.margin, head.lambda_base, head.lambda_gamma, head.lambda_power, head.lambda_min) == (
        4, 1000.0, 2.5e-5, 35.0, 0.0)


@pytest.mark.parametrize("kwargs, name", [({"margin": 4.5}, "margin"), ({"lambda_min": -1}, "lambda_min")])
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.LargeMarginSoftmax(10, **kwargs)
