"""Data-parallel training: MirroredStrategy and MultiWorkerMirroredStrategy match one device.

What must match, and why it does: with plain SGD (no momentum, no batch statistics in
the model, no head state updated from the local batch), one step's update is
`-lr * grad(mean loss over the global batch)`. Each replica computes the gradient of
its local mean loss scaled by 1 / replicas (Keras scales the loss for distribution) and
the all-reduce sums them, which is the same gradient when the replicas' batches are
equal halves of the global batch. Only the order of floating-point additions differs.

Each distributed run is a separate process (tests/models/distributed_run.py): logical
CPU devices and TF_CONFIG must be set before TensorFlow initialises, which this process
has done. The one-device reference needs neither, so it trains here, with the same code,
while those processes run: a TensorFlow start-up saved, and the test costs about one
run's wall time.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import distributed_run

SCRIPT = os.path.join(os.path.dirname(__file__), "distributed_run.py")
TIMEOUT = 420


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("distributed")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", KERAS_BACKEND="tensorflow")
    env.pop("TF_CONFIG", None)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([repo, env.get("PYTHONPATH", "")])
    workers = [f"localhost:{port}" for port in free_ports(2)]
    commands = {
        "mirrored": (
            [SCRIPT, "mirrored", str(out / "mirrored.npz"), "--sampled-output", str(out / "mirrored_sampled.npz")],
            env,
        ),
    }
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        commands[f"worker{index}"] = (
            [SCRIPT, "multiworker", str(out / f"multiworker{index}.npz")],
            dict(env, TF_CONFIG=json.dumps(config)),
        )
    processes = {
        name: subprocess.Popen([sys.executable] + args, env=penv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for name, (args, penv) in commands.items()
    }
    logs = {}
    try:
        import tensorflow as tf

        distributed_run.train_and_save(tf.distribute.get_strategy(), str(out / "single.npz"),
                                       sampled_output=str(out / "single_sampled.npz"))
        distributed_run.save_two_replicas(str(out / "per_replica_sampled.npz"))
        for name, process in processes.items():
            logs[name] = process.communicate(timeout=TIMEOUT)[0]
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    for name, process in processes.items():
        assert process.returncode == 0, f"{name} failed:\n{logs[name][-3000:]}"
    return {
        "single": np.load(out / "single.npz"),
        "mirrored": np.load(out / "mirrored.npz"),
        "mirrored_sampled": np.load(out / "mirrored_sampled.npz"),
        "single_sampled": np.load(out / "single_sampled.npz"),
        "per_replica_sampled": np.load(out / "per_replica_sampled.npz"),
        "mirrored_sampled_lazy_adam": np.load(out / "mirrored_sampled.npz.lazy_adam.npz"),
        "per_replica_sampled_lazy_adam": np.load(out / "per_replica_sampled.npz.lazy_adam.npz"),
        "multiworker": np.load(out / "multiworker0.npz"),
    }


def assert_same_training(actual, expected):
    assert int(actual["replicas"]) == 2 and int(expected["replicas"]) == 1
    np.testing.assert_allclose(actual["loss"], expected["loss"], rtol=1e-5)
    weights = sorted(k for k in expected.files if k.startswith("w"))
    assert weights == sorted(k for k in actual.files if k.startswith("w"))
    for key in weights:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-5, atol=1e-6)
    # the runs did train: the weights moved from their common start
    assert expected["loss"][-1] < expected["loss"][0]


def test_mirrored_strategy_matches_one_device(runs):
    assert_same_training(runs["mirrored"], runs["single"])


def test_multi_worker_mirrored_strategy_matches_one_device(runs):
    assert_same_training(runs["multiworker"], runs["single"])


def assert_same_run(actual, expected):
    assert int(actual["replicas"]) == 2
    np.testing.assert_allclose(actual["loss"], expected["loss"], rtol=1e-5)
    weights = sorted(k for k in expected.files if k.startswith("w"))
    assert weights == sorted(k for k in actual.files if k.startswith("w"))
    for key in weights:
        np.testing.assert_allclose(actual[key], expected[key], rtol=1e-5, atol=1e-6)
    assert actual["loss"][-1] < actual["loss"][0]


def test_sampling_head_samples_per_replica_under_mirrored_strategy(runs):
    # docs/scaling.md: each replica samples for its own half of the batch (its classes
    # plus random ones, drawn with the seed state both replicas share), and the update
    # is the mean of the two halves' gradients. Worked out step by step on one device
    # (distributed_run.train_as_two_replicas), that is exactly what the two replicas did.
    assert_same_run(runs["mirrored_sampled"], runs["per_replica_sampled"])


def test_lazy_adam_under_mirrored_strategy_updates_the_replicas_rows(runs):
    # The all-reduce hands LazyAdam both replicas' sparse rows, repeats included; it sums
    # repeats and updates those rows only. One of the four steps samples 4 of the 5
    # classes on both replicas together, so a densified (Adam) update would differ.
    assert_same_run(runs["mirrored_sampled_lazy_adam"], runs["per_replica_sampled_lazy_adam"])


def test_sampling_head_under_mirrored_strategy_differs_from_one_device(runs):
    # 5 classes, rate 0.5: one device keeps max(3, batch 8) -> all 5 classes each step,
    # each replica max(3, its 4 samples) = 4. Same data, same start, different steps.
    one_device, mirrored = runs["single_sampled"], runs["mirrored_sampled"]
    difference = max(np.max(np.abs(one_device[k] - mirrored[k])) for k in one_device.files if k.startswith("w"))
    assert difference > 1e-2
