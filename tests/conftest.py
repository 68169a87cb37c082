"""Test-wide setup: quiet TensorFlow, a fixed seed, and the float32 policy restored."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras_margin  # noqa: E402, F401  (first: imports TensorFlow without its start-up notices)

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _float32_policy_and_seed():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
