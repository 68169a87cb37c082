"""A reader for the IDX format of (Fashion-)MNIST, in plain numpy."""

import gzip
import math
import os
import struct

import numpy as np

# IDX type byte -> element type. Multi-byte values are stored big-endian.
_IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path):
    """Reads an IDX file (optionally gzip-compressed) into a numpy array.

    The IDX header is two zero bytes, a type byte (0x08 uint8, 0x09 int8, 0x0B int16,
    0x0C int32, 0x0D float32, 0x0E float64), a byte holding the number of dimensions
    `ndim`, then `ndim` big-endian uint32 sizes; the values follow, big-endian, in
    row-major order. Compression is detected from the content, not the file name.

    Args:
        path: path of the `.idx` / `-ubyte` file, gzip-compressed or not.

    Returns:
        A writable numpy array in native byte order with the shape from the header.

    Raises:
        ValueError: if the file is not a well-formed IDX file (the message names it).

    Example:

    >>> images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
    >>> images.shape, images.dtype
    ((10000, 28, 28), dtype('uint8'))
    """
    path = os.fspath(path)
    with open(path, "rb") as file:
        data = file.read()
    if data[:2] == _GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: damaged gzip data ({error}).") from None
    return _parse(data, path)


def _parse(data, path):
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path}: not an IDX file (it must start with two zero bytes).")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type byte 0x{type_code:02X}.")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(f"{path}: IDX header cut short ({ndim} dimensions announced).")
    shape = struct.unpack(f">{ndim}I", data[4:header_size])
    dtype = _IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize
    actual = len(data) - header_size
    if actual != expected:
        raise ValueError(
            f"{path}: IDX header announces shape {shape} of {dtype.name} "
            f"({expected} bytes) but {actual} bytes follow."
        )
    values = np.frombuffer(data, dtype=dtype, offset=header_size).reshape(shape)
    # astype copies: the result is writable and in the machine's byte order.
    return values.astype(dtype.newbyteorder("="))
