"""SavedModel export of a `MarginModel` for serving without labels."""

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


def export_serving(model, filepath, input_signature=None, verbose=True, thresholds=None, version=None):
    """Writes `model` as a SavedModel with one endpoint, `serving_default`.

    See `MarginModel.export` for what the endpoint returns, and `serving_thresholds` for
    the `thresholds` and `verify` endpoints and the versioned layout.
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
        # An empty batch runs as one row of zeros, cut away at the end: some layers
        # fail on zero rows (Keras' MelSpectrogram pads with MirrorPad, which refuses
        # a dimension of size 0).
        rows = tf.shape(inputs)[0]
        one_row = tf.zeros(tf.concat([[1], tf.shape(inputs)[1:]], 0), inputs.dtype)
        inputs = tf.ensure_shape(tf.cond(rows > 0, lambda: inputs, lambda: one_row), inputs.shape)
        # training=False everywhere: Keras' own export leaves random preprocessing
        # layers in their default (training) state.
        embeddings = model.backbone(inputs, training=False)
        logits = model.head(embeddings, training=False)
        probabilities = tf.nn.softmax(tf.cast(logits, tf.float32), axis=-1)[:rows]
        embeddings = tf.cast(embeddings, tf.float32)[:rows]
        return {
            "probabilities": probabilities,
            "class_id": tf.argmax(probabilities, axis=-1, output_type=tf.int32),
            "embedding": tf.math.l2_normalize(embeddings, axis=-1, epsilon=1e-24),
        }

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(name="serving_default", fn=serve, input_signature=[input_signature])
    if thresholds is not None:
        serving_thresholds.add_threshold_endpoints(archive, serve, input_signature, thresholds)
    archive.write_out(filepath, verbose=verbose)
