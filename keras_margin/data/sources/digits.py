"""`digits`: scikit-learn's 1,797 8x8 handwritten digits (`load_digits`)."""

import functools

import numpy as np

from keras_margin.data.source_data import SourceData
from keras_margin.data import fixed_test_split
from keras_margin.utils.errors import DatasetNotFoundError

NAME = "digits"
CLASS_NAMES = [str(digit) for digit in range(10)]
# 20% of every class (35 to 37 images each): 359 test images, 1,438 in the pool.
TEST_FRACTION = 0.2


def read(data_dir=None):
    """Returns `digits` as a `SourceData` (8x8x1 float32 images in [0, 255], 10 classes).

    The original values are counts 0..16 of set pixels in 4x4 blocks; they are
    rescaled by 255/16 so every built-in dataset shares the [0, 255] range. There is
    no official test split; a fixed stratified 20% is used, the same in every run.

    Args:
        data_dir: ignored; the data ships inside scikit-learn.
    """
    del data_dir  # The data lives in the scikit-learn wheel.
    return _read_cached()


@functools.lru_cache(maxsize=1)
def _read_cached():
    try:
        import sklearn
        from sklearn.datasets import load_digits
    except ImportError:
        raise DatasetNotFoundError(
            f"{NAME}: the PyPI package scikit-learn is not installed; install it "
            "(pip install scikit-learn)"
        ) from None
    bunch = load_digits()
    images = (bunch.images * (255.0 / 16.0)).astype(np.float32)[..., np.newaxis]
    labels = bunch.target.astype(np.int64)
    test_index, pool_index = fixed_test_split.by_fraction(labels, TEST_FRACTION)
    return SourceData.from_fixed_test_split(
        NAME, images, labels, test_index, pool_index, CLASS_NAMES,
        f"PyPI scikit-learn {sklearn.__version__}, sklearn.datasets.load_digits()",
    )
