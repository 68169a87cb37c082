"""keras_margin.utils.atomic_write: whole files or the old one, no temporary left."""

import os
import stat

import pytest

from keras_margin.utils.atomic_write import write_atomically


def test_bytes_text_and_writers_are_written_whole(tmp_path):
    path = tmp_path / "sub" / "file"
    write_atomically(path, b"bytes")
    assert path.read_bytes() == b"bytes"
    write_atomically(path, "text é")
    assert path.read_text(encoding="utf-8") == "text é"
    write_atomically(path, lambda file: file.write(b"from a writer"))
    assert path.read_bytes() == b"from a writer"
    assert os.listdir(tmp_path / "sub") == ["file"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "file"
    write_atomically(path, b"old")

    def crash(file):
        file.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, crash)
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["file"]


def test_the_file_gets_the_umasks_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        write_atomically(tmp_path / "file", b"x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(tmp_path / "file").st_mode) == 0o644
