import numpy as np
import pytest

import keras_margin as km
from head_testing import assert_gradients_match, check_against_reference, head_with_kernel, random_problem


def test_matches_reference():
    check_against_reference(lambda: km.heads.Softmax(3), "softmax", {})


def test_bias_is_added():
    embeddings, kernel, _ = random_problem()
    head = head_with_kernel(km.heads.Softmax(3, use_bias=True), kernel)
    head.bias.assign(np.array([1.0, -2.0, 0.5], np.float32))
    expected = embeddings.astype(np.float64) @ kernel + np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(head(embeddings), expected, rtol=1e-5, atol=1e-5)
    assert len(head.trainable_weights) == 2


def test_gradients_match_finite_differences():
    embeddings, kernel, labels = random_problem(seed=7)
    assert_gradients_match(lambda **kw: km.heads.Softmax(3, **kw), embeddings, kernel, labels)


def test_invalid_use_bias():
    with pytest.raises(ValueError, match="`use_bias`"):
        km.heads.Softmax(3, use_bias="no")


def test_config_round_trip():
    head = km.heads.Softmax(4, use_bias=True)
    assert km.heads.Softmax.from_config(head.get_config()).get_config() == head.get_config()
