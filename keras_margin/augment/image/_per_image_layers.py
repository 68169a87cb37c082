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
    empty. The output dtype is that of the first layer's output; other groups are cast
    to it (rounded and clipped for integer dtypes).
    """
    n = tf.shape(images)[0]
    count = len(layers)
    parts = tf.dynamic_partition(images, group, count)
    positions = tf.dynamic_partition(tf.range(n), group, count)
    traced = {}

    def transform(g, part):
        layer = layers[g]
        if layer is None:
            return part
        if isinstance(layer, _layer.AugmentationLayer):
            seed_g = tf.random.experimental.stateless_fold_in(seed, g)
            return layer(part, training=True, seed=seed_g)
        return layer(part, training=True)

    outputs = []
    for g in range(count):
        part = parts[g]

        def apply(g=g, part=part):
            out = tf.convert_to_tensor(transform(g, part))
            traced[g] = out.dtype
            return out

        # cond traces the true branch first, so the skip branch knows the dtype.
        outputs.append(
            tf.cond(
                tf.shape(part)[0] > 0,
                apply,
                lambda g=g, part=part: tf.cast(part, traced[g]),
            )
        )
    dtype = outputs[0].dtype
    outputs = [_cast(out, dtype) for out in outputs]
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
