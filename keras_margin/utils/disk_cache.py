"""An on-disk cache of generated data, written atomically and checked when read.

Two kinds of entry: arrays (`save`/`load`, one `.npz` file) and whole files
(`save_file`/`is_intact`, the file and a `<file>.manifest.json` beside it, for files that
others read by path, such as the synonym tables that `tf.lookup` loads). Either way the
entry carries a manifest: the SHA-256 and the size of every array (its shape, so its
row count) or of the file's bytes (and its line count). Reading an entry checks it
against its manifest; one that does not match (truncated, edited, a key missing, written
by an older version without a manifest) is reported with a `CacheWarning` and treated as
missing, so the caller rebuilds it. A cache may only ever cost time, never serve
different data.
"""

import hashlib
import json
import os
import warnings
import zipfile

import numpy as np

from keras_margin.utils.atomic_write import write_atomically

CACHE_DIR_VARIABLE = "KERAS_MARGIN_CACHE_DIR"
# The `.npz` member holding the manifest of the other arrays (a JSON string).
MANIFEST_KEY = "__manifest__"
MANIFEST_SUFFIX = ".manifest.json"


class CacheWarning(RuntimeWarning):
    """A cache entry did not match its manifest and is rebuilt."""


def cache_dir(override=None):
    """The cache folder: `override`, else `$KERAS_MARGIN_CACHE_DIR`, else
    `$XDG_CACHE_HOME/keras_margin` (by default `~/.cache/keras_margin`)."""
    if override is not None:
        return os.fspath(override)
    if os.environ.get(CACHE_DIR_VARIABLE):
        return os.environ[CACHE_DIR_VARIABLE]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "keras_margin")


def key_of(description):
    """A short hex digest of a JSON-serialisable `description` of what was generated."""
    text = json.dumps(description, sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def load(path, keys=()):
    """The arrays stored at `path` as a dict, or None if the entry must be (re)built.

    None for a missing file, silently; for a damaged one, an entry without its
    manifest, one whose arrays differ from their manifest in shape, type or checksum,
    or one lacking any of `keys`, with a `CacheWarning` naming the file and what is
    wrong.

    Args:
        path: the `.npz` file written by `save`.
        keys: names the caller will read; an entry without one of them is rebuilt.
    """
    if not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        manifest = json.loads(str(arrays.pop(MANIFEST_KEY))) if MANIFEST_KEY in arrays else None
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as error:
        # A damaged entry (e.g. a disk that filled up) is rebuilt, not fatal.
        _rejected(path, f"unreadable ({type(error).__name__}: {error})")
        return None
    problem = "no manifest (written by an older version or another tool)" if manifest is None \
        else _mismatch(arrays, manifest, keys)
    if problem:
        _rejected(path, problem)
        return None
    return arrays


def save(path, arrays):
    """Writes `arrays` (a dict of NumPy arrays) and their manifest to `path`, atomically.

    Readers see either no file or a whole one; concurrent writers of the same entry
    each produce a complete file. Returns False (and leaves nothing behind) when the
    folder is not writable: a cache that cannot be written only costs time.
    """
    arrays = {name: np.asarray(array) for name, array in arrays.items()}
    manifest = {name: _describe(array) for name, array in arrays.items()}
    try:
        write_atomically(
            path,
            lambda file: np.savez_compressed(
                file, **arrays, **{MANIFEST_KEY: np.asarray(json.dumps(manifest, sort_keys=True))}
            ),
        )
    except OSError:
        return False
    return True


def save_file(path, content):
    """Writes `content` (bytes) to `path` and its manifest beside it, atomically.

    The file is written first, so a reader never finds a manifest for another content.

    Raises:
        OSError: if the folder is not writable.
    """
    write_atomically(path, content)
    write_atomically(path + MANIFEST_SUFFIX, json.dumps(_describe_bytes(content), sort_keys=True))


def is_intact(path):
    """True if the file `path` written by `save_file` still matches its manifest.

    False for a missing file, silently; for a file without a readable manifest or
    whose bytes differ from it (truncated, emptied, edited), with a `CacheWarning`.
    """
    if not os.path.exists(path):
        return False
    try:
        with open(path + MANIFEST_SUFFIX, encoding="utf-8") as file:
            expected = json.load(file)
        with open(path, "rb") as file:
            found = _describe_bytes(file.read())
    except (OSError, ValueError) as error:
        _rejected(path, f"no readable manifest ({type(error).__name__}: {error})")
        return False
    if found != expected:
        said = {field: str(expected.get(field)) for field in ("bytes", "lines", "sha256")}
        _rejected(path, f"{found['bytes']} bytes, {found['lines']} lines, SHA-256 "
                        f"{found['sha256'][:12]}; its manifest says {said['bytes']} bytes, "
                        f"{said['lines']} lines, SHA-256 {said['sha256'][:12]}")
        return False
    return True


def _describe(array):
    memory = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "sha256": hashlib.sha256(memory).hexdigest()}


def _describe_bytes(content):
    return {"bytes": len(content), "lines": content.count(b"\n"),
            "sha256": hashlib.sha256(content).hexdigest()}


def _mismatch(arrays, manifest, keys):
    """What is wrong with `arrays` against `manifest` and the `keys` wanted, or ''."""
    absent = sorted(set(manifest) - set(arrays)) + sorted(set(keys) - set(manifest))
    if absent:
        return f"missing {', '.join(absent)}"
    if set(arrays) != set(manifest):
        return f"arrays not in its manifest: {', '.join(sorted(set(arrays) - set(manifest)))}"
    for name, array in sorted(arrays.items()):
        found, expected = _describe(array), manifest[name]
        for field in ("dtype", "shape", "sha256"):
            if found[field] != expected.get(field):
                return (f"{name}: {field} {found[field]} where its manifest says "
                        f"{expected.get(field)}")
    return ""


def _rejected(path, reason):
    warnings.warn(f"cache entry {path}: {reason}; it is rebuilt.", CacheWarning, stacklevel=3)
