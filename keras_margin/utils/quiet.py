"""Importing TensorFlow without its start-up log lines (for the CLI and the tests).

TensorFlow 2.21 prints its oneDNN and CPU-feature notices through absl before
`TF_CPP_MIN_LOG_LEVEL` is read, so the environment variable alone no longer silences
them; the file descriptor of stderr is pointed at /dev/null for the import instead.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def _stderr_silenced():
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. embedded interpreter)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow_quietly():
    """Imports TensorFlow (and Keras) with start-up logs off; returns the tf module.

    Errors raised by the import itself still propagate; only what TensorFlow's C++
    runtime writes to stderr during the import is dropped.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with _stderr_silenced():
        import tensorflow as tf
        import keras  # noqa: F401

        tf.get_logger().setLevel("ERROR")
    return tf
