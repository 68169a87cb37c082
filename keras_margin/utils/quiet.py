"""Importing Keras and TensorFlow without TensorFlow's start-up notices; native logs held back.

TensorFlow 2.21 prints its oneDNN, CPU-feature and "no CUDA driver" notices through
absl before `TF_CPP_MIN_LOG_LEVEL` is read, so that variable alone no longer silences
them. During the import, stderr's file descriptor is pointed at a temporary file;
afterwards every line that is not a known start-up notice is written back to stderr, so
warnings a user may need (a missing CUDA library on a machine that has a driver, say)
still show. TensorFlow's native INFO lines after start-up ("XLA service ... initialized",
"Compiled cluster using XLA!") are held back by setting `TF_CPP_MIN_LOG_LEVEL=1` before
the import, unless the user has set it: warnings and errors still print.
`native_logs_held` does the same around an operation whose failure is reported by its
own message.

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
    + ("" if os.path.exists("/dev/nvidiactl") else r"|Could not find cuda drivers on your machine"
       r"|failed call to cuInit")
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
    _write_to_stderr(captured)


@contextlib.contextmanager
def _start_up_notices_filtered():
    # The lines are written back even when the import fails: they may say why.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
    captured = []
    try:
        with _native_stderr() as captured:
            yield
            if "tensorflow" in sys.modules:
                # The first look for GPUs logs "failed call to cuInit" where there is no
                # driver; looking now, while stderr is filtered, keeps it out of a user's
                # first operation. It does not initialise the runtime.
                sys.modules["tensorflow"].config.list_physical_devices("GPU")
    finally:
        _write_to_stderr(line for line in captured if not _NOTICES.search(line))


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


def _write_to_stderr(lines):
    text = "".join(lines)
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()
