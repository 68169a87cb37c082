"""The one `seeded_map` and its rule, across modalities (image, text, wrappers)."""

import numpy as np
import pytest
import tensorflow as tf

from keras_margin import augment
from keras_margin.augment import image
from keras_margin.augment import text


def test_the_rule_element_seed_then_position_then_layer_seed():
    # Element i of the first epoch gets (r_i, i); layer k gets fold_in(that, k).
    images = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), "uint8")
    dataset = tf.data.Dataset.from_tensor_slices(images)
    layers = [image.GaussianNoise(0.1, seed=1), image.GridMask(seed=2)]
    mapped = [x.numpy() for x in augment.seeded_map(dataset, layers, seed=4)]
    randoms = list(tf.data.Dataset.random(seed=4, rerandomize_each_iteration=True).take(3))
    for i, out in enumerate(mapped):
        element_seed = tf.stack([randoms[i], tf.constant(i, tf.int64)])
        x = images[i]
        for k, layer in enumerate(layers):
            x = layer(x, seed=tf.random.experimental.stateless_fold_in(element_seed, k))
        np.testing.assert_array_equal(out, x)


def test_one_function_for_every_modality():
    assert augment.seeded_map is image.seeded_map is text.seeded_map
    assert augment.seeded_map is augment.audio.seeded_map


def test_num_aug_copies_work_for_images_too():
    images = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 1), "uint8")
    data = tf.data.Dataset.from_tensor_slices((images, [0, 1])).batch(2)
    layer = image.GaussianNoise(0.2, seed=0)
    x, y = next(iter(augment.seeded_map(data, layer, seed=0, num_aug=2)))
    assert x.shape == (6, 8, 8, 1) and y.numpy().tolist() == [0, 1, 0, 1, 0, 1]
    np.testing.assert_array_equal(x[:2], images)
    assert not np.array_equal(x[2:4], x[4:6])  # the copies differ


def test_seed_none_is_accepted_and_mixing_with_num_aug_is_refused():
    data = tf.data.Dataset.from_tensor_slices(["a b c", "d e f"]).batch(2)
    assert next(iter(augment.seeded_map(data, text.RandomSwap(0.5)))).shape == (2,)
    mixer = image.FourierMix(num_classes=2, seed=0)
    with pytest.raises(ValueError, match="`num_aug`"):
        augment.seeded_map(data, mixer, seed=0, num_aug=1)


def test_pipeline_wrappers_need_a_seed_keyword():
    data = tf.data.Dataset.from_tensor_slices((np.zeros((2, 4, 4, 1), "float32"), [0, 1]))
    with pytest.raises(ValueError, match="`layers`"):
        augment.seeded_map(data, lambda images, labels: (images, labels), seed=0)
    seen = []

    def wrapper(images, labels, seed=None):
        seen.append(tuple(seed.shape))
        return images + 1.0, labels

    x, y = next(iter(augment.seeded_map(data.batch(2), wrapper, seed=0)))
    assert seen == [(2,)]  # traced once, with the (2,) seed of the element
    np.testing.assert_array_equal(x, np.ones((2, 4, 4, 1)))
    assert y.numpy().tolist() == [0, 1]
