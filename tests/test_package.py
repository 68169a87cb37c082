"""The package as a user meets it: a quiet import, the console script, the README."""

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(args, **kwargs):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, **kwargs)


def test_import_prints_no_tensorflow_start_up_notices():
    # The first operation too: the full `tensorflow` wheel logs "failed call to cuInit"
    # when it first looks for a GPU on a machine without a driver; the first XLA
    # compilation logs "XLA service ... initialized" and "Compiled cluster using XLA!".
    program = ("import keras_margin, tensorflow as tf; tf.reduce_sum(tf.ones(3)).numpy(); "
               "tf.function(lambda x: x * 2, jit_compile=True)(tf.ones(3)).numpy()")
    result = _run([sys.executable, "-c", program])
    assert result.returncode == 0
    assert result.stderr == "" and result.stdout == ""


def test_console_script_help():
    script = os.path.join(os.path.dirname(sys.executable), "keras-margin")
    result = _run([script, "train", "--help"])
    assert result.returncode == 0
    for flag in ("--dataset", "--head", "--scale", "--margin", "--augment", "--epochs", "--batch-size",
                 "--samples-per-class", "--seed", "--sample-rate", "--mixed-precision", "--output"):
        assert flag in result.stdout
    assert result.stderr == ""


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_test_file_names_are_unique():
    # tests/ has no __init__.py files: pytest imports each test file by its base name,
    # so two files of one name in different folders break collection.
    names = [path.name for path in (ROOT / "tests").rglob("test_*.py")]
    assert sorted(set(names)) == sorted(names), sorted({n for n in names if names.count(n) > 1})
