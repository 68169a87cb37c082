"""Every `>>>` example in the package runs here, one test per module, so examples cannot rot.

The collection walks `keras_margin` with `pkgutil.walk_packages`, so a new module's examples
are tested without anyone listing it. Each module's doctests run with ELLIPSIS and
NORMALIZE_WHITESPACE under the test-wide seed (tests/conftest.py), and a failure names the
module and prints doctest's report of the example that failed.

`keras_margin.distribution.class_sharded` needs the JAX backend with two devices, both fixed
before Keras initialises, so its examples run in a child process (`JAX_MODULES`).
"""

import doctest
import importlib
import io
import os
import pkgutil
import subprocess
import sys
import types

import pytest

import keras_margin

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

# Modules whose examples only run on the JAX backend (with two virtual CPU devices); the
# backend is chosen at import time, so they run in a child process of their own.
JAX_MODULES = {"keras_margin.distribution.class_sharded"}


def _module_names():
    names = [keras_margin.__name__]
    for info in pkgutil.walk_packages(keras_margin.__path__, prefix=keras_margin.__name__ + "."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def _run_doctests(name):
    """Runs `name`'s examples in this process; returns (attempted, failed, report)."""
    module = importlib.import_module(name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    # DocTestFinder skips objects imported from other modules, so each example runs once,
    # under the module that defines it.
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    return result.attempted, result.failed, report.getvalue()


_CHILD = """
import sys
import types
from tests.test_docstring_examples import _run_doctests
attempted, failed, report = _run_doctests(sys.argv[1])
print(report)
print(f"{attempted} examples, {failed} failed")
sys.exit(1 if failed or not attempted else 0)
"""


def _run_doctests_on_jax(name):
    environment = dict(
        os.environ,
        KERAS_BACKEND="jax",
        XLA_FLAGS=os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2",
        JAX_PLATFORMS="cpu",
        PYTHONPATH=os.pathsep.join(filter(None, [_repository_root(), os.environ.get("PYTHONPATH")])),
    )
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, name], env=environment, capture_output=True, text=True,
        timeout=300, cwd=_repository_root(),
    )
    return completed.returncode, completed.stdout + completed.stderr[-4000:]


def _repository_root():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_walk_finds_the_package():
    # Guards the collection itself: an empty walk would make every other test vanish.
    assert "keras_margin.heads.arcface" in MODULES and "keras_margin.data.pipeline" in MODULES
    assert len(MODULES) > 100


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name in JAX_MODULES:
        returncode, report = _run_doctests_on_jax(name)
        assert returncode == 0, f"{name}'s examples fail on JAX:\n{report}"
        return
    attempted, failed, report = _run_doctests(name)
    assert failed == 0, f"{failed} of {attempted} examples in {name} fail:\n{report}"
    # A `>>>` that doctest does not find (in a comment, or under an object it skips) would
    # be an example nothing runs.
    with open(importlib.import_module(name).__file__, encoding="utf-8") as source:
        has_examples = ">>>" in source.read()
    if has_examples:
        assert attempted > 0, f"{name} has a `>>>` example that doctest does not collect"


def test_a_wrong_example_fails(monkeypatch):
    # The collection must be able to fail: a module whose example prints the wrong value.
    module = types.ModuleType("keras_margin_doctest_probe")
    module.__doc__ = ">>> 1 + 1\n3\n>>> 2 * 2\n4\n"
    monkeypatch.setitem(sys.modules, module.__name__, module)
    attempted, failed, report = _run_doctests(module.__name__)
    assert (attempted, failed) == (2, 1) and "Expected:\n    3" in report
