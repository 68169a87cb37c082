"""The base class of this package's random image layers, and the helpers they share.

Why a base class of our own rather than Keras' `BaseImagePreprocessingLayer`: that
class converts every input to the layer's float compute dtype before `call`, so a uint8
batch costs a 4x larger float copy before any work starts, and the fast paths here work
on uint8 (a look-up, a mask or a nearest-neighbour warp needs no float at all). And its
randomness lives in a `keras.random.SeedGenerator` variable that concurrent `tf.data`
map calls read and advance non-atomically; here every random draw is a stateless
function of a seed tensor, which the caller may pass (see `seeded_map`).

The layers compute with TensorFlow ops directly. That makes them graph-native in
`tf.data` whatever `KERAS_BACKEND` is (tf.data always runs TensorFlow); with
`training=False` they return their input untouched, so a model that contains them runs
and exports on any backend.
"""

import math
import numbers
import random

import keras
import tensorflow as tf

from keras_margin.utils import validation

try:  # Keras' record of the layer call in progress (private; checked with Keras 3.15).
    from keras.src.backend.common import global_state as _keras_global_state
except ImportError:  # pragma: no cover - a Keras without it: every call is direct
    _keras_global_state = None

# Largest value of a seed drawn from Python's `random` (kept in int32 so it prints and
# serialises plainly).
_MAX_SEED = 2**31 - 1


class AugmentationLayer(keras.layers.Layer):
    """A random layer that runs in `tf.data` on any backend, with stateless seeds.

    Subclasses implement `augment(inputs, seed)` for the training path; `seed` is a
    shape-(2,) int64 tensor, already specific to this layer, to be split with
    `split_seed`. With `training=False`, `call` returns its input unchanged, unless the
    subclass overrides `inference(inputs)`.

    Training mode: called directly (`layer(x)`, `dataset.map(layer)`) the layer
    augments unless told `training=False`. Inside a model it follows the model: it
    augments in `fit` and not in `predict`, and not when the model is called without
    a `training` argument, which is how `model.export()` serves. (Keras' own random
    layers default to `training=True` there and so augment in an exported model.)

    Seeds: `layer(x, seed=s)` makes the output a pure function of `(x, s, layer.seed)`.
    Without `seed=`, each call takes a fresh seed from a `tf.random.Generator` (one
    atomic read-and-advance, so concurrent map calls never share a draw) seeded from
    the layer's `seed` argument; that is reproducible under a sequential map only.
    """

    def __init__(self, seed=None, **kwargs):
        if seed is not None:
            seed = validation.integer_at_least(seed, 0, "seed")
        super().__init__(**kwargs)
        self.seed = seed
        # A seed-free layer still needs a salt that sets it apart from other layers
        # given the same per-element seed; `random` follows keras.utils.set_random_seed.
        self._salt = seed if seed is not None else random.randint(0, _MAX_SEED)
        self._generator = tf.random.Generator.from_seed(self._salt)
        self.supports_jit = False

    def __call__(self, inputs, *args, **kwargs):
        symbolic = isinstance(tf.nest.flatten(inputs)[0], keras.KerasTensor)
        # Not when building a functional model: it would record training=True in the
        # graph and replay it at inference.
        if (
            not symbolic
            and kwargs.get("training") is None
            and not args
            and _is_outermost_call()
        ):
            kwargs["training"] = True
        if not symbolic and not tf.executing_eagerly():
            # Inside a tf.data map (a TensorFlow graph): Keras must not convert the
            # TensorFlow tensors to the configured backend's arrays (JAX, torch).
            convert, self._convert_input_args = self._convert_input_args, False
            try:
                return super().__call__(inputs, *args, **kwargs)
            finally:
                self._convert_input_args = convert
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs, training=None, seed=None):
        if not training:
            return self.inference(inputs)
        return self.augment(inputs, self.layer_seed(seed))

    def layer_seed(self, seed=None):
        """The (2,) int64 seed this layer uses for a call given the caller's `seed`."""
        if seed is None:
            seed = self._generator.make_seeds(1)[:, 0]
        seed = tf.cast(tf.reshape(seed, [-1]), tf.int64)
        seed = tf.concat([seed, tf.zeros([2], tf.int64)], 0)[:2]
        return tf.random.experimental.stateless_fold_in(seed, self._salt)

    def inference(self, inputs):
        return inputs

    def augment(self, inputs, seed):
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs, *args, **kwargs):
        # Describe the output without tracing the random graph on symbolic inputs.
        return tf.nest.map_structure(
            lambda x: keras.KerasTensor(self.compute_output_shape(x.shape), x.dtype),
            inputs,
        )

    def get_config(self):
        config = super().get_config()
        config["seed"] = self.seed
        return config


def _is_outermost_call():
    """True unless this layer is being called from inside another layer or model."""
    if _keras_global_state is None:
        return True
    return _keras_global_state.get_global_attribute("current_call_ctx") is None


def split_seed(seed, count):
    """`count` independent (2,) seeds derived from one."""
    return tf.unstack(tf.random.experimental.stateless_split(seed, count))


def images_of(inputs):
    """The image tensor of a bare tensor, an `(images, ...)` tuple or an images dict."""
    if isinstance(inputs, dict):
        return inputs["images"]
    if isinstance(inputs, (tuple, list)):
        return inputs[0]
    return inputs


def with_images(inputs, images):
    """`inputs` with its image tensor replaced by `images` (same structure)."""
    if isinstance(inputs, dict):
        return {**inputs, "images": images}
    if isinstance(inputs, (tuple, list)):
        return type(inputs)([images, *inputs[1:]])
    return images


def as_batch(images):
    """Returns `(batch, unbatch)`: a rank-4 tensor and the function that undoes it."""
    images = tf.convert_to_tensor(images)
    if images.shape.rank == 3:
        return images[None], lambda x: x[0]
    if images.shape.rank != 4:
        raise ValueError(
            "Image layers expect (height, width, channels) or (batch, height, width, "
            f"channels) images, channels-last; received shape {images.shape}."
        )
    return images, lambda x: x


def to_levels(images, value_range):
    """Images as uint8 levels 0..255 of `value_range` (rounded, clipped)."""
    if images.dtype == tf.uint8 and value_range == (0.0, 255.0):
        return images
    low, high = value_range
    scaled = (tf.cast(images, tf.float32) - low) * (255.0 / (high - low))
    return tf.cast(tf.clip_by_value(tf.round(scaled), 0.0, 255.0), tf.uint8)


def from_levels(levels, value_range, dtype):
    """Inverse of `to_levels`, into `dtype` (integers are rounded)."""
    if dtype == tf.uint8 and value_range == (0.0, 255.0):
        return levels
    low, high = value_range
    values = tf.cast(levels, tf.float32) * ((high - low) / 255.0) + low
    if dtype.is_integer:
        values = tf.round(values)
    return tf.cast(values, dtype)


def check_value_range(value_range):
    message = (
        "`value_range` must be a pair (low, high) of finite numbers with low < high, "
        f"such as (0, 255) or (0, 1); received {value_range!r}."
    )
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(message)
    for bound in value_range:
        if not is_number(bound):
            raise ValueError(message)
    low, high = float(value_range[0]), float(value_range[1])
    if not low < high:
        raise ValueError(message)
    return (low, high)


def is_number(value):
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and math.isfinite(value)
    )


def check_pair(value, name, low, high, what="numbers"):
    """A `(a, b)` pair with `low <= a <= b <= high`, as floats."""
    message = (
        f"`{name}` must be a pair (low, high) of {what} with "
        f"{low:g} <= low <= high <= {high:g}; received {value!r}."
    )
    if (
        not isinstance(value, (tuple, list))
        or len(value) != 2
        or not all(is_number(v) for v in value)
    ):
        raise ValueError(message)
    a, b = float(value[0]), float(value[1])
    if not low <= a <= b <= high:
        raise ValueError(message)
    return (a, b)


def check_choice(value, choices, name):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(
            f"`{name}` must be one of {', '.join(repr(c) for c in choices)}; "
            f"received {value!r}."
        )
    return value
