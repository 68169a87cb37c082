import numpy as np
import pytest

import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, head_with_kernel, random_problem


def test_matches_reference():
    check_against_reference(lambda: km.heads.NormFace(3, scale=30.0), "normface", {"scale": 30.0})


def test_training_and_inference_logits_are_the_same():
    embeddings, kernel, labels = random_problem()
    head = head_with_kernel(km.heads.NormFace(3), kernel)
    np.testing.assert_array_equal(head(embeddings, labels=labels, training=True), head(embeddings))


def test_gradients_match_finite_differences():
    embeddings, kernel, labels = random_problem(seed=6)
    assert_gradients_match(lambda **kw: km.heads.NormFace(3, scale=4.0, **kw), embeddings, kernel, labels)


@pytest.mark.parametrize("scale", [0.0, -3.0, float("inf")])
def test_invalid_scale(scale):
    with pytest.raises(ValueError, match="`scale`"):
        km.heads.NormFace(3, scale=scale)
