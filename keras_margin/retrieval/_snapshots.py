"""Atomic saves of a folder of files: numbered snapshots and a `CURRENT` pointer.

A folder cannot be renamed over a non-empty one, so a saved gallery is a folder of
snapshots. Each save writes a new snapshot into a temporary folder beside them (same
file system), fsyncs every file and the folder, renames it to `snapshot-NNNNNN`, and only
then replaces the one-line `CURRENT` file with `os.replace`. A process killed at any
moment therefore leaves `CURRENT` naming a complete snapshot: the new one or the old
one. Saves hold a file lock (`lock`), so two processes saving to one folder take turns; the
previous snapshot is kept so that a reader who read `CURRENT` just before a save can
still open what it named.
"""

import os
import re
import shutil
import tempfile

from keras_margin.utils.atomic_write import write_atomically

POINTER = "CURRENT"
_LOCK = ".lock"
_INCOMPLETE_PREFIX = ".incomplete-"
_SNAPSHOT = re.compile(r"^snapshot-(\d{6,})$")
_KEPT_SNAPSHOTS = 2


def lock(directory):
    """The folder's file lock: held by every save, and by callers that load, change and
    save a gallery so that two processes appending to it do not lose either's items.
    Re-entrant within a thread (one lock object per folder in a process)."""
    from filelock import FileLock

    directory = os.path.abspath(os.fspath(directory))
    _check_is_snapshot_folder(directory)
    os.makedirs(directory, exist_ok=True)
    return FileLock(os.path.join(directory, _LOCK), is_singleton=True)


def save(directory, write_files):
    """Calls `write_files(folder)` on a fresh folder and publishes it atomically."""
    directory = os.path.abspath(os.fspath(directory))
    with lock(directory):
        _remove_incomplete(directory)
        incomplete = tempfile.mkdtemp(prefix=_INCOMPLETE_PREFIX, dir=directory)
        try:
            write_files(incomplete)
            for name in os.listdir(incomplete):
                _fsync_file(os.path.join(incomplete, name))
            _fsync_folder(incomplete)
            numbers = _snapshot_numbers(directory)
            name = f"snapshot-{max(numbers, default=0) + 1:06d}"
            os.replace(incomplete, os.path.join(directory, name))
            _fsync_folder(directory)
        except BaseException:
            shutil.rmtree(incomplete, ignore_errors=True)
            raise
        write_atomically(os.path.join(directory, POINTER), name + "\n")
        _fsync_folder(directory)
        for number in sorted(_snapshot_numbers(directory))[:-_KEPT_SNAPSHOTS]:
            shutil.rmtree(os.path.join(directory, f"snapshot-{number:06d}"), ignore_errors=True)


def current(directory):
    """The folder of the snapshot that `directory/CURRENT` names."""
    directory = os.fspath(directory)
    try:
        with open(os.path.join(directory, POINTER)) as handle:
            name = handle.read().strip()
    except FileNotFoundError:
        raise ValueError(f"{directory!r} is not a saved gallery (no {POINTER} file)") from None
    if not _SNAPSHOT.match(name) or not os.path.isdir(os.path.join(directory, name)):
        raise ValueError(f"{directory!r}: {POINTER} names {name!r}, which is not a snapshot folder")
    return os.path.join(directory, name)


def _check_is_snapshot_folder(directory):
    # Refuse to mix snapshots into a folder that holds something else.
    if not os.path.isdir(directory):
        return
    foreign = [name for name in os.listdir(directory)
               if not (_SNAPSHOT.match(name) or name.startswith(_INCOMPLETE_PREFIX)
                       or name.startswith(f".{POINTER}.tmp-") or name in (POINTER, _LOCK))]
    if foreign:
        raise ValueError(f"{directory!r} holds other files ({', '.join(sorted(foreign)[:3])}); "
                         "save a gallery to an empty or gallery folder")


def _snapshot_numbers(directory):
    return [int(match.group(1)) for match in map(_SNAPSHOT.match, os.listdir(directory)) if match]


def _remove_incomplete(directory):
    # Left by a process killed mid-save; under the lock nobody else is writing one.
    for name in os.listdir(directory):
        if name.startswith(_INCOMPLETE_PREFIX):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def _fsync_file(path):
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
