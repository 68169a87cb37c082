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


# The files that take longest, longest first (seconds under `make test`, measured with
# `pytest -n 2 --dist loadfile --durations`, quiet machine; rough, only their order counts).
# `--dist loadfile` hands each worker whole files as it frees up. Left to itself, xdist
# hands out the files with the most tests first, so these, which have few tests, came
# last, and one worker trained alone for the last half minute while the other was idle.
# Started first, they run side by side and the many short files fill in behind them.
LONGEST_FILES = (
    "tests/studies/test_runner.py",  # 45
    "tests/backends/test_other_backends.py",  # 40
    "tests/cli/test_tune.py",  # 35
    "tests/cli/test_compare.py",  # 30
    "tests/models/test_distributed.py",  # 25
    "tests/cli/test_compare_audio.py",  # 25
    "tests/augment/test_augmentation_layer.py",  # 18
    "tests/test_package.py",  # 15
    "tests/backends/test_gpu_heads_benchmark.py",  # 12
    "tests/models/test_export.py",  # 10
    "tests/distribution/test_class_sharded.py",  # 8
    "tests/backends/test_lazy_imports.py",  # 7
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
