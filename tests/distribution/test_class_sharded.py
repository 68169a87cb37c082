"""`class_sharded`: the class centres split over two devices train like one device.

The sharded runs need the JAX backend and two virtual CPU devices, both fixed before JAX
initialises, so they run in a separate process (class_sharded_run.py) that trains the
full head and the sampling head on one device and sharded, from the same start, with
plain SGD. Sharding changes where the numbers live, not what they are: the sharded
runs must end at the one-device weights up to the order of floating-point additions.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import keras_margin as km

SCRIPT = os.path.join(os.path.dirname(__file__), "class_sharded_run.py")
VARIANTS = ("full", "sampled")
CLASSES, DIM = 64, 8


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    output = tmp_path_factory.mktemp("class_sharded") / "runs.npz"
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="jax")
    env["PYTHONPATH"] = os.pathsep.join([repo, env.get("PYTHONPATH", "")])
    # Compiling is most of this run's CPU time. LLVM's optimisations only speed up the
    # compiled code, here a few tiny steps, and change no result beyond float rounding
    # (XLA's CPU fast-math is off at every level).
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    result = subprocess.run(
        [sys.executable, SCRIPT, str(output)], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return np.load(output)


@pytest.mark.parametrize("variant", VARIANTS)
def test_centres_are_split_by_class_over_the_two_devices(runs, variant):
    assert int(runs["devices"]) == 2
    class_axis = int(runs[f"{variant}_sharded_class_axis"])
    # the full head stores (D, C) columns, the sampling head (C, D) rows
    assert class_axis == (1 if variant == "full" else 0)
    shape = tuple(runs[f"{variant}_sharded_kernel_shape"])
    assert shape[class_axis] == CLASSES and shape[1 - class_axis] == DIM
    half = list(shape)
    half[class_axis] = CLASSES // 2
    assert [tuple(s) for s in runs[f"{variant}_sharded_kernel_shards"]] == [tuple(half)] * 2
    assert list(runs[f"{variant}_sharded_kernel_devices"]) == [0, 1]
    # the one-device run keeps the matrix whole: the split comes from the distribution
    assert [tuple(s) for s in runs[f"{variant}_single_kernel_shards"]] == [shape]


@pytest.mark.parametrize("variant", VARIANTS)
def test_optimizer_slots_are_split_like_the_centres(runs, variant):
    slots = runs[f"{variant}_adam_slot_shards"]
    assert slots.shape[:2] == (2, 2)  # Adam's momentum and velocity, two shards each
    np.testing.assert_array_equal(slots, np.stack([runs[f"{variant}_sharded_kernel_shards"]] * 2))


@pytest.mark.parametrize("variant", VARIANTS)
def test_sharded_training_ends_at_the_one_device_weights(runs, variant):
    single, sharded = f"{variant}_single", f"{variant}_sharded"
    weights = sorted(k[len(single) + 1:] for k in runs.files if k.startswith(single + "_w"))
    assert len(weights) == 3  # backbone kernel and bias, head kernel
    for key in weights:
        np.testing.assert_allclose(runs[f"{sharded}_{key}"], runs[f"{single}_{key}"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(runs[f"{sharded}_loss"], runs[f"{single}_loss"], rtol=1e-5)
    # both started at the same centres and trained away from them
    np.testing.assert_array_equal(runs[f"{sharded}_kernel_start"], runs[f"{single}_kernel_start"])
    assert np.max(np.abs(runs[f"{sharded}_w2"] - runs[f"{sharded}_kernel_start"])) > 1e-3


@pytest.mark.parametrize("variant", VARIANTS)
def test_predict_covers_every_class_when_sharded(runs, variant):
    sharded = runs[f"{variant}_sharded_probabilities"]
    assert sharded.shape == (4, CLASSES)
    np.testing.assert_allclose(sharded.sum(axis=-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(sharded, runs[f"{variant}_single_probabilities"], rtol=1e-4, atol=1e-7)


@pytest.mark.parametrize(
    "case, message",
    [
        ("built_head", "already built"),
        ("model_devices_not_dividing_devices", "`model_devices` \\(3\\) must divide the number of devices"),
        ("classes_not_divisible", "must divide the number of class centres \\(7\\)"),
    ],
)
def test_refuses_a_layout_it_cannot_make(runs, case, message):
    assert re.search(message, str(runs[f"error_{case}"]))


def test_refuses_a_backend_that_would_not_shard():
    # This process runs TensorFlow, whose Keras distribution backend ignores layouts.
    with pytest.raises(ValueError, match="JAX backend"):
        km.distribution.class_sharded(km.heads.ArcFace(8))
