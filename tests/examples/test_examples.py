"""The examples run as written (the fast one in full; the MNIST one is the CLI's job).

The script runs in this process, as `__main__`: it needs no start-up configuration of
its own (TensorFlow, the default backend), and a second interpreter's TensorFlow
start-up was most of its time.
"""

import pathlib
import runpy

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_functional_head_example_trains_and_reports_accuracy(capsys):
    runpy.run_path(str(EXAMPLES / "functional_head.py"), run_name="__main__")
    accuracy = float(capsys.readouterr().out.strip().splitlines()[-1].split(":")[1])
    assert accuracy > 0.8  # 50 digits per class, 10 epochs
