"""Running a wrapped layer on a per-image subset of a batch (RandomApply, RandomChoice)."""

import keras
import tensorflow as tf

from keras_margin.augment.image import _layer


def check_layer(layer, name):
    if not isinstance(layer, keras.layers.Layer):
        raise ValueError(f"`{name}` must be a Keras layer; received {layer!r}.")
    if getattr(layer, "mixes_labels", False):
        raise ValueError(
            f"`{name}` must transform images alone; {type(layer).__name__} mixes "
            "images and labels across the batch, which a per-image subset cannot do."
        )
    return layer


def run_on_groups(images, group, layers, seed):
    """`layers[g]` on the images of group `g` (None: unchanged), put back in order.

    Every layer runs once, on its group as a batch, and not at all when the group is
    empty. All groups come out in the dtype the first layer declares for its output
    (`compute_output_spec`), cast (rounded and clipped for integer dtypes) if needed.
    """
    n = tf.shape(images)[0]
    count = len(layers)
    first = next(layer for layer in layers if layer is not None)
    spec = first.compute_output_spec(keras.KerasTensor(images.shape, images.dtype.name))
    dtype = tf.as_dtype(keras.backend.standardize_dtype(spec.dtype))
    parts = tf.dynamic_partition(images, group, count)
    positions = tf.dynamic_partition(tf.range(n), group, count)

    def transform(g, part):
        layer = layers[g]
        if layer is None:
            out = part
        elif isinstance(layer, _layer.AugmentationLayer):
            seed_g = tf.random.experimental.stateless_fold_in(seed, g)
            out = layer(part, training=True, seed=seed_g)
        else:
            out = layer(part, training=True)
        return _cast(tf.convert_to_tensor(out), dtype)

    outputs = [
        tf.cond(
            tf.shape(part)[0] > 0,
            lambda g=g, part=part: transform(g, part),
            lambda part=part: _cast(part, dtype),
        )
        for g, part in enumerate(parts)
    ]
    stitched = tf.dynamic_stitch(positions, outputs)
    stitched.set_shape(images.shape)
    return stitched


def _cast(values, dtype):
    if values.dtype == dtype:
        return values
    if dtype.is_integer and values.dtype.is_floating:
        values = tf.clip_by_value(tf.round(values), float(dtype.min), float(dtype.max))
    return tf.cast(values, dtype)


def serialize(layer):
    return keras.saving.serialize_keras_object(layer)


def deserialize(config):
    return keras.saving.deserialize_keras_object(config)
