"""`two_views`: two augmented views per example, seeded through `seeded_map`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from ssl_testing import random_images, views_of


def batches(dataset):
    return [{key: value.numpy() for key, value in views.items()} for views in dataset]


def test_views_differ_from_each_other_and_from_the_images():
    images = random_images(16)
    views = batches(views_of(images, policy="standard"))
    assert len(views) == 2
    for index, batch in enumerate(views):
        assert batch["view_1"].shape == batch["view_2"].shape == (8, 8, 8, 1)
        assert batch["view_1"].dtype == np.float32
        original = images[8 * index: 8 * index + 8]
        for one, two, image in zip(batch["view_1"], batch["view_2"], original):
            assert not np.array_equal(one, two)
            assert not np.array_equal(one, image) and not np.array_equal(two, image)


def test_views_are_reproducible_with_a_seed_and_new_every_epoch():
    images = random_images(16)
    first = views_of(images, seed=3, policy="standard")
    again = views_of(images, seed=3, policy="standard")
    other = views_of(images, seed=4, policy="standard")
    epoch_1, epoch_2 = batches(first), batches(first)
    for a, b in zip(epoch_1, batches(again)):
        np.testing.assert_array_equal(a["view_1"], b["view_1"])
        np.testing.assert_array_equal(a["view_2"], b["view_2"])
    assert not np.array_equal(epoch_1[0]["view_1"], batches(other)[0]["view_1"])
    # A second pass (Keras' next epoch) draws new views...
    assert not np.array_equal(epoch_1[0]["view_1"], epoch_2[0]["view_1"])


def test_second_epoch_is_reproducible_too():
    # ...the same second-epoch views in every run.
    images = random_images(8)
    one, two = views_of(images, seed=5), views_of(images, seed=5)
    batches(one), batches(two)
    np.testing.assert_array_equal(batches(one)[0]["view_2"], batches(two)[0]["view_2"])


def test_labels_of_the_examples_come_along():
    labels = np.arange(16) % 3
    dataset = views_of(random_images(16), labels=labels)
    got = np.concatenate([batch_labels.numpy() for _, batch_labels in dataset])
    np.testing.assert_array_equal(got, labels)


def test_an_augmentation_layer_and_a_list():
    dataset = tf.data.Dataset.from_tensor_slices(random_images(8, size=16)).batch(4)
    layers = [km.augment.image.RandomAffine(rotation=20, seed=1), km.augment.image.GridMask(seed=2)]
    views = next(iter(km.ssl.two_views(dataset, layers, seed=0)))
    assert not np.array_equal(views["view_1"].numpy(), views["view_2"].numpy())


def test_waveforms_and_texts_through_their_layers():
    # The same mechanism for audio and text: their keras_margin layers take a seed.
    waves = np.random.default_rng(0).normal(size=(4, 400)).astype("float32")
    audio = [km.augment.audio.TimeShift(0.3), km.augment.audio.Gain((-6.0, 6.0))]
    views = next(iter(km.ssl.two_views(tf.data.Dataset.from_tensor_slices(waves).batch(4),
                                       audio, seed=0)))
    assert views["view_1"].shape == (4, 400)
    assert not np.array_equal(views["view_1"].numpy(), views["view_2"].numpy())
    texts = tf.data.Dataset.from_tensor_slices(["a b c d e f g h"] * 4).batch(4)
    views = next(iter(km.ssl.two_views(texts, km.augment.text.RandomSwap(0.5), seed=0)))
    assert views["view_1"].shape == (4,) and views["view_1"].dtype == tf.string
    assert views["view_1"].numpy().tolist() != views["view_2"].numpy().tolist()


@pytest.mark.parametrize("augment, match", [
    (km.augment.image.policy("strong", num_classes=10), "augment"),
    (km.augment.image.FourierMix(), "augment"),
    (keras.layers.RandomFlip(), "augment"),
    (lambda images, labels: (images, labels), "augment"),
    ([], "augment"),
])
def test_bad_augmentations_are_refused(augment, match):
    dataset = tf.data.Dataset.from_tensor_slices(random_images(8)).batch(4)
    with pytest.raises(ValueError, match=match):
        km.ssl.two_views(dataset, augment, seed=0)


def test_bad_dataset_and_seed():
    policy = km.augment.image.policy("light")
    dataset = tf.data.Dataset.from_tensor_slices(random_images(8)).batch(4)
    with pytest.raises(ValueError, match="seed"):
        km.ssl.two_views(dataset, policy, seed=-1)
    with pytest.raises(ValueError, match="dataset"):
        km.ssl.two_views(random_images(8), policy, seed=0)
    triples = tf.data.Dataset.from_tensor_slices((random_images(8), np.zeros(8), np.zeros(8))).batch(4)
    with pytest.raises(ValueError, match="dataset"):
        km.ssl.two_views(triples, policy, seed=0)
