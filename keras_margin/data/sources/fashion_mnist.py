"""`fashion-mnist`: Zalando's 70,000 clothing images, read from local IDX files.

The files come from the Debian package `dataset-fashion-mnist`
(`/usr/share/datasets/fashion-mnist/`) or from any folder given as `data_dir`.
"""

import functools
import os

import numpy as np

from keras_margin.data.idx import read_idx
from keras_margin.data.source_data import SourceData
from keras_margin.utils.errors import DatasetNotFoundError

NAME = "fashion-mnist"
DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
# Held out by `load_open_set("fashion-mnist-open")`: Shirt, Sneaker, Bag, Ankle boot.
OPEN_SET_UNSEEN_CLASSES = (6, 7, 8, 9)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def read(data_dir=None):
    """Returns Fashion-MNIST as a `SourceData` (28x28x1 uint8 images, 10 classes).

    The official split is kept: 60,000 training-pool images and 10,000 test images.
    Each file may be gzip-compressed (`NAME.gz`, as the Debian package and the
    original distribution ship them) or not (`NAME`).

    Args:
        data_dir: folder holding the four IDX files; defaults to the Debian
            package's folder. Nothing is downloaded.

    Raises:
        DatasetNotFoundError: if a file is missing, with a one-line message saying
            how to get the files.
    """
    folder = os.fspath(data_dir) if data_dir is not None else DEFAULT_DIR
    paths = {key: _find(folder, file_name) for key, file_name in FILES.items()}
    missing = [FILES[key] for key, path in paths.items() if path is None]
    if missing:
        # Name the missing files only when some are there: then the list is news.
        which = "" if len(missing) == len(FILES) else f" (missing {', '.join(missing)})"
        raise DatasetNotFoundError(
            f"{NAME}: files not found in {folder}{which}; "
            "install the Debian package dataset-fashion-mnist "
            "(apt-get install dataset-fashion-mnist) or pass data_dir=FOLDER holding "
            "the IDX .gz files"
        )
    # The modification times are part of the cache key so a changed file is re-read.
    stamps = tuple((paths[key], os.stat(paths[key]).st_mtime_ns) for key in FILES)
    return _read_cached(stamps)


def read_open_set(data_dir=None):
    """Returns `(read(data_dir), OPEN_SET_UNSEEN_CLASSES)` for `fashion-mnist-open`."""
    return read(data_dir), list(OPEN_SET_UNSEEN_CLASSES)


@functools.lru_cache(maxsize=2)
def _read_cached(stamps):
    arrays = {key: read_idx(path) for key, (path, _) in zip(FILES, stamps)}
    for split in ("train", "test"):
        images = arrays[f"{split}_images"]
        labels = arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(
                f"{NAME}: {split} files do not match: images {images.shape}, "
                f"labels {labels.shape} (expected (N, H, W) and (N,))."
            )
    folder = os.path.dirname(stamps[0][0])
    source = f"IDX files in {folder}"
    if os.path.realpath(folder) == os.path.realpath(DEFAULT_DIR):
        source = f"Debian package dataset-fashion-mnist ({source})"
    return SourceData(
        name=NAME,
        train_inputs=arrays["train_images"][..., np.newaxis],
        train_labels=arrays["train_labels"].astype(np.int64),
        test_inputs=arrays["test_images"][..., np.newaxis],
        test_labels=arrays["test_labels"].astype(np.int64),
        class_names=CLASS_NAMES,
        source=source,
    )


def _find(folder, file_name):
    for candidate in (file_name + ".gz", file_name):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None
