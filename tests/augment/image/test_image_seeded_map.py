"""`seeded_map`: the same seed gives the same dataset under AUTOTUNE; epochs differ."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import image

AUTOTUNE = tf.data.AUTOTUNE


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (48, 16, 16, 3)).astype("uint8")
    labels = (np.arange(48) % 5).astype("int64")
    return images, labels


def layers():
    return [
        image.RandAugment(seed=1),
        image.RandomApply(image.GridMask(seed=2), 0.5, seed=3),
        image.GaussianNoise(seed=4),
    ]


def pipeline(data, seed, structure="tuple", deterministic=None, mixer=False):
    images, labels = data
    if structure == "tuple":
        dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    elif structure == "dict":
        dataset = tf.data.Dataset.from_tensor_slices({"images": images, "labels": labels})
    else:
        dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.batch(8)
    stack = layers() + ([image.FourierMix(num_classes=5, seed=5)] if mixer else [])
    return image.seeded_map(dataset, stack, seed, num_parallel_calls=AUTOTUNE,
                            deterministic=deterministic)


def epoch(dataset):
    return [tf.nest.map_structure(lambda t: t.numpy(), element) for element in dataset]


def assert_same(first, second):
    assert len(first) == len(second)
    for a, b in zip(first, second):
        tf.nest.map_structure(np.testing.assert_array_equal, a, b)


def test_same_seed_same_dataset_under_autotune(data):
    first = epoch(pipeline(data, 7))
    # A fresh pipeline, fresh layers (their own seeds fixed), many parallel calls.
    assert_same(first, epoch(pipeline(data, 7)))
    other = epoch(pipeline(data, 8))
    assert not np.array_equal(first[0][0], other[0][0])


def test_values_do_not_depend_on_the_order_batches_are_computed_in(data):
    ordered = epoch(pipeline(data, 7))
    unordered = epoch(pipeline(data, 7, deterministic=False))
    # With deterministic=False batches may come out of order; each is still the same.
    assert {x.tobytes() for x, _ in ordered} == {x.tobytes() for x, _ in unordered}


def test_epochs_differ_and_replay(data):
    dataset = pipeline(data, 7)
    first, second = epoch(dataset), epoch(dataset)
    assert not np.array_equal(first[0][0], second[0][0])
    np.testing.assert_array_equal(first[0][1], second[0][1])  # labels untouched
    # A new pipeline with the same seed replays the same sequence of epochs.
    again = pipeline(data, 7)
    assert_same(first, epoch(again))
    assert_same(second, epoch(again))


def test_repeat_counts_as_epochs(data):
    images, _ = data
    dataset = image.seeded_map(
        tf.data.Dataset.from_tensor_slices(images).batch(48).repeat(2),
        image.RandAugment(seed=1), seed=0,
    )
    first, second = [batch.numpy() for batch in dataset]
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("structure", ["images", "dict"])
def test_structures_pass_through(data, structure):
    first = epoch(pipeline(data, 3, structure=structure))
    assert_same(first, epoch(pipeline(data, 3, structure=structure)))
    if structure == "dict":
        assert set(first[0]) == {"images", "labels"}
        np.testing.assert_array_equal(first[0]["labels"], data[1][:8])
    else:
        assert first[0].shape == (8, 16, 16, 3)


def test_label_mixing_layers_get_the_labels(data):
    first = epoch(pipeline(data, 3, mixer=True))
    images, labels = first[0]
    assert labels.shape == (8, 5) and labels.dtype == np.float32
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)
    assert_same(first, epoch(pipeline(data, 3, mixer=True)))


def test_keras_core_layers_are_refused():
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((4, 8, 8, 3), "uint8"))
    with pytest.raises(ValueError, match="`layers`"):
        image.seeded_map(dataset, keras.layers.RandomFlip(), seed=0)
    with pytest.raises(ValueError, match="`seed`"):
        image.seeded_map(dataset, image.RandAugment(), seed=-1)
