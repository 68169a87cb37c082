"""Verification thresholds stored in a SavedModel, and TensorFlow Serving's folder layout.

`MarginModel.export(path, thresholds={"1e-3": t, ...})` adds two endpoints, so that a
served model decides "same identity" without keras_margin:

    thresholds()                  -> {"far": (k,) float64, "threshold": (k,) float64}
    verify(inputs_a, inputs_b)    -> {"score": (batch,) float32 cosine,
                                      "same_at_far_<far>": (batch,) bool, one per FAR}

`far_<far>` keys use `keras_margin.metrics.report.far_key` (`1e-3`). `version=N` writes
the SavedModel to `path/N/`, the layout TensorFlow Serving watches under its
`--model_base_path`.
"""

import os

from keras_margin.metrics.report import far_key
from keras_margin.utils import validation


def checked_thresholds(thresholds):
    """`{far_key: threshold}` from `{far: threshold}` (FAR as a number or a string)."""
    if not isinstance(thresholds, dict) or not thresholds:
        raise ValueError(f"`thresholds` must be a non-empty dict {{far: threshold}}; received {thresholds!r}.")
    checked = {}
    for far, threshold in thresholds.items():
        try:
            far_value = float(far)
        except (TypeError, ValueError):
            raise ValueError(f"`thresholds` keys must be FARs such as '1e-3'; received {far!r}.") from None
        validation.number_in_range(far_value, "thresholds (FAR)", 0.0, 1.0, low_open=True)
        checked[far_key(far_value)] = validation.number_in_range(threshold, f"thresholds[{far!r}]")
    return dict(sorted(checked.items(), key=lambda item: float(item[0])))


def versioned_path(filepath, version):
    """`filepath/version` for TensorFlow Serving, or `filepath` when `version` is None."""
    if version is None:
        return filepath
    return os.path.join(filepath, str(validation.integer_at_least(version, 1, "version")))


def add_threshold_endpoints(archive, serve, input_signature, thresholds):
    """Adds `thresholds` and `verify` (see the module docstring) to an `ExportArchive`."""
    import tensorflow as tf

    fars = list(thresholds)
    values = tf.constant([thresholds[far] for far in fars], tf.float64)

    def stored_thresholds():
        return {"far": tf.constant([float(far) for far in fars], tf.float64), "threshold": values}

    def verify(inputs_a, inputs_b):
        score = tf.reduce_sum(serve(inputs_a)["embedding"] * serve(inputs_b)["embedding"], axis=-1)
        score = tf.clip_by_value(score, -1.0, 1.0)
        decisions = {f"same_at_far_{far}": tf.cast(score, tf.float64) >= values[i] for i, far in enumerate(fars)}
        return {"score": score, **decisions}

    spec = lambda name: tf.TensorSpec(input_signature.shape, input_signature.dtype, name=name)  # noqa: E731
    archive.add_endpoint(name="thresholds", fn=stored_thresholds, input_signature=[])
    archive.add_endpoint(name="verify", fn=verify, input_signature=[spec("inputs_a"), spec("inputs_b")])
