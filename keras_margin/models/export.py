"""SavedModel export of a `MarginModel` or an `EmbeddingModel` for serving without labels."""

import keras
import tensorflow as tf


def serving_signature(model):
    """The `tf.TensorSpec` of the model input, from the backbone's symbolic input."""
    inputs = getattr(model.backbone, "inputs", None)
    if not inputs or len(inputs) != 1:
        raise ValueError(
            "Cannot infer the serving input from the backbone (it has no single symbolic "
            "input); pass `input_signature=tf.TensorSpec(shape, dtype)` to `export`."
        )
    symbolic = inputs[0]
    return tf.TensorSpec(symbolic.shape, symbolic.dtype, name="inputs")


def export_serving(model, filepath, input_signature=None, verbose=True, thresholds=None, version=None,
                   classify=True):
    """Writes `model` as a SavedModel with one endpoint, `serving_default`.

    See `MarginModel.export` for what the endpoint returns, and `serving_thresholds` for
    the `thresholds` and `verify` endpoints and the versioned layout. `model` has a
    `backbone`; with `classify=True` also a `head` and a `temperature`, and the endpoint
    returns `probabilities`, `class_id` and `embedding`; with `classify=False` (an
    `EmbeddingModel`) the `embedding` alone.
    """
    from keras_margin.models import serving_thresholds

    if thresholds is not None:
        thresholds = serving_thresholds.checked_thresholds(thresholds)
    filepath = serving_thresholds.versioned_path(filepath, version)
    if input_signature is None:
        input_signature = serving_signature(model)
    elif isinstance(input_signature, keras.InputSpec):
        input_signature = tf.TensorSpec(input_signature.shape, input_signature.dtype, name="inputs")

    def serve(inputs):
        inputs = _checked_shape(inputs, input_signature)
        # An empty batch runs as one row of zeros, cut away at the end: some layers
        # fail on zero rows (Keras' MelSpectrogram pads with MirrorPad, which refuses
        # a dimension of size 0).
        rows = tf.shape(inputs)[0]
        one_row = tf.zeros(tf.concat([[1], tf.shape(inputs)[1:]], 0), inputs.dtype)
        inputs = tf.ensure_shape(tf.cond(rows > 0, lambda: inputs, lambda: one_row), inputs.shape)
        # training=False everywhere: Keras' own export leaves random preprocessing
        # layers in their default (training) state.
        embeddings = model.backbone(inputs, training=False)
        outputs = {}
        if classify:
            logits = model.head(embeddings, training=False)
            probabilities = tf.nn.softmax(tf.cast(logits, tf.float32) / model.temperature, axis=-1)[:rows]
            outputs["probabilities"] = probabilities
            outputs["class_id"] = tf.argmax(probabilities, axis=-1, output_type=tf.int32)
        outputs["embedding"] = tf.math.l2_normalize(tf.cast(embeddings, tf.float32)[:rows], axis=-1, epsilon=1e-24)
        if not inputs.dtype.is_floating:  # ids, strings: nothing can be NaN
            return outputs
        # A NaN or Inf input value has no meaning, and pooling and ReLU can hide it (the
        # network then answers a confident class): such rows answer NaN and class -1,
        # and the other rows of the batch are served as usual.
        finite = tf.reduce_all(tf.reshape(tf.math.is_finite(inputs), [tf.shape(inputs)[0], -1]), axis=-1)[:rows]
        return {
            name: tf.where(finite, value, -1) if name == "class_id" else _where_rows(finite, value, float("nan"))
            for name, value in outputs.items()
        }

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=[input_signature])
    if thresholds is not None:
        serving_thresholds.add_threshold_endpoints(archive, serve, input_signature, thresholds)
    archive.write_out(filepath, verbose=verbose)


def _checked_shape(inputs, signature):
    """`inputs`, after checking every size the signature fixes.

    A SavedModel signature's concrete function does not check the sizes of its input
    against the signature: a 9x9 image given to a model exported for 8x8 would run
    through the global pooling and be classified. It raises InvalidArgumentError instead.
    """
    expected = signature.shape
    if expected.rank is None:
        return inputs
    tf.debugging.assert_rank(inputs, expected.rank, message=f"`inputs` must have shape {expected}")
    actual = tf.shape(inputs)
    checks = [tf.debugging.assert_equal(actual[axis], size, message=f"`inputs` must have shape {expected}")
              for axis, size in enumerate(expected) if size is not None]
    with tf.control_dependencies(checks):
        return tf.identity(inputs)


def _where_rows(keep, values, fill):
    return tf.where(keep[:, None], values, tf.fill(tf.shape(values), tf.constant(fill, values.dtype)))
