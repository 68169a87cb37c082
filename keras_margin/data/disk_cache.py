"""An on-disk cache of generated arrays (`.npz` files), written atomically."""

import hashlib
import json
import os
import tempfile
import zipfile

import numpy as np

CACHE_DIR_VARIABLE = "KERAS_MARGIN_CACHE_DIR"


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


def load(path):
    """The arrays stored at `path` as a dict, or None if the file is missing or damaged."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):
        # A damaged entry (e.g. a disk that filled up) is regenerated, not fatal.
        return None


def save(path, arrays):
    """Writes `arrays` to `path` so that readers see either no file or a whole one.

    The data goes to a temporary file in the same folder, which is then renamed over
    `path`; concurrent writers of the same entry each produce a complete file. Returns
    False (and leaves nothing behind) when the folder is not writable: a cache that
    cannot be written only costs time.
    """
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    except OSError:
        return False
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez_compressed(file, **arrays)
        os.replace(temporary, path)
        return True
    except OSError:
        if os.path.exists(temporary):
            os.remove(temporary)
        return False
