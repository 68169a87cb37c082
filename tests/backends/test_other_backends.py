"""The heads, the loss and `MarginModel` on JAX and PyTorch, without TensorFlow.

Each backend runs backend_run.py in its own process (the backend is fixed when Keras is
imported; this process runs TensorFlow): it trains a small `MarginModel` per head with
`fit` on NumPy arrays, then calls `predict` and `embed`. Here, on TensorFlow, the same
code trains from the same starting weights, and the other backend's trained weights are
loaded to compare outputs: the label routing of the training step must put the same
margin on the same logits everywhere (the weights after training agree), and the
trained weights must give the same logits, probabilities and embeddings.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import backend_run

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "backend_run.py")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(SCRIPT)))
TRAINED_LIKE_TENSORFLOW = [name for name in backend_run.HEADS if name not in backend_run.SAMPLING_HEADS]


def _run(backend, output):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join([REPO, env.get("PYTHONPATH", "")])
    # Compiling is most of this run's CPU time. LLVM's optimisations only speed up the
    # compiled code, here a few tiny steps, and change no result beyond float rounding
    # (XLA's CPU fast-math is off at every level).
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    result = subprocess.run(
        [sys.executable, SCRIPT, str(output)], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(np.load(output))


@pytest.fixture(scope="module", params=["jax", "torch"])
def run(request, tmp_path_factory):
    return _run(request.param, tmp_path_factory.mktemp(request.param) / "run.npz")


@pytest.fixture(scope="module")
def tensorflow_weights():
    return {name: backend_run.train(name)[0].get_weights() for name in TRAINED_LIKE_TENSORFLOW}


def _weights(run, name):
    count = sum(key.startswith(f"{name}/weight_") for key in run)
    return [run[f"{name}/weight_{i}"] for i in range(count)]


def test_runs_on_the_backend_without_importing_tensorflow(run):
    assert str(run["backend"]) in ("jax", "torch")
    assert not bool(run["tensorflow_imported"])
    assert "KERAS_BACKEND=tensorflow" in str(run["export_error"])
    for name in backend_run.HEADS:
        assert np.isfinite(run[f"{name}/loss"]), name


@pytest.mark.parametrize("name", TRAINED_LIKE_TENSORFLOW)
def test_training_matches_tensorflow(run, tensorflow_weights, name):
    start = backend_run.build(name).get_weights()
    trained = _weights(run, name)
    assert len(trained) == len(tensorflow_weights[name])
    for other, expected in zip(trained, tensorflow_weights[name]):
        np.testing.assert_allclose(other, expected, rtol=1e-4, atol=1e-5)
    # and training moved the weights: the comparison is not between two starting points
    assert any(not np.allclose(a, b) for a, b in zip(start, trained))


@pytest.mark.parametrize("name", list(backend_run.HEADS))
def test_outputs_match_tensorflow_for_the_same_weights(run, name):
    model = backend_run.build(name)
    model.set_weights(_weights(run, name))
    expected = backend_run.outputs(model)
    np.testing.assert_allclose(run[f"{name}/logits"], expected["logits"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(run[f"{name}/predict"], expected["predict"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(run[f"{name}/embed"], expected["embed"], rtol=1e-5, atol=1e-6)
