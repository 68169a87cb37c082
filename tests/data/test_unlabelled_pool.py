"""`unlabelled_pool`: the training-pool images that `load` leaves unlabelled."""

import numpy as np
import pytest

import keras_margin as km
from keras_margin.data import assemble
from keras_margin.data.sources import BUILTIN_SOURCES


@pytest.fixture(scope="module")
def digits():
    return BUILTIN_SOURCES["digits"](None)


@pytest.mark.parametrize("samples_per_class, validation_split, seed",
                         [(10, 0.1, 0), (30, 0.2, 3), (5, 0.0, 1)])
def test_pool_labelled_and_validation_partition_the_training_pool(
        digits, samples_per_class, validation_split, seed):
    train_index, validation_index = assemble.split_indices(digits, samples_per_class,
                                                           validation_split, seed)
    pool_index = assemble.unlabelled_index(digits, samples_per_class, validation_split, seed)
    parts = [set(train_index.tolist()), set(validation_index.tolist()), set(pool_index.tolist())]
    assert all(not (a & b) for i, a in enumerate(parts) for b in parts[i + 1:])
    assert set().union(*parts) == set(range(len(digits.train_labels)))
    # The labelled rows are exactly those `load` trains on for the same arguments.
    split = km.data.load_training_split("digits", samples_per_class=samples_per_class,
                                        validation_split=validation_split, seed=seed)
    np.testing.assert_array_equal(split.images, digits.train_inputs[train_index])
    np.testing.assert_array_equal(split.labels, digits.train_labels[train_index])
    assert len(pool_index) == len(digits.train_labels) - len(train_index) - len(validation_index)


def test_the_dataset_holds_exactly_the_pool_images_and_no_labels(digits):
    pool = km.data.unlabelled_pool("digits", samples_per_class=10, seed=2, batch_size=100,
                                   shuffle=False)
    assert not isinstance(pool.element_spec, tuple)
    images = np.concatenate([batch.numpy() for batch in pool])
    expected = digits.train_inputs[assemble.unlabelled_index(digits, 10, 0.1, 2)]
    np.testing.assert_array_equal(images, expected.astype("float32"))
    assert len(images) + 100 + 145 == len(digits.train_labels)
    # The test split is never in the pool (digits has no duplicate images across them).
    rows = lambda array: set(map(bytes, array.reshape(len(array), -1)))  # noqa: E731
    assert not rows(images.astype(digits.test_inputs.dtype)) & rows(digits.test_inputs)


def test_shuffled_pool_is_reproducible_and_a_permutation(digits):
    first = np.concatenate(list(km.data.unlabelled_pool("digits", 10, seed=0, batch_size=500)))
    again = np.concatenate(list(km.data.unlabelled_pool("digits", 10, seed=0, batch_size=500)))
    plain = np.concatenate(list(km.data.unlabelled_pool("digits", 10, seed=0, batch_size=500,
                                                        shuffle=False)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, plain)
    key = lambda rows: sorted(map(bytes, rows.reshape(len(rows), -1)))  # noqa: E731
    assert key(first) == key(plain)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(samples_per_class=None), "samples_per_class"),
    (dict(samples_per_class=0), "samples_per_class"),
    (dict(samples_per_class=10, batch_size=0), "batch_size"),
    (dict(samples_per_class=10, seed=-1), "seed"),
    (dict(samples_per_class=10, validation_split=1.0), "validation_split"),
    (dict(samples_per_class=10, shuffle="yes"), "shuffle"),
    (dict(samples_per_class=500), "samples_per_class"),
])
def test_bad_arguments_name_themselves(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        km.data.unlabelled_pool("digits", **kwargs)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="Unknown dataset"):
        km.data.unlabelled_pool("nope", samples_per_class=10)
