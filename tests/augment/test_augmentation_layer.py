"""`AugmentationLayer` runs in tf.data whatever the Keras backend is (JAX is a test
dependency; the backend is fixed per process, hence one subprocess under JAX, compared
with the same code run here under TensorFlow)."""

import os
import pathlib
import subprocess
import sys

import augmentation_backend_run
import numpy as np
import pytest

SCRIPT = pathlib.Path(augmentation_backend_run.__file__)


@pytest.fixture(scope="module")
def under_jax(tmp_path_factory):
    path = tmp_path_factory.mktemp("jax") / "outputs.npz"
    env = dict(os.environ, KERAS_BACKEND="jax", TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join([str(SCRIPT.parents[2]), env.get("PYTHONPATH", "")])
    result = subprocess.run([sys.executable, str(SCRIPT), str(path)], env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return np.load(path)


def test_layers_run_in_tf_data_under_the_jax_backend_with_the_same_output(under_jax):
    # Keras' Layer.__call__ refuses positional arguments that are not the configured
    # backend's tensors; inside a tf.data map they are TensorFlow tensors.
    with_jax = under_jax["policy_layers_in_tf_data"]
    assert with_jax.shape == (32, 32, 32, 3)
    np.testing.assert_array_equal(with_jax, augmentation_backend_run.policy_layers_in_tf_data())


def test_random_affine_on_the_base_runs_under_jax_in_a_model_and_in_tf_data(under_jax):
    # No longer a Keras backend-dispatching layer: inference in a JAX model returns the
    # input, and in tf.data it computes with TensorFlow, with the same values.
    with_jax = under_jax["random_affine_in_a_model_and_in_tf_data"]
    assert with_jax.shape == (4, 12, 12, 1)
    np.testing.assert_array_equal(
        with_jax, augmentation_backend_run.random_affine_in_a_model_and_in_tf_data())
