"""Fixtures for the keras_margin.data tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import pytest  # noqa: E402

from data_testing import write_fashion_files  # noqa: E402
from data_testing import write_font_folder  # noqa: E402


@pytest.fixture(scope="session")
def fashion_dir(tmp_path_factory):
    """A folder holding small Fashion-MNIST IDX .gz files (120 train, 30 test images)."""
    folder = tmp_path_factory.mktemp("fashion")
    write_fashion_files(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def glyph_cache(tmp_path_factory):
    """Every test renders into a temporary cache, never into the user's ~/.cache."""
    folder = tmp_path_factory.mktemp("glyph-cache")
    previous = os.environ.get("KERAS_MARGIN_CACHE_DIR")
    os.environ["KERAS_MARGIN_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["KERAS_MARGIN_CACHE_DIR"]
    else:
        os.environ["KERAS_MARGIN_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def font_dir(tmp_path_factory):
    """A folder of links to a few Debian fonts (see `data_testing.TEST_FONTS`)."""
    folder = tmp_path_factory.mktemp("fonts")
    write_font_folder(folder)
    return folder
