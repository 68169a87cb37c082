"""`linear_probe`, `knn_accuracy` and `features` on toy problems with a known answer."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def toy_problem(count=200, seed=0):
    """Two classes apart along dimension 0; dimensions 1-7 are loud noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count) % 2
    points = rng.normal(size=(count, 8)).astype("float32") * 10.0
    points[:, 0] = (2.0 * labels - 1.0) * 3.0 + rng.normal(size=count) * 0.5
    half = count // 2
    return (points[:half], labels[:half]), (points[half:], labels[half:])


def projection(kernel):
    """A frozen linear backbone with the given (8, 2) kernel."""
    layer = keras.layers.Dense(2, use_bias=False)
    backbone = keras.Sequential([keras.Input((8,)), layer])
    layer.set_weights([np.asarray(kernel, "float32")])
    return backbone


GOOD = np.eye(8, 2)  # keeps dimension 0, where the classes are
RANDOM = np.random.default_rng(1).normal(size=(8, 2))  # mixes in the noise


def test_linear_probe_finds_the_signal_a_random_backbone_loses():
    train, test = toy_problem()
    good = km.ssl.linear_probe(projection(GOOD), train, test, epochs=20)
    random = km.ssl.linear_probe(projection(RANDOM), train, test, epochs=20)
    assert good >= 0.95
    assert random < good - 0.15, (good, random)


@pytest.mark.parametrize("temperature", [0.07, None])
def test_knn_finds_the_signal_a_random_backbone_loses(temperature):
    train, test = toy_problem()
    # Cosine: the good backbone's 2-D features point along +-x plus a little noise.
    good = km.ssl.knn_accuracy(projection(GOOD * np.array([1.0, 0.05])), train, test, k=5,
                               temperature=temperature)
    random = km.ssl.knn_accuracy(projection(RANDOM), train, test, k=5, temperature=temperature)
    assert good >= 0.95
    assert random < good - 0.15, (good, random)


def test_datasets_and_arrays_give_the_same_numbers():
    train, test = toy_problem()
    backbone = projection(GOOD + 0.1)
    as_dataset = [tf.data.Dataset.from_tensor_slices(split).batch(32) for split in (train, test)]
    assert km.ssl.knn_accuracy(backbone, train, test, k=3) == km.ssl.knn_accuracy(
        backbone, *as_dataset, k=3)
    assert km.ssl.linear_probe(backbone, train, test, epochs=3) == km.ssl.linear_probe(
        backbone, *as_dataset, epochs=3)
    features, labels = km.ssl.features(backbone, as_dataset[1])
    assert features.shape == (100, 2) and features.dtype == np.float32
    np.testing.assert_array_equal(labels, test[1])


def test_unweighted_vote_breaks_ties_by_rank():
    backbone = keras.Sequential([keras.Input((2,)), keras.layers.Identity()])
    train = (np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [0.8, 0.6]]), np.array([0, 1, 1, 0]))
    query = (np.array([[0.9, 0.1]]), np.array([0]))
    # Neighbours by cosine: 0 (class 0), 3 (class 0), 2 (class 1), 1 (class 1): 2 votes each
    # at k=4; class 0's rank higher.
    assert km.ssl.knn_accuracy(backbone, train, query, k=4, temperature=None) == 1.0


def test_a_trained_simclr_backbone_goes_straight_in():
    from ssl_testing import random_images, tiny_backbone
    images, labels = random_images(20), np.arange(20) % 2
    model = km.ssl.SimCLR(tiny_backbone(), projection_dim=4)
    accuracy = km.ssl.knn_accuracy(model.backbone, (images, labels), (images, labels), k=1)
    assert accuracy == 1.0  # each image finds itself
    assert 0.0 <= km.ssl.linear_probe(model.backbone, (images, labels), (images, labels),
                                      epochs=1) <= 1.0


@pytest.mark.parametrize("kwargs, argument", [
    (dict(epochs=0), "epochs"), (dict(learning_rate=0.0), "learning_rate"),
    (dict(batch_size=0), "batch_size"), (dict(seed=-1), "seed"),
])
def test_linear_probe_bad_arguments(kwargs, argument):
    train, test = toy_problem(20)
    with pytest.raises(ValueError, match=argument):
        km.ssl.linear_probe(projection(GOOD), train, test, **kwargs)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(k=0), "k"), (dict(temperature=0.0), "temperature"),
])
def test_knn_bad_arguments(kwargs, argument):
    train, test = toy_problem(20)
    with pytest.raises(ValueError, match=argument):
        km.ssl.knn_accuracy(projection(GOOD), train, test, **kwargs)


def test_bad_data_and_backbone():
    train, test = toy_problem(20)
    with pytest.raises(ValueError, match="backbone"):
        km.ssl.knn_accuracy("net", train, test)
    with pytest.raises(ValueError, match="data"):
        km.ssl.knn_accuracy(projection(GOOD), [1, 2, 3], test)
    unlabelled = tf.data.Dataset.from_tensor_slices(train[0]).batch(4)
    with pytest.raises(ValueError, match="labels"):
        km.ssl.knn_accuracy(projection(GOOD), unlabelled, test)
