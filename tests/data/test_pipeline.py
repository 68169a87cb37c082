"""Tests for keras_margin.data.make_pipeline."""

import numpy as np
import pytest
import tensorflow as tf

from data_testing import collect
from keras_margin.data import make_pipeline

NUM = 50


def indexed_images():
    # Image i holds the value i everywhere, so a batch tells which examples it holds.
    images = np.broadcast_to(np.arange(NUM, dtype=np.uint8)[:, None, None, None], (NUM, 4, 4, 1))
    return np.ascontiguousarray(images), np.arange(NUM) % 5


def order(dataset):
    return collect(dataset)[0][:, 0, 0, 0].astype(int).tolist()


def test_batches_are_float32_images_and_int32_labels():
    images, labels = indexed_images()
    dataset = make_pipeline(images, labels, batch_size=16, training=False)
    assert dataset.element_spec[0].dtype == tf.float32
    assert dataset.element_spec[1].dtype == tf.int32
    assert dataset.element_spec[0].shape.as_list() == [None, 4, 4, 1]
    assert dataset.element_spec[1].shape.as_list() == [None]
    assert [int(y.shape[0]) for _, y in dataset] == [16, 16, 16, 2]
    assert int(dataset.cardinality()) == 4


def test_evaluation_keeps_order_and_values():
    images, labels = indexed_images()
    dataset = make_pipeline(images, labels, batch_size=16, training=False)
    got_images, got_labels = collect(dataset)
    np.testing.assert_array_equal(got_images, images.astype(np.float32))
    np.testing.assert_array_equal(got_labels, labels)
    assert order(dataset) == order(dataset)


def test_training_shuffles_and_reshuffles_every_epoch():
    images, labels = indexed_images()
    dataset = make_pipeline(images, labels, batch_size=8, training=True, seed=3)
    first, second = order(dataset), order(dataset)
    assert sorted(first) == list(range(NUM)) and sorted(second) == list(range(NUM))
    assert first != list(range(NUM))
    assert first != second


def test_training_shuffle_keeps_image_label_pairs():
    images, labels = indexed_images()
    got_images, got_labels = collect(make_pipeline(images, labels, 8, training=True, seed=0))
    np.testing.assert_array_equal(got_labels, got_images[:, 0, 0, 0].astype(int) % 5)


def test_same_seed_same_epoch_orders():
    images, labels = indexed_images()
    one = make_pipeline(images, labels, 8, training=True, seed=11)
    two = make_pipeline(images, labels, 8, training=True, seed=11)
    other = make_pipeline(images, labels, 8, training=True, seed=12)
    assert [order(one), order(one)] == [order(two), order(two)]
    assert order(one) != order(other)


def test_augment_runs_on_float32_training_batches():
    images, labels = indexed_images()
    seen = {}

    def augment(batch_images, batch_labels):
        seen["dtype"] = batch_images.dtype
        return 255.0 - batch_images, batch_labels + 1

    dataset = make_pipeline(images, labels, 8, training=True, augment=augment, seed=0)
    got_images, got_labels = collect(dataset)
    assert seen["dtype"] == tf.float32
    original = 255 - got_images[:, 0, 0, 0].astype(int)
    np.testing.assert_array_equal(got_labels, original % 5 + 1)


def test_a_seeded_policy_gives_the_same_augmented_batches_in_every_run():
    # The policy's map runs in parallel (AUTOTUNE): only per-batch seeds make it repeatable.
    from keras_margin.augment.image import policy

    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (48, 16, 16, 1), dtype=np.uint8), np.arange(48) % 4

    def epochs(seed):
        dataset = make_pipeline(images, labels, 8, training=True, augment=policy("standard", seed=1), seed=seed)
        return [collect(dataset)[0] for _ in range(2)]

    first, again, other = epochs(3), epochs(3), epochs(4)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # each epoch draws anew
    assert not np.array_equal(first[0], other[0])


def test_augment_is_refused_for_evaluation_data():
    images, labels = indexed_images()
    with pytest.raises(ValueError, match="augment"):
        make_pipeline(images, labels, 8, training=False, augment=lambda x, y: (x, y))


def test_works_with_model_fit():
    import keras

    images, labels = indexed_images()
    model = keras.Sequential(
        [keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(5)]
    )
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(
        make_pipeline(images, labels, 16, training=True, seed=0),
        validation_data=make_pipeline(images, labels, 16, training=False),
        epochs=1,
        shuffle=False,  # the pipeline shuffles; Keras warns otherwise
        verbose=0,
    )
    assert np.isfinite(history.history["val_loss"][0])


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"batch_size": 0}, "batch_size"),
        ({"batch_size": 2.0}, "batch_size"),
        ({"augment": "flip"}, "augment"),
        ({"labels": np.zeros((NUM, 1), dtype=int)}, "labels"),
        ({"labels": np.zeros((3,), dtype=int)}, "labels"),
    ],
)
def test_invalid_arguments_name_the_argument(kwargs, name):
    images, labels = indexed_images()
    arguments = dict(images=images, labels=labels, batch_size=8, training=True)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=name):
        make_pipeline(**arguments)


def test_empty_arrays_give_an_empty_dataset():
    dataset = make_pipeline(np.zeros((0, 2, 2, 1)), np.zeros((0,), dtype=int), 4, training=True)
    assert list(dataset) == []
