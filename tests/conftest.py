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


# The files that take longest, longest first, by the sum of their tests' `--durations`
# in `-n 0` runs here (a loaded machine: only the order is kept; the runner's file is
# about twice the next one, the last ones a sixth of it).
# `--dist loadfile` hands each worker whole files as it frees up. Left to itself, xdist
# hands out the files with the most tests first, so these, which have few tests, came
# last, and one worker could train alone for their last half minute while the other
# was idle. Started first, they run side by side and the many short files fill in behind.
LONGEST_FILES = (
    "tests/studies/test_runner.py",
    "tests/test_docstring_examples.py",
    "tests/backends/test_other_backends.py",
    "tests/cli/test_tune.py",
    "tests/cli/test_compare_audio.py",
    "tests/models/test_distributed.py",
    "tests/cli/test_compare.py",
    "tests/examples/test_examples.py",
    "tests/augment/test_augmentation_layer.py",
    "tests/distribution/test_class_sharded.py",
    "tests/cli/test_serve.py",
    "tests/robustness_of_inputs/test_cli.py",
    "tests/backends/test_gpu_heads_benchmark.py",
    "tests/test_package.py",
    "tests/cli/test_retrieval_cli.py",
    "tests/models/test_margin_model.py",
    "tests/models/test_serving_thresholds.py",
    "tests/cli/test_evaluate_predict.py",
    "tests/models/test_export.py",
)


def pytest_configure(config):
    # Keep the order below: xdist would otherwise re-sort loadfile's files by test count.
    if getattr(config.option, "dist", "no") in ("loadfile", "loadscope"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    # Only in xdist workers (whose collection order is the order files are handed out);
    # a plain `pytest` run keeps the usual order.
    if not hasattr(config, "workerinput"):
        return
    rank = {path: index for index, path in enumerate(LONGEST_FILES)}
    root = config.rootpath
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(rank)))
