"""`AugmentationLayer`: the base class of keras_margin's random image, audio and text layers.

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

import random

import keras
import tensorflow as tf

from keras_margin.utils import validation
# Keras' record of the layer call in progress (None in a Keras without it: every call
# is then direct).
from keras_margin.utils._compat import keras_global_state as _keras_global_state

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

    Seeds (the package's one randomness rule; `seeded_map` supplies `s` per dataset
    element): `layer(x, seed=s)` makes the output a pure function of `(x, s,
    layer.seed)`: the layer folds its `seed` argument (0 when None) into `s`
    (`layer_seed`) and derives every draw from the result statelessly, per image, clip
    or text by position. Without `seed=`, each call takes a fresh `s` from a
    `tf.random.Generator` (one atomic read-and-advance, so concurrent map calls never
    share a draw) seeded from the layer's `seed` argument, or from Python's `random`
    (which `keras.utils.set_random_seed` seeds) when it is None; that is reproducible
    under a sequential map only.
    """

    def __init__(self, seed=None, **kwargs):
        if seed is not None:
            seed = validation.integer_at_least(seed, 0, "seed")
        super().__init__(**kwargs)
        self.seed = seed
        # Folded into every per-call seed, so layers given different `seed` arguments
        # draw differently from one element seed. A fixed 0 for seed=None keeps a
        # seeded call a function of the configuration: a layer rebuilt from its config
        # gives the same output for the same seed tensor. (Layers in one `seeded_map`
        # or `RandomChoice` are set apart by their position, not by this.)
        self._salt = seed if seed is not None else 0
        self._generator = tf.random.Generator.from_seed(
            seed if seed is not None else random.randint(0, _MAX_SEED)
        )
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
            # TensorFlow tensors to the configured backend's arrays (JAX, torch), nor
            # refuse them as positional arguments for not being that backend's tensors.
            saved = (self._convert_input_args, self._allow_non_tensor_positional_args)
            self._convert_input_args, self._allow_non_tensor_positional_args = False, True
            try:
                return super().__call__(inputs, *args, **kwargs)
            finally:
                self._convert_input_args, self._allow_non_tensor_positional_args = saved
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
