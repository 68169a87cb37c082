"""Label handling shared by every head: class ids or (soft) label matrices."""

import numpy as np
from keras import backend, ops


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

    In eager execution and in TensorFlow graphs an id out of range raises
    `InvalidArgumentError` / `ValueError`. Where no check can run (XLA, JAX jit) the caller
    poisons the affected rows with NaN through `valid_class_ids`, so a bad id can never
    produce a plausible but wrong loss.
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
    ids = ops.cast(labels, "int32")
    if backend.is_float_dtype(backend.standardize_dtype(labels.dtype)):
        # A float id such as 2.7 would be truncated to 2 by the cast.
        _check(ops.equal(ops.cast(ids, labels.dtype), labels), "`labels` given as floats must be whole numbers (class ids).")
    return _check_in_range(ids, num_classes)


def valid_class_ids(ids, num_classes):
    """Boolean (batch,) vector: which ids lie in [0, num_classes)."""
    return ops.logical_and(ids >= 0, ids < num_classes)


def _check_in_range(ids, num_classes):
    message = (
        f"`labels` must be class ids in [0, {num_classes}) (num_classes={num_classes}); "
        "found an id outside that range."
    )
    return _check(valid_class_ids(ids, num_classes), message, ids)


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
