"""Augmentation whose strength changes during training, per batch or per sample.

A `tf.data` map is traced once, when the dataset is built; a Python number inside it
is frozen from then on. A `tf.Variable` is not: the map reads its current value for
every batch, so a callback can change the strength between epochs without rebuilding
the dataset. This module holds the pieces that read such a strength:

- `magnitude_variable`: the variable, a float32 scalar.
- `ScaledAffine`: rotation, translation, zoom and shear whose ranges are multiplied
  by a magnitude in [0, 1] (a number, the variable, or one value per sample).
- `with_probability`: applies any label-preserving augmentation to each sample with
  a probability (a number, the variable, or one value per sample).
- `ClassAwareAugmentation`: stronger (or more frequent) augmentation for the rarer
  classes, from the training class counts.

These are pipeline-level wrappers, not layers: each is a callable
`augment(images, labels, seed=None) -> (images, labels)`. Given a (2,) `seed` tensor
(which `keras_margin.augment.seeded_map` supplies per element) they draw statelessly
from it by the package's one rule, so a pipeline is reproducible under AUTOTUNE;
without it they draw from their own generator.

`keras_margin.callbacks.AugmentationSchedule` and `ProgressiveResizing` write the
variable. Batches already prefetched when the value changes keep the old strength;
Keras starts a new iterator for every epoch of a finite dataset, so a change made in
`on_epoch_begin` holds from that epoch's first batch.

Example:

>>> import numpy as np, tensorflow as tf, keras_margin as km
>>> magnitude = km.augment.magnitude.magnitude_variable(0.0)
>>> affine = km.augment.magnitude.ScaledAffine(rotation=20, translation=0.1, magnitude=magnitude, seed=0)
>>> images = np.random.uniform(0, 255, (4, 8, 8, 1)).astype("float32")
>>> dataset = tf.data.Dataset.from_tensor_slices((images, np.arange(4))).batch(4).map(affine)
>>> x, _ = next(iter(dataset))
>>> bool(np.allclose(x, images, atol=1e-3))  # magnitude 0: the identity
True
>>> _ = magnitude.assign(1.0)  # the same dataset now rotates and shifts
"""

import inspect

import keras
import numpy as np
import tensorflow as tf

from keras_margin.augment.image.random_affine import RandomAffine
from keras_margin.utils import validation

MODES = ("probability", "magnitude")


def magnitude_variable(initial=1.0, name="augmentation_magnitude"):
    """A non-trainable float32 scalar `tf.Variable` for a strength read inside tf.data.

    Args:
        initial: the starting value (default 1.0).
        name: the variable name.
    """
    initial = validation.non_negative(initial, "initial")
    return tf.Variable(initial, trainable=False, dtype=tf.float32, name=name)


class ScaledAffine:
    """Random affine transformations with ranges scaled by a magnitude.

    Each image draws a rotation in `(-a r, a r)` degrees, a horizontal and a vertical
    translation in `(-a t, a t)` of its width and height, a zoom in `(1 - a z, 1 + a z)`
    and a horizontal and vertical shear in `(-a s, a s)` degrees, with `a` the
    magnitude clipped to [0, 1]; the transformations are composed and applied with one
    resample by `RandomAffine`. So the arguments are the ranges at full strength and
    magnitude 0 is the identity (up to interpolation round-off).

    Args:
        rotation: full-strength rotation range r >= 0, in degrees (<= 360).
        translation: full-strength translation t in [0, 1], a fraction of the size.
        zoom: full-strength zoom z in [0, 1).
        shear: full-strength shear s in [0, 45), in degrees.
        magnitude: a number in [0, 1], or a scalar `tf.Variable` read at every batch
            (see `magnitude_variable`). Default 1.0.
        fill_mode: as `RandomAffine` (default `"constant"`).
        fill_value: the constant fill (default 0.0, black).
        value_range: `(low, high)` images are clipped to after resampling (default
            (0, 255)).
        seed: an integer >= 0 or None. Called with a seed tensor, the draws are a
            stateless function of it and `seed` (the rule of `AugmentationLayer`);
            without one they come from a `tf.random.Generator`, whose
            read-and-advance is atomic under parallel maps.

    Call it as `affine(images, labels, seed=None) -> (images, labels)` on batched
    images (batch, height, width, channels), or `affine.apply(images, magnitude,
    seed=None)` with a per-sample magnitude of shape (batch,)
    (`ClassAwareAugmentation` does).

    References:
        - Tan, Le. "EfficientNetV2: Smaller Models and Faster Training", ICML 2021
          (augmentation magnitude that grows with training).
          https://arxiv.org/abs/2104.00298
    """

    soft_labels = False

    def __init__(self, rotation=0.0, translation=0.0, zoom=0.0, shear=0.0, magnitude=1.0,
                 fill_mode="constant", fill_value=0.0, value_range=(0, 255), seed=None):
        # RandomAffine checks the full-strength ranges (named errors) and does the
        # resampling; its own random draw is not used.
        self._affine = RandomAffine(
            rotation=rotation, translation=translation, zoom=zoom, shear=shear,
            fill_mode=fill_mode, fill_value=fill_value, seed=seed,
        )
        self.rotation = self._affine.rotation[1]
        self.translation = self._affine.translation[1]
        self.zoom = self._affine.zoom[1] - 1.0
        self.shear = self._affine.shear[1]
        self.magnitude = _check_strength(magnitude, "magnitude")
        self.value_range = _check_value_range(value_range)
        if seed is not None:
            seed = validation.integer_at_least(seed, 0, "seed")
        self._generator = (
            tf.random.Generator.from_seed(seed) if seed is not None
            else tf.random.Generator.from_non_deterministic_state()
        )

    def __call__(self, images, labels, seed=None):
        return self.apply(images, self.magnitude, seed=seed), labels

    def apply(self, images, magnitude, seed=None):
        """Transforms a batch with a scalar or per-sample (batch,) magnitude; with a
        (2,) `seed` tensor, statelessly."""
        images = tf.cast(images, tf.float32)
        if images.shape.rank != 4:
            raise ValueError(
                "ScaledAffine expects batched images (batch, height, width, channels); "
                f"received shape {images.shape}."
            )
        shape = tf.shape(images)
        batch, height, width = shape[0], shape[1], shape[2]
        strength = tf.clip_by_value(tf.cast(tf.convert_to_tensor(magnitude), tf.float32), 0.0, 1.0)
        strength = tf.broadcast_to(tf.reshape(strength, (-1,)), (batch,))
        if seed is None:
            uniform = self._generator.uniform((batch, 6), minval=-1.0, maxval=1.0)
        else:
            uniform = tf.random.stateless_uniform(
                (batch, 6), self._affine.layer_seed(seed), minval=-1.0, maxval=1.0
            )
        transformation = self._affine.transformation_from_parameters(
            height=height,
            width=width,
            rotation=strength * uniform[:, 0] * self.rotation,
            zoom=1.0 + strength * uniform[:, 1] * self.zoom,
            shear_x=strength * uniform[:, 2] * self.shear,
            shear_y=strength * uniform[:, 3] * self.shear,
            translate_x=strength * uniform[:, 4] * self.translation,
            translate_y=strength * uniform[:, 5] * self.translation,
        )
        transformed = self._affine.transform_images(images, transformation, training=True)
        low, high = self.value_range
        return tf.clip_by_value(tf.cast(transformed, tf.float32), low, high)


def with_probability(augment, probability):
    """Applies a label-preserving augmentation to each sample with a probability.

    The augmentation runs on the whole batch and each sample keeps its augmented or
    its original image by a Bernoulli draw, so the cost does not depend on the
    probability.

    Args:
        augment: a callable `(images, labels) -> (images, labels)` that keeps the
            labels (not a mixing policy such as `"strong"`).
        probability: a number in [0, 1], or a scalar `tf.Variable` read at every batch.

    Returns:
        A callable `(images, labels, seed=None) -> (images, labels)` with an
        `apply(images, labels, probability, seed=None)` method for per-sample
        (batch,) probabilities. With a (2,) `seed` tensor, the choice and `augment`
        (which must then take `seed=` too) draw from seeds split off it.

    Example:

    >>> import keras_margin as km
    >>> strength = km.augment.magnitude.magnitude_variable(0.5)
    >>> augment = km.augment.magnitude.with_probability(
    ...     km.augment.image.policy("standard", seed=0), strength)
    """
    return _WithProbability(augment, _check_strength(probability, "probability"))


class _WithProbability:
    soft_labels = False

    def __init__(self, augment, probability):
        if not callable(augment):
            raise ValueError(f"`augment` must be callable; received {augment!r}.")
        if getattr(augment, "soft_labels", False):
            raise ValueError(
                "`augment` mixes labels (it returns soft labels); a per-sample choice "
                "between augmented and original samples needs one that keeps them."
            )
        self.augment = augment
        self.probability = probability
        self._generator = tf.random.Generator.from_non_deterministic_state()

    def __call__(self, images, labels, seed=None):
        return self.apply(images, labels, self.probability, seed=seed)

    def apply(self, images, labels, probability, seed=None):
        images = tf.cast(images, tf.float32)
        if seed is None:
            augmented, _ = self.augment(images, labels)
        else:
            augment_seed, choice_seed = tf.unstack(tf.random.experimental.stateless_split(
                tf.cast(tf.reshape(seed, [-1])[:2], tf.int64), 2))
            if "seed" not in inspect.signature(self.augment).parameters:
                raise ValueError(
                    "A seeded call needs an `augment` that takes `seed=` (a policy, "
                    f"ScaledAffine, ...); received {self.augment!r}."
                )
            augmented, _ = self.augment(images, labels, seed=augment_seed)
        batch = tf.shape(images)[0]
        probability = tf.broadcast_to(
            tf.reshape(tf.cast(tf.convert_to_tensor(probability), tf.float32), (-1,)), (batch,)
        )
        if seed is None:
            chosen = self._generator.uniform((batch,)) < probability
        else:
            chosen = tf.random.stateless_uniform((batch,), choice_seed) < probability
        chosen = tf.reshape(chosen, (-1,) + (1,) * (images.shape.rank - 1))
        return tf.where(chosen, tf.cast(augmented, tf.float32), images), labels


class ClassAwareAugmentation:
    """Stronger augmentation for rarer classes: strength from each sample's class count.

    Class c gets strength `s_c = max(minimum, (n_min / n_c) ** power)`: the rarest
    class 1, more frequent classes less, e.g. with `power=0.5` a class 100 times as
    frequent as the rarest gets 0.1. Rare classes have few distinct samples and
    overfit first, so they need the extra variety most; the frequent ones keep most of
    their clean samples. Each sample's strength is its class's (for a soft label row,
    the label-mass-weighted mean), used as

    - `mode="probability"` (default): the probability of augmenting that sample, for
      any label-preserving `augment`;
    - `mode="magnitude"`: the magnitude of a `ScaledAffine` (scaled by the
      `ScaledAffine`'s own magnitude too, so a schedule still applies).

    Called as `augment(images, labels, seed=None)`; a seed tensor is passed on to the
    wrapped augmentation (see `with_probability`).

    Args:
        augment: a label-preserving callable `(images, labels) -> (images, labels)`;
            a `ScaledAffine` for `mode="magnitude"`.
        class_counts: training samples per class (e.g.
            `DatasetInfo.train_class_counts`), at least 2 positive integers.
        power: how fast strength falls with frequency, >= 0 (default 0.5; 0 gives
            every class strength 1).
        minimum: the smallest strength, in [0, 1] (default 0.0).
        mode: `"probability"` (default) or `"magnitude"`.

    Example:

    >>> import keras_margin as km
    >>> affine = km.augment.magnitude.ScaledAffine(rotation=15, translation=0.1, seed=0)
    >>> augment = km.augment.magnitude.ClassAwareAugmentation(
    ...     affine, class_counts=[400, 100, 4], mode="magnitude")
    >>> [round(float(s), 2) for s in augment.class_strengths]
    [0.1, 0.2, 1.0]
    >>> # train = train.map(augment)

    References:
        - Cui, Jia, Lin, Song, Belongie. "Class-Balanced Loss Based on Effective Number
          of Samples", CVPR 2019 (rare classes gain most from new samples).
          https://arxiv.org/abs/1901.05555
    """

    soft_labels = False

    def __init__(self, augment, class_counts, power=0.5, minimum=0.0, mode="probability"):
        counts = np.asarray(validation.class_counts(class_counts, "class_counts"), np.float64)
        self.power = validation.non_negative(power, "power")
        self.minimum = validation.number_in_range(minimum, "minimum", 0.0, 1.0)
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}; received {mode!r}.")
        if mode == "magnitude" and not isinstance(augment, ScaledAffine):
            raise ValueError(
                "`augment` must be a ScaledAffine for mode='magnitude' (it takes a "
                "per-sample magnitude); use mode='probability' for other augmentations."
            )
        self.mode = mode
        self.class_counts = tuple(int(c) for c in counts)
        self.class_strengths = np.maximum(self.minimum, (counts.min() / counts) ** self.power).astype("float32")
        self._strengths = tf.constant(self.class_strengths)
        self._augment = augment if mode == "magnitude" else _WithProbability(augment, 1.0)

    def strengths_of(self, labels):
        """Per-sample (batch,) strengths for class ids or a (batch, C) label matrix."""
        labels = tf.convert_to_tensor(labels)
        num_classes = len(self.class_counts)
        if labels.shape.rank == 2 and labels.shape[-1] == num_classes and labels.dtype.is_floating:
            mass = tf.reduce_sum(labels, axis=-1)
            return tf.linalg.matvec(tf.cast(labels, tf.float32), self._strengths) / tf.maximum(mass, 1e-12)
        return tf.gather(self._strengths, tf.cast(tf.reshape(labels, (-1,)), tf.int32))

    def __call__(self, images, labels, seed=None):
        strengths = self.strengths_of(labels)
        if self.mode == "magnitude":
            magnitude = strengths * tf.cast(tf.convert_to_tensor(self._augment.magnitude), tf.float32)
            return self._augment.apply(images, magnitude, seed=seed), labels
        return self._augment.apply(images, labels, strengths, seed=seed)


def _check_strength(value, name):
    if isinstance(value, (tf.Variable, keras.Variable)):
        if tuple(value.shape) != ():
            raise ValueError(f"`{name}` must be a scalar variable; received shape {value.shape}.")
        return value
    return validation.number_in_range(value, name, 0.0, 1.0)


def _check_value_range(value_range):
    if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2):
        raise ValueError(f"`value_range` must be a pair (low, high); received {value_range!r}.")
    low = validation.number_in_range(value_range[0], "value_range")
    high = validation.number_in_range(value_range[1], "value_range")
    if not low < high:
        raise ValueError(f"`value_range` must have low < high; received {value_range!r}.")
    return (low, high)
