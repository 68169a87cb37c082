"""Output files and folders, checked before a long job starts (writes: `atomic_write`)."""

import os
import tempfile


def check_writable_folder(path, name):
    """Raises `ValueError` naming `name` unless `path` is a folder this process can
    write in, or can create.

    Checked by creating and removing a file in `path`, or in the nearest folder above
    it that exists, so a read-only file system and a missing permission are caught even
    for root (whom `os.access` always answers yes).
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{name} {path!r} is a file, not a folder.")
    existing = path
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ValueError(f"{name} {path!r} cannot be created: {existing!r} is a file, not a folder.")
    try:
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".write-check-")
    except OSError as error:
        raise ValueError(f"{name} {path!r} is not writable: cannot create a file in {existing!r} "
                         f"({error.strerror}).") from None
    os.close(handle)
    os.remove(probe)


def check_writable_file(path, name):
    """Raises `ValueError` naming `name` unless a file can be written at `path` (its
    folder is created if missing)."""
    path = os.path.abspath(os.fspath(path))
    if os.path.isdir(path):
        raise ValueError(f"{name} {path!r} is a folder, not a file.")
    check_writable_folder(os.path.dirname(path), f"the folder of {name}")

