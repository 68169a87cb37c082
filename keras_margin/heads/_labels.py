"""Label handling shared by every head: class ids or (soft) label matrices."""

import numpy as np
from keras import backend, ops

from keras_margin.heads._class_logits import _in_xla_context


def is_label_matrix(labels, num_classes):
    """True for a floating (batch, num_classes) one-hot or soft label matrix.

    Anything else is read as class ids: shape (batch,) or (batch, 1), integer or float.
    """
    shape = tuple(labels.shape)
    return (
        len(shape) == 2
        and shape[-1] == num_classes
        and backend.is_float_dtype(backend.standardize_dtype(labels.dtype))
    )


def class_ids(labels, num_classes):
    """Returns `labels` as an int32 vector of class ids, checked to lie in [0, num_classes).

    The checks run on the labels as given, before the cast to int32: an int64 id of
    2^32 + 1 would wrap around to 1, and a float id of 2.5 or NaN would be truncated.
    In eager execution and in TensorFlow graphs a bad id raises `ValueError` /
    `InvalidArgumentError`. Where no check can run (XLA, JAX jit) a bad id is returned
    as -1, which the caller turns into NaN logits (`valid_class_ids`), so a bad id can
    never produce a plausible but wrong loss.
    """
    shape = tuple(labels.shape)
    if len(shape) == 2 and shape[-1] == 1:
        labels = ops.squeeze(labels, axis=-1)
    elif len(shape) != 1:
        raise ValueError(
            "`labels` must be class ids of shape (batch,) or (batch, 1), or a "
            f"(batch, {num_classes}) floating label matrix. Received shape {shape} "
            f"with dtype {backend.standardize_dtype(labels.dtype)}."
        )
    labels = ops.convert_to_tensor(labels)
    dtype = backend.standardize_dtype(labels.dtype)
    is_float = backend.is_float_dtype(dtype)
    if dtype in ("bool", "int8", "int16", "uint8", "uint16"):
        # `num_classes` (< 2^31) may not fit these; it fits every other integer dtype.
        labels = ops.cast(labels, "int32")
    valid = ops.logical_and(labels >= 0, labels < num_classes)
    if is_float:
        # NaN fails every comparison, so it is invalid here too.
        whole = ops.equal(ops.floor(labels), labels)
        labels = _check(whole, "`labels` given as floats must be whole numbers (class ids).", labels)
        valid = ops.logical_and(valid, whole)
    message = (
        f"`labels` must be class ids in [0, {num_classes}) (num_classes={num_classes}); "
        "found an id outside that range."
    )
    ids = ops.where(valid, ops.cast(labels, "int32"), -1)
    return _check(valid, message, ids)


def valid_class_ids(ids, num_classes):
    """Boolean (batch,) vector: which ids lie in [0, num_classes)."""
    return ops.logical_and(ids >= 0, ids < num_classes)


def checks_raise():
    """Whether a failed label check raises here: TensorFlow outside XLA.

    Elsewhere (XLA, and JAX or PyTorch, which may be tracing) callers must make a bad
    label visible themselves.
    """
    return backend.backend() == "tensorflow" and not _in_xla_context()


def _check(condition, message, value=None):
    """Raises with `message` unless `condition` holds everywhere; returns `value`.

    Eager: raises ValueError now. TensorFlow graph: an assertion the returned value
    depends on (InvalidArgumentError when run). Elsewhere (JAX jit, XLA) nothing can
    raise; callers make the damage visible instead.
    """
    if backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.executing_eagerly():
            if not bool(np.all(condition.numpy())):
                raise ValueError(message)
            return value
        with tf.control_dependencies([tf.debugging.Assert(tf.reduce_all(condition), [message])]):
            return None if value is None else tf.identity(value)
    try:
        concrete = ops.convert_to_numpy(condition)  # a CUDA tensor too (PyTorch)
    except Exception:  # a traced value (jit)
        return value
    if not bool(np.all(concrete)):
        raise ValueError(message)
    return value
