import math

import numpy as np
import pytest

import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, head_with_kernel, random_problem


@pytest.mark.parametrize(
    "m1, m2, m3",
    [
        (1.0, 0.3, 0.2),  # insightface's recommended combination
        (0.9, 0.4, 0.15),  # m1 < 1: the fallback starts past 2.9 rad
        (1.5, 0.2, 0.1),  # m1 > 1: fallback from 1.96 rad, drop = 1 + cos(theta_t)
        (1.0, 0.0, 0.35),  # CosFace
    ],
)
def test_matches_reference(m1, m2, m3):
    check_against_reference(
        lambda: km.heads.CombinedMargin(3, scale=32.0, m1=m1, m2=m2, m3=m3),
        "combinedmargin",
        {"scale": 32.0, "m1": m1, "m2": m2, "m3": m3},
    )


@pytest.mark.parametrize("m1, m2, m3", [(1.0, 0.3, 0.2), (1.5, 0.2, 0.1), (2.0, 0.0, 0.0), (0.9, 0.4, 0.15)])
def test_target_logit_is_monotone_in_the_angle(m1, m2, m3):
    degrees = np.linspace(0, 180, 1441)
    rows = np.stack([np.cos(np.radians(degrees)), np.sin(np.radians(degrees))], 1).astype(np.float32)
    head = head_with_kernel(km.heads.CombinedMargin(2, m1=m1, m2=m2, m3=m3), np.eye(2, dtype=np.float32))
    logits = np.asarray(head(rows, labels=np.zeros(len(rows), np.int32), training=True))
    assert np.all(np.diff(logits[:, 0]) <= 1e-3)


def test_equals_arcface_and_cosface_at_their_settings():
    embeddings, kernel, labels = random_problem(batch=64, seed=2)
    arc = head_with_kernel(km.heads.ArcFace(3, scale=64.0, margin=0.5), kernel)
    combined = head_with_kernel(km.heads.CombinedMargin(3, scale=64.0, m1=1.0, m2=0.5, m3=0.0), kernel)
    np.testing.assert_allclose(
        combined(embeddings, labels=labels, training=True),
        arc(embeddings, labels=labels, training=True), rtol=1e-4, atol=1e-3,
    )
    cos = head_with_kernel(km.heads.CosFace(3, scale=64.0, margin=0.35), kernel)
    combined = head_with_kernel(km.heads.CombinedMargin(3, scale=64.0, m1=1.0, m2=0.0, m3=0.35), kernel)
    np.testing.assert_allclose(
        combined(embeddings, labels=labels, training=True),
        cos(embeddings, labels=labels, training=True), rtol=1e-5, atol=1e-4,
    )


@pytest.mark.parametrize("m1", [1.0, 1.5])
def test_gradients_match_finite_differences(m1):
    embeddings, kernel, labels = random_problem(seed=8)
    assert_gradients_match(
        lambda **kw: km.heads.CombinedMargin(3, scale=8.0, m1=m1, m2=0.3, m3=0.2, **kw),
        embeddings, kernel, labels,
    )


@pytest.mark.parametrize(
    "kwargs, name",
    [({"m1": 0.0}, "m1"), ({"m2": -0.1}, "m2"), ({"m2": math.pi / 2 + 0.01}, "m2"), ({"m3": -0.5}, "m3"),
     ({"m3": 2.0}, "m3"), ({"scale": -1}, "scale")],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.heads.CombinedMargin(10, **kwargs)
