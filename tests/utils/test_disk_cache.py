"""Tests for keras_margin.utils.disk_cache: atomic writes, and entries checked against
their manifest when read (a wrong entry is rebuilt with a warning, never served)."""

import json
import os
import warnings

import numpy as np
import pytest

from keras_margin.utils import disk_cache
from keras_margin.utils.disk_cache import CacheWarning

ARRAYS = {"images": np.arange(24, dtype=np.uint8).reshape(2, 3, 4),
          "clips": np.linspace(-1, 1, 10).astype(np.float16),
          "count": np.int64(7)}


def _saved(tmp_path):
    path = str(tmp_path / "entry.npz")
    assert disk_cache.save(path, ARRAYS)
    return path


def _rewrite(path, change):
    """Rewrites the entry at `path` with `change(arrays)`, keeping its manifest."""
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    change(arrays)
    with open(path, "wb") as file:
        np.savez_compressed(file, **arrays)


def _no_warning_load(path, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return disk_cache.load(path, **kwargs)


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "sub" / "entry.npz"
    assert disk_cache.save(str(path), ARRAYS)
    loaded = _no_warning_load(str(path), keys=("images", "clips"))
    assert sorted(loaded) == ["clips", "count", "images"]
    for name, array in ARRAYS.items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype and loaded[name].shape == np.shape(array)
    assert os.listdir(tmp_path / "sub") == ["entry.npz"]


def test_a_missing_entry_loads_as_none_silently(tmp_path):
    assert _no_warning_load(str(tmp_path / "absent.npz")) is None


@pytest.mark.parametrize("change, reason", [
    (lambda arrays: arrays.__setitem__("images", np.zeros_like(arrays["images"])),
     "images: sha256"),
    (lambda arrays: arrays.__setitem__("clips", np.full_like(arrays["clips"], np.nan)),
     "clips: sha256"),
    (lambda arrays: arrays.__setitem__("images", arrays["images"][:1]), "images: shape"),
    (lambda arrays: arrays.__setitem__("clips", arrays["clips"].astype(np.float32)),
     "clips: dtype"),
    (lambda arrays: arrays.pop("clips"), "missing clips"),
    (lambda arrays: arrays.pop(disk_cache.MANIFEST_KEY), "no manifest"),
], ids=["zeroed-images", "nan-clips", "fewer-rows", "other-dtype", "missing-key", "old-format"])
def test_an_entry_that_differs_from_its_manifest_is_rebuilt_with_a_warning(
        tmp_path, change, reason):
    path = _saved(tmp_path)
    _rewrite(path, change)
    with pytest.warns(CacheWarning, match=f"{path}: {reason}.*rebuilt"):
        assert disk_cache.load(path) is None


def test_an_entry_without_a_key_the_caller_needs_is_rebuilt(tmp_path):
    path = _saved(tmp_path)
    with pytest.warns(CacheWarning, match="missing labels"):
        assert disk_cache.load(path, keys=("images", "labels")) is None


def test_a_damaged_entry_is_rebuilt_with_a_warning(tmp_path):
    (tmp_path / "damaged.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.warns(CacheWarning, match="unreadable"):
        assert disk_cache.load(str(tmp_path / "damaged.npz")) is None


def test_an_unwritable_folder_is_reported_not_raised(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    assert disk_cache.save(str(blocker / "entry.npz"), {"a": np.zeros(1)}) is False


CONTENT = "".join(f"word{number}\tsynonym{number}\n" for number in range(100)).encode()


@pytest.mark.parametrize("damage, reason", [
    (lambda path: path.write_bytes(CONTENT[: len(CONTENT) // 2]), "lines"),
    (lambda path: path.write_bytes(b""), "0 bytes, 0 lines"),
    (lambda path: path.write_bytes(CONTENT.replace(b"word7\t", b"wort7\t")), "SHA-256"),
    (lambda path: os.remove(str(path) + disk_cache.MANIFEST_SUFFIX), "no readable manifest"),
], ids=["truncated", "emptied", "edited", "no-manifest"])
def test_a_cached_file_that_differs_from_its_manifest_is_not_intact(tmp_path, damage, reason):
    path = tmp_path / "table.tsv"
    disk_cache.save_file(str(path), CONTENT)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert disk_cache.is_intact(str(path))
        assert not disk_cache.is_intact(str(tmp_path / "absent.tsv"))
    manifest = json.loads((tmp_path / "table.tsv.manifest.json").read_text())
    assert manifest["lines"] == 100 and manifest["bytes"] == len(CONTENT)
    damage(path)
    with pytest.warns(CacheWarning, match=reason):
        assert not disk_cache.is_intact(str(path))


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
