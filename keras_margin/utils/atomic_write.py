"""`write_atomically`: replace a file so that a reader sees the old or the new one whole."""

import os
import uuid


def write_atomically(path, data):
    """Writes `data` to `path` through a temporary file that is fsynced and renamed.

    A process killed at any moment, a full disk or a concurrent writer of the same path
    leaves either the previous file or a complete new one, never part of one, and no
    temporary file behind.

    Args:
        path: the file to write; its folder is created if needed.
        data: `bytes`, a `str` (written as UTF-8), or a callable that writes to the
            binary file object it is given (`numpy.savez_compressed`, say).

    Raises:
        OSError: if the folder cannot be created or written; `path` is unchanged.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(
        folder, f".{os.path.basename(path)}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    )
    # os.open rather than tempfile.mkstemp: the file gets the umask's permissions (a
    # shared results file stays readable by others), not mkstemp's owner-only 0600.
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            if callable(data):
                data(file)
            else:
                file.write(data.encode("utf-8") if isinstance(data, str) else data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
