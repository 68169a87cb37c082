import numpy as np
import pytest

import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, random_problem


@pytest.mark.parametrize("scale, margin", [(64.0, 0.35), (10.0, 0.0), (30.0, 1.5)])
def test_matches_reference(scale, margin):
    check_against_reference(
        lambda: km.heads.CosFace(3, scale=scale, margin=margin),
        "cosface",
        {"scale": scale, "margin": margin},
    )


def test_gradients_match_finite_differences():
    embeddings, kernel, labels = random_problem(seed=5)
    assert_gradients_match(lambda **kw: km.heads.CosFace(3, scale=8.0, **kw), embeddings, kernel, labels)


def test_defaults_are_the_papers():
    head = km.heads.CosFace(10)
    assert (head.scale, head.margin) == (64.0, 0.35)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"scale": 0}, "scale"), ({"margin": -0.01}, "margin"), ({"margin": 2.0}, "margin"),
     ({"scale": float("inf")}, "scale"),
     ({"margin": "0.3"}, "margin")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.CosFace(10, **kwargs)
