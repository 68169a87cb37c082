"""Importing TensorFlow without its start-up notices; native logs held back.

TensorFlow 2.21 prints its oneDNN and CPU-feature notices through absl before
`TF_CPP_MIN_LOG_LEVEL` is read, so that variable alone no longer silences them. During
the import, stderr's file descriptor is pointed at a temporary file; afterwards every
line that is not a known start-up notice is written back to stderr, so warnings a user
may need (a missing CUDA library, say) still show. `native_logs_held` does the same
around an operation whose failure is reported by its own message.
"""

import contextlib
import os
import re
import sys
import tempfile

_NOTICES = re.compile(
    r"All log messages before absl::InitializeLog\(\)"
    r"|oneDNN custom operations are on"
    r"|cpu_feature_guard|This TensorFlow binary is optimized to use available CPU"
    r"|To enable the following instructions|rebuild TensorFlow with the appropriate compiler flags"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    # The full wheel (CUDA stubs included) on a machine without an NVIDIA driver.
    r"|Could not find cuda drivers on your machine"
)


def import_tensorflow_quietly():
    """Imports TensorFlow (and Keras) without start-up notices; returns the tf module."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _native_stderr() as captured:
        import tensorflow as tf
        import keras  # noqa: F401
    kept = [line for line in captured if not _NOTICES.search(line)]
    if kept:
        sys.stderr.write("".join(kept))
        sys.stderr.flush()
    return tf


@contextlib.contextmanager
def native_logs_held():
    """Holds back what is written to stderr's file descriptor in the block (native
    code's logs included), and writes it out only if the block succeeds.

    TensorFlow's C++ kernels log a warning for a failure they also raise (a corrupt
    PNG logs "PNG warning" and "Local rendezvous is aborting"), so a caller that turns
    the exception into its own message would otherwise print the problem three times.

    Example:

    >>> with native_logs_held():
    ...     pass
    """
    with _native_stderr() as captured:
        yield
    if captured:
        sys.stderr.write("".join(captured))
        sys.stderr.flush()


@contextlib.contextmanager
def _native_stderr():
    """Points file descriptor 2 at a temporary file in the block; yields a list that
    holds the captured lines once the block has ended (also when it raised)."""
    captured = []
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. an embedded interpreter)
        yield captured
        return
    with tempfile.TemporaryFile(mode="w+b") as stream:
        os.dup2(stream.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            stream.seek(0)
            captured.extend(stream.read().decode("utf-8", "replace").splitlines(keepends=True))
