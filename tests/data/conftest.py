"""Fixtures for the keras_margin.data tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from data_testing import write_fashion_files  # noqa: E402


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory):
    """A folder holding small Fashion-MNIST IDX .gz files (120 train, 30 test images)."""
    folder = tmp_path_factory.mktemp("fashion")
    write_fashion_files(folder)
    return folder
