"""Tests for keras_margin.data.disk_cache."""

import os

import numpy as np

from keras_margin.data import disk_cache


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "entry.npz"
    arrays = {"images": np.arange(12, dtype=np.uint8).reshape(3, 4), "labels": np.arange(3)}
    assert disk_cache.save(str(path), arrays)
    loaded = disk_cache.load(str(path))
    assert sorted(loaded) == ["images", "labels"]
    np.testing.assert_array_equal(loaded["images"], arrays["images"])
    assert os.listdir(tmp_path / "sub") == ["entry.npz"]


def test_missing_or_damaged_entries_load_as_none(tmp_path):
    assert disk_cache.load(str(tmp_path / "absent.npz")) is None
    (tmp_path / "damaged.npz").write_bytes(b"PK\x03\x04 truncated")
    assert disk_cache.load(str(tmp_path / "damaged.npz")) is None


def test_an_unwritable_folder_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    assert disk_cache.save(str(blocker / "entry.npz"), {"a": np.zeros(1)}) is False


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv(disk_cache.CACHE_DIR_VARIABLE, str(tmp_path / "env"))
    assert disk_cache.cache_dir(tmp_path / "arg") == str(tmp_path / "arg")
    assert disk_cache.cache_dir() == str(tmp_path / "env")
    monkeypatch.delenv(disk_cache.CACHE_DIR_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk_cache.cache_dir() == str(tmp_path / "xdg" / "keras_margin")


def test_keys_depend_on_every_part_of_the_description():
    base = {"characters": ["A", "B"], "size": 32}
    assert disk_cache.key_of(base) == disk_cache.key_of({"size": 32, "characters": ["A", "B"]})
    assert disk_cache.key_of(base) != disk_cache.key_of({**base, "size": 28})
    assert disk_cache.key_of(base) != disk_cache.key_of({**base, "characters": ["A"]})
