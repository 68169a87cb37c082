"""`food-reviews`: 5,000 Amazon fine-food reviews from the R package modeldata.

The Debian package `r-cran-modeldata` ships them in the R lazy-load database
`/usr/lib/R/site-library/modeldata/data/Rdata.{rdx,rdb}` as the data frames
`training_data` (4,000 reviews) and `testing_data` (1,000), columns `product`,
`review` and `score` (a factor: great / other). No R is needed: the package can be
unpacked with `apt-get download r-cran-modeldata` and `dpkg -x`, and the database is
read with the PyPI package `rdata`.
"""

import functools
import os

import numpy as np

from keras_margin.data import r_lazyload
from keras_margin.data.text_source import TextSourceData
from keras_margin.utils.errors import DatasetNotFoundError

NAME = "food-reviews"
PACKAGE_DATA = "usr/lib/R/site-library/modeldata/data"
DEFAULT_DIR = "/" + PACKAGE_DATA
CLASS_NAMES = ["great", "other"]


def read(data_dir=None):
    """Returns the food reviews as a `TextSourceData` (2 classes, official split).

    Args:
        data_dir: a folder holding `Rdata.rdx` and `Rdata.rdb`, or the root of an
            unpacked `r-cran-modeldata` package (`dpkg -x PACKAGE.deb ROOT`);
            defaults to the installed package's folder.

    Raises:
        DatasetNotFoundError: when the database (or the `rdata` package) is missing.
    """
    folder = os.fspath(data_dir) if data_dir is not None else DEFAULT_DIR
    for candidate in (folder, os.path.join(folder, PACKAGE_DATA)):
        prefix = os.path.join(candidate, "Rdata")
        if os.path.isfile(prefix + ".rdx") and os.path.isfile(prefix + ".rdb"):
            stamp = (prefix, os.stat(prefix + ".rdb").st_mtime_ns)
            return _read_cached(stamp)
    raise DatasetNotFoundError(
        f"{NAME}: R data Rdata.rdx/Rdata.rdb not found in {folder}; install the Debian "
        "package r-cran-modeldata (apt-get install r-cran-modeldata, or without R: "
        "apt-get download r-cran-modeldata && dpkg -x r-cran-modeldata_*.deb ROOT and "
        "pass data_dir=ROOT)"
    )


@functools.lru_cache(maxsize=2)
def _read_cached(stamp):
    prefix = stamp[0]
    frames = r_lazyload.read_objects(prefix, ["training_data", "testing_data"])
    splits = {}
    for split, frame in (("train", frames["training_data"]), ("test", frames["testing_data"])):
        scores = [str(score) for score in frame["score"]]
        unknown = sorted(set(scores) - set(CLASS_NAMES))
        if unknown:
            raise ValueError(f"{NAME}: unexpected score values {unknown} in {prefix}.rdb")
        texts = np.array([str(review) for review in frame["review"]], dtype=object)
        labels = np.array([CLASS_NAMES.index(score) for score in scores], dtype=np.int64)
        splits[split] = (texts, labels)
    folder = os.path.dirname(prefix)
    source = f"R lazy-load data {prefix}.rdb"
    if os.path.realpath(folder) == os.path.realpath(DEFAULT_DIR):
        source = f"Debian package r-cran-modeldata ({source})"
    return TextSourceData(
        name=NAME,
        train_inputs=splits["train"][0],
        train_labels=splits["train"][1],
        test_inputs=splits["test"][0],
        test_labels=splits["test"][1],
        class_names=list(CLASS_NAMES),
        source=source,
    )
