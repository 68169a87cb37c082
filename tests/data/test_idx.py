"""Tests for keras_margin.data.idx.read_idx."""

import gzip

import numpy as np
import pytest

from data_testing import idx_bytes, write_idx
from keras_margin.data import read_idx


def test_reads_hand_written_uint8_file(tmp_path):
    # 0, 0, type 0x08 (uint8), 2 dimensions, sizes 2 and 3 (big-endian), 6 values.
    data = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes([0, 1, 2, 253, 254, 255])
    path = tmp_path / "tiny-idx2-ubyte"
    path.write_bytes(data)
    array = read_idx(path)
    assert array.dtype == np.uint8
    np.testing.assert_array_equal(array, [[0, 1, 2], [253, 254, 255]])


def test_reads_big_endian_int16(tmp_path):
    # 1 = 0x0001 and -2 = 0xFFFE, most significant byte first.
    data = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + bytes([0x00, 0x01, 0xFF, 0xFE])
    path = tmp_path / "short.idx"
    path.write_bytes(data)
    array = read_idx(path)
    np.testing.assert_array_equal(array, [1, -2])
    assert array.dtype == np.int16 and array.dtype.isnative


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("compress", [True, False])
def test_round_trips_every_type(tmp_path, dtype, compress):
    expected = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    path = tmp_path / "values.idx"
    write_idx(path, expected, compress=compress)
    array = read_idx(path)
    assert array.shape == (2, 3, 4) and array.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(array, expected)


def test_gzip_is_detected_from_content_not_name(tmp_path):
    path = tmp_path / "no-gz-suffix-idx1-ubyte"
    path.write_bytes(gzip.compress(idx_bytes(np.array([7, 8, 9], dtype=np.uint8))))
    np.testing.assert_array_equal(read_idx(path), [7, 8, 9])


def test_result_is_writable(tmp_path):
    path = tmp_path / "values.idx"
    write_idx(path, np.zeros((2, 2), dtype=np.uint8))
    array = read_idx(path)
    array[0, 0] = 1
    assert array[0, 0] == 1


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "two zero bytes"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "type byte 0x07"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "header cut short"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x05\x06", "3 bytes) but 2 bytes follow"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "1 bytes) but 2 bytes follow"),
    ],
)
def test_malformed_files_raise_value_error_naming_the_file(tmp_path, data, message):
    path = tmp_path / "broken.idx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="broken.idx") as error:
        read_idx(path)
    assert message in str(error.value)


def test_damaged_gzip_raises_value_error(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.arange(100, dtype=np.uint8)))[:-12])
    with pytest.raises(ValueError, match="broken.gz"):
        read_idx(path)
