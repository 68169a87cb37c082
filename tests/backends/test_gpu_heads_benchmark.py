"""benchmarks/gpu_heads.py runs end to end at tiny sizes, on JAX, without TensorFlow.

The GPU machine it is written for has JAX and PyTorch but no TensorFlow; this runs the
JAX half on the CPU (PyTorch skipped) so the script is known to work before device time
is spent on it.
"""

import json
import os
import subprocess
import sys

import keras_margin as km

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "benchmarks", "gpu_heads.py")
HEADS = ("arcface", "cosface", "adacos")


def test_gpu_heads_benchmark_runs_on_jax_at_tiny_sizes(tmp_path):
    output = tmp_path / "gpu_heads.json"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join([REPO, env.get("PYTHONPATH", "")])
    # Compiling is most of this run's CPU time. LLVM's optimisations only speed up the
    # compiled code, here a few tiny steps, and change no result beyond float rounding
    # (XLA's CPU fast-math is off at every level).
    env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()
    result = subprocess.run(
        [sys.executable, SCRIPT, "--classes", "40", "--dim", "8", "--batch", "16", "--rounds", "2",
         "--warmup", "1", "--no-torch", "--heads", *HEADS, "--output", str(output)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(output.read_text())
    assert report["environment"]["keras_backend"] == "jax"
    assert report["tensorflow_imported"] is False
    present = [name for name in HEADS if name in km.heads.names()]
    assert [row["layer"] for row in report["rows"]] == (["floor"] + present) * 2
    assert [row["dtype"] for row in report["rows"]] == ["float32"] * (1 + len(present)) + ["bfloat16"] * (1 + len(present))
    for row in report["rows"]:
        assert row["ms"] > 0 and row["ratio_to_floor"] > 0
        assert row["first_loss"] > 0 and row["memory_bytes"] > 0
    assert len(report["skipped"]) == len(HEADS) - len(present)
    table = (tmp_path / "gpu_heads.md").read_text()
    assert "| jax | bfloat16 | arcface |" in table
