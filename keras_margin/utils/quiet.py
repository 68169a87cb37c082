"""Importing Keras and TensorFlow without TensorFlow's start-up notices.

TensorFlow 2.21 prints its oneDNN, CPU-feature and "no CUDA driver" notices through
absl before `TF_CPP_MIN_LOG_LEVEL` is read, so that variable alone no longer silences
them. During the import, stderr's file descriptor is pointed at a temporary file;
afterwards every line that is not a known start-up notice is written back to stderr, so
warnings a user may need (a missing CUDA library on a machine that has a driver, say)
still show.

`import_keras_quietly` imports Keras, which imports TensorFlow only when TensorFlow is
the Keras backend; `import_tensorflow_quietly` imports TensorFlow whatever the backend,
for the parts of keras_margin built on `tf.data` (data, augmentation, export).
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
    # The `tensorflow` wheel (not `tensorflow-cpu`) looks for CUDA at import. Where there
    # is no NVIDIA device at all, its "Could not find cuda drivers" says nothing; where
    # there is one, it means a broken driver set-up, and it shows.
    + ("" if os.path.exists("/dev/nvidiactl") else r"|Could not find cuda drivers on your machine")
)


def import_keras_quietly():
    """Imports Keras (and TensorFlow if it is the backend) without start-up notices."""
    if "keras" not in sys.modules:
        with _start_up_notices_filtered():
            import keras  # noqa: F401
    return sys.modules["keras"]


def import_tensorflow_quietly():
    """Imports TensorFlow (and Keras) without start-up notices; returns the tf module."""
    if "tensorflow" not in sys.modules:
        with _start_up_notices_filtered():
            import tensorflow  # noqa: F401
            import keras  # noqa: F401
    return sys.modules["tensorflow"]


@contextlib.contextmanager
def _start_up_notices_filtered():
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (e.g. an embedded interpreter)
        yield
        return
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            kept = [
                line
                for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True)
                if not _NOTICES.search(line)
            ]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()
