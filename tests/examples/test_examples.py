"""The examples run as written (the fast one in full; the MNIST one is the CLI's job)."""

import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def test_functional_head_example_trains_and_reports_accuracy():
    result = subprocess.run([sys.executable, str(EXAMPLES / "functional_head.py")],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    accuracy = float(result.stdout.strip().splitlines()[-1].split(":")[1])
    assert accuracy > 0.8  # 50 digits per class, 10 epochs
