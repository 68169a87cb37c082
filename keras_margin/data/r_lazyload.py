"""Reading objects from an R package's lazy-load database (`Rdata.rdx` / `Rdata.rdb`).

R packages ship their data sets as a lazy-load database: `NAME.rdx` is a
gzip-compressed serialised R list whose `variables` element maps each object name to
its (offset, length) in `NAME.rdb`; each entry there is a 4-byte big-endian length of
the uncompressed data, then (for compression types 2 and 3) one byte naming the
compressor, then the compressed R serialisation of the object. The serialisations are
decoded with the PyPI package `rdata`, so no R installation is needed.
"""

import bz2
import gzip
import lzma
import os
import warnings
import zlib

from keras_margin.utils.errors import DatasetNotFoundError


def read_objects(prefix, names):
    """Returns `{name: object}` for `names` stored in `prefix + ".rdx"/".rdb"`.

    Data frames come back as `pandas.DataFrame`s (factors as categoricals).

    Raises:
        DatasetNotFoundError: if `rdata` is not installed.
        KeyError: naming an object that the database does not hold.
    """
    try:
        import rdata
    except ImportError:
        raise DatasetNotFoundError(
            "reading R data needs the PyPI package rdata; install it (pip install rdata)"
        ) from None
    with open(prefix + ".rdx", "rb") as file:
        index = _convert(rdata, gzip.decompress(file.read()))
    variables = index["variables"]
    compression = int(index["compressed"][0]) if "compressed" in index else 1
    objects = {}
    with open(prefix + ".rdb", "rb") as file:
        for name in names:
            if name not in variables:
                raise KeyError(f"{os.path.basename(prefix)}: no object named {name!r}")
            offset, length = (int(value) for value in variables[name])
            file.seek(offset)
            objects[name] = _convert(rdata, _decompress(file.read(length), compression))
    return objects


def _decompress(blob, compression):
    body = blob[4:]
    if compression == 1:
        return zlib.decompress(body)
    kind, body = body[:1], body[1:]
    if kind == b"0":
        return body
    if kind == b"1":
        return zlib.decompress(body)
    if kind == b"2":
        return bz2.decompress(body)
    if kind == b"Z":
        # R writes raw LZMA2 streams (no .xz container) for compress = 3.
        return lzma.decompress(
            body,
            format=lzma.FORMAT_RAW,
            filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}],
        )
    raise ValueError(f"unknown R lazy-load compression type {kind!r}")


def _convert(rdata, raw):
    with warnings.catch_warnings():
        # The entries carry no file-type header (rdata warns and assumes RDS, which
        # is what they are), and tibbles convert as the data frames they extend.
        warnings.simplefilter("ignore", UserWarning)
        return rdata.conversion.convert(rdata.parser.parse_data(raw))
