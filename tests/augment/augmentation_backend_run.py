"""The augmentations that `test_augmentation_layer.py` compares across Keras backends:
imported by the test (TensorFlow backend) and run as a script under another backend,
`python augmentation_backend_run.py OUTPUT.npz`, which saves every output."""

import sys

import keras
import numpy as np
import tensorflow as tf

from keras_margin.augment import image


def policy_layers_in_tf_data():
    keras.utils.set_random_seed(0)  # the same global seed in this process and in the test's
    images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), "uint8")
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8)
    layers = [image.RandAugment(seed=1), image.GridMask(seed=2)]
    seeded = image.seeded_map(dataset, layers, seed=0)
    mapped = dataset.map(image.GaussianNoise(stddev=0.05, seed=3))
    return np.concatenate([x.numpy() for x in seeded] + [x.numpy() for x in mapped])


def random_affine_in_a_model_and_in_tf_data():
    keras.utils.set_random_seed(0)
    layer = image.RandomAffine(rotation=10, seed=0)
    x = np.random.default_rng(0).uniform(0, 255, (4, 12, 12, 1)).astype("float32")
    model = keras.Sequential([keras.Input((12, 12, 1)), layer])
    # Inference returns the input, on any backend.
    assert np.array_equal(np.asarray(model.predict(x, verbose=0)), x)
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(2)
    return np.concatenate([b.numpy() for b in image.seeded_map(dataset, layer, seed=0)])


RUNS = (policy_layers_in_tf_data, random_affine_in_a_model_and_in_tf_data)

if __name__ == "__main__":
    np.savez(sys.argv[1], **{run.__name__: run() for run in RUNS})
