"""`AugmentationLayer` runs in tf.data whatever the Keras backend is (JAX is a test
dependency; the backend is fixed per process, hence the subprocesses)."""

import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import sys
import numpy as np
import tensorflow as tf
from keras_margin.augment import image

images = np.random.default_rng(0).integers(0, 256, (16, 32, 32, 3), "uint8")
dataset = tf.data.Dataset.from_tensor_slices(images).batch(8)
layers = [image.RandAugment(seed=1), image.GridMask(seed=2)]
seeded = image.seeded_map(dataset, layers, seed=0)
mapped = dataset.map(image.GaussianNoise(stddev=0.05, seed=3))
out = np.concatenate([x.numpy() for x in seeded] + [x.numpy() for x in mapped])
np.save(sys.argv[1], out)
"""


def _augment_with_backend(backend, path):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(path)], env=env, capture_output=True, text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return np.load(path)


def test_layers_run_in_tf_data_under_the_jax_backend_with_the_same_output(tmp_path):
    # Keras' Layer.__call__ refuses positional arguments that are not the configured
    # backend's tensors; inside a tf.data map they are TensorFlow tensors.
    with_jax = _augment_with_backend("jax", tmp_path / "jax.npy")
    with_tensorflow = _augment_with_backend("tensorflow", tmp_path / "tf.npy")
    assert with_jax.shape == (32, 32, 32, 3)
    np.testing.assert_array_equal(with_jax, with_tensorflow)


AFFINE_SCRIPT = """
import sys
import numpy as np, keras, tensorflow as tf
from keras_margin.augment import image
layer = image.RandomAffine(rotation=10, seed=0)
x = np.random.default_rng(0).uniform(0, 255, (4, 12, 12, 1)).astype("float32")
model = keras.Sequential([keras.Input((12, 12, 1)), layer])
assert np.array_equal(np.asarray(model.predict(x, verbose=0)), x)
dataset = tf.data.Dataset.from_tensor_slices(x).batch(2)
np.save(sys.argv[1], np.concatenate([b.numpy() for b in image.seeded_map(dataset, layer, seed=0)]))
"""


def test_random_affine_on_the_base_runs_under_jax_in_a_model_and_in_tf_data(tmp_path):
    # No longer a Keras backend-dispatching layer: inference in a JAX model returns the
    # input, and in tf.data it computes with TensorFlow, with the same values.
    outputs = []
    for backend in ("jax", "tensorflow"):
        env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
        path = tmp_path / f"{backend}.npy"
        result = subprocess.run([sys.executable, "-c", AFFINE_SCRIPT, str(path)], env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        outputs.append(np.load(path))
    np.testing.assert_array_equal(outputs[0], outputs[1])
    assert outputs[0].shape == (4, 12, 12, 1)
