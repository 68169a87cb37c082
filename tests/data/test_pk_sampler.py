import numpy as np
import pytest

import keras_margin as km
from keras_margin.data.pk_sampler import pk_indices

# Unequal classes: one with fewer than K examples, one with many.
LABELS = np.array([0] * 7 + [1] * 3 + [2] * 1 + [3] * 12 + [4] * 5 + [5] * 4)


def _epochs(dataset, count):
    iterator_epochs = []
    for _ in range(count):
        iterator_epochs.append([batch.numpy() for batch in dataset])
    return iterator_epochs


@pytest.mark.parametrize("p, k", [(3, 4), (2, 2), (6, 1), (1, 5)])
def test_every_batch_is_p_classes_times_k(p, k):
    dataset = pk_indices(LABELS, p, k, seed=0)
    for epoch in _epochs(dataset, 2):
        assert len(epoch) == int(dataset.cardinality())
        for batch in epoch:
            classes, counts = np.unique(LABELS[batch], return_counts=True)
            assert len(batch) == p * k and len(classes) == p and np.all(counts == k)
            assert list(LABELS[batch]) == list(np.repeat(LABELS[batch][::k], k))


@pytest.mark.parametrize("p, k", [(3, 4), (2, 2), (6, 1), (1, 5)])
def test_an_epoch_covers_every_example(p, k):
    for epoch in _epochs(pk_indices(LABELS, p, k, seed=1), 2):
        assert set(np.concatenate(epoch).tolist()) == set(range(len(LABELS)))


def test_draws_are_distinct_unless_the_class_is_small():
    for batch in _epochs(pk_indices(LABELS, 3, 4, seed=2), 1)[0]:
        for draw in batch.reshape(3, 4):
            size = int(np.sum(LABELS == LABELS[draw[0]]))
            # A class with n < K examples repeats them in cycles: each appears once
            # before any appears twice.
            assert len(set(draw.tolist())) == min(size, 4)


def test_deterministic_per_seed_and_different_epochs():
    first = _epochs(pk_indices(LABELS, 3, 4, seed=5), 2)
    again = _epochs(pk_indices(LABELS, 3, 4, seed=5), 2)
    other = _epochs(pk_indices(LABELS, 3, 4, seed=6), 1)
    assert all(np.array_equal(a, b) for a, b in zip(first[0] + first[1], again[0] + again[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(first[0], first[1]))
    assert not all(np.array_equal(a, b) for a, b in zip(first[0], other[0]))


def test_pk_batches_gathers_images_and_labels():
    images = (np.arange(len(LABELS))[:, None, None] * np.ones((1, 2, 2))).astype("uint8")
    dataset = km.data.pk_batches(images, LABELS, classes_per_batch=2, samples_per_class=3, seed=0,
                                 augment=lambda x, y: (x + 1.0, y))
    for batch_images, batch_labels in dataset:
        assert batch_images.dtype == "float32" and batch_images.shape == (6, 2, 2)
        indices = batch_images.numpy()[:, 0, 0].astype(int) - 1
        assert np.array_equal(LABELS[indices], batch_labels.numpy())


@pytest.mark.parametrize(
    "kwargs, name",
    [({"classes_per_batch": 7}, "classes_per_batch"), ({"classes_per_batch": 0}, "classes_per_batch"),
     ({"samples_per_class": 0}, "samples_per_class"), ({"samples_per_class": 2.5}, "samples_per_class")],
)
def test_invalid_arguments_raise(kwargs, name):
    arguments = {"classes_per_batch": 2, "samples_per_class": 2, **kwargs}
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.pk_batches(np.zeros((len(LABELS), 2)), LABELS, **arguments)


def test_mismatched_arrays_raise():
    with pytest.raises(ValueError, match="same number"):
        km.data.pk_batches(np.zeros((3, 2)), LABELS, 2, 2)
