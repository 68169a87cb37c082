"""The suite's own scheduling: the files tests/conftest.py starts first under xdist."""

import importlib.util
import pathlib

TESTS = pathlib.Path(__file__).resolve().parent


def _conftest():
    spec = importlib.util.spec_from_file_location("suite_conftest", TESTS / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_longest_files_exist_and_are_named_once():
    # A renamed or moved file would silently lose its early start.
    names = _conftest().LONGEST_FILES
    assert len(set(names)) == len(names)
    missing = [name for name in names if not (TESTS.parent / name).is_file()]
    assert missing == []
