"""benchmarks/studies.py runs end to end on one tiny run, in this process, and its split
of the wall time is a split: every share between 0 and 1, the parts summing to 1."""

import importlib.util
import json
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "studies.py"


def _script():
    spec = importlib.util.spec_from_file_location("studies_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_studies_benchmark_splits_a_tiny_run(tmp_path, capsys):
    script = _script()
    output = tmp_path / "studies.json"
    report = script.main(["--dataset", "digits", "--studies", "closed-set", "--heads", "softmax",
                          "--augment", "none", "--samples-per-class", "10", "--steps", "2",
                          "--limit", "1", "--rounds", "1", "--json", str(output)])
    assert json.loads(output.read_text())["columns"] == list(script.COLUMNS)
    (run,) = report["runs"]
    for row in (run, report["all"]):
        assert set(script.COLUMNS) <= set(row)
        shares = [row[f"{part}_share"] for part in script.PARTS]
        assert all(0.0 <= share <= 1.0 for share in shares + [row["input_share"]])
        assert sum(shares) == pytest.approx(1.0, abs=1e-6)
        assert row["steps"] == 2 and row["wall_s"] > 0
        assert row["tracing_s"] >= row["python_trace_s"] > 0
    assert report["throughput"]["one_process"]["runs_per_hour"] > 0
    table = capsys.readouterr().out
    for header in ("wall s", *script.PARTS, "input*", "steps", "step ms", "runs per hour, 1 process"):
        assert header in table
    # The wrappers are gone: a later model in this process is not watched.
    from keras.src.backend.tensorflow import trainer
    from tensorflow.python.eager.polymorphic_function import tracing_compilation

    assert trainer.TensorFlowTrainer.make_train_function.__name__ == "make_train_function"
    assert tracing_compilation._create_concrete_function.__module__ == tracing_compilation.__name__
