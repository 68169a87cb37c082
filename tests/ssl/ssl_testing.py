"""Tiny data and models shared by the keras_margin.ssl tests."""

import keras
import numpy as np
import tensorflow as tf

import keras_margin as km


def random_images(count=16, size=8, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, size, size, 1)).astype("float32")


def tiny_backbone(size=8, features=8, seed=0):
    """Pixels -> `features` through one Dense layer: fast enough for a few steps in a test."""
    return keras.Sequential(
        [
            keras.Input((size, size, 1)),
            keras.layers.Rescaling(1.0 / 255.0),
            keras.layers.Flatten(),
            keras.layers.Dense(features, kernel_initializer=keras.initializers.GlorotUniform(seed)),
        ],
        name="tiny_backbone",
    )


def views_of(images, labels=None, batch_size=8, seed=0, policy="light"):
    data = images if labels is None else (images, labels)
    dataset = tf.data.Dataset.from_tensor_slices(data).batch(batch_size)
    # The policy is seeded too: one built without a seed draws its layers' seeds at random.
    return km.ssl.two_views(dataset, km.augment.image.policy(policy, seed=0), seed=seed)


def first_batch(dataset):
    return next(iter(dataset))
