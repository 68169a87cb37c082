"""Image augmentation policies for `tf.data` training pipelines.

A policy is a `keras_margin.augment.Policy` (the one policy type of every modality),
and a plain callable `augment(images, labels, seed=None) -> (images, labels)` (a
pipeline-level wrapper, not a layer) that is mapped over a *batched* dataset. It is
built from Keras preprocessing layers (Keras core layers and this package's
`RandomAffine` and `RandAugment`), which run inside `tf.data` whatever the Keras
backend is:

```python
augment = keras_margin.augment.image.policy("standard")
train = augment.apply(train.batch(64), seed=0)   # or train.batch(64).map(augment)
```

The policies:

| policy | what it applies, in order | labels out |
| --- | --- | --- |
| `"none"` | nothing (exactly the identity) | unchanged |
| `"light"` | one `RandomAffine`: rotation ±5°, translation ±5% | unchanged |
| `"standard"` | one `RandomAffine`: rotation ±10°, translation ±10%, zoom ±10%; contrast x[0.8, 1.2] | unchanged |
| `"strong"` | one `RandomAffine`: as `"standard"` plus shear ±8.5°; contrast; `RandAugment` (2 colour ops per image); erasing; MixUp or CutMix | soft |

"soft" labels are float32 of shape (batch, num_classes), rows summing to 1.

`policy()` lists the exact layers and parameters; `describe(name)` gives a one-line
summary.

With `horizontal_flip=True`, `RandomFlip("horizontal")` runs first in every policy but
`"none"`. It is off by default because the bundled data sets are digits, where a mirror
image is not the same class.

The geometric part of each policy is one `RandomAffine` layer, which composes rotation,
translation, zoom (and, in `"strong"`, shear) into one matrix per image and resamples the
image once, with bilinear interpolation. Chaining Keras' `RandomRotation`,
`RandomTranslation` and `RandomZoom` instead resamples three times: on 28x28 digits that
blurs the strokes visibly. Points outside the image are filled according to `fill_mode`:
by default `"constant"` with the low end of `value_range`, a black background, right for
digits and characters on black. `"reflect"` invents no value and may suit natural photos
better, but on sparse images it mirrors stroke fragments near the border into the image
as stray marks. Every policy but `"none"` casts images to float32 and clips them to
`value_range` at the end.

Why `"strong"` uses this package's `RandAugment` with a subset of its operations rather
than `keras.layers.RandAugment`: checked with Keras 3.15 on 28x28 digits, that layer
runs on one channel, but its single `factor` is not a magnitude that suits them. Its
geometric ranges are one-sided (`factor=0.1` rotates by 0..36° counter-clockwise only
and translates in one direction only); its solarization and posterization get
*stronger* as `factor` gets smaller (posterization keeps a single bit below
`factor=0.25`, and solarization with a low threshold inverts or erases white strokes);
its colour-degeneration operation does nothing on one channel; it evaluates all eleven
operations on every batch, and it draws the operations once per batch. This package's
`RandAugment` draws two operations per image and runs only those, with torchvision's
magnitude scale (9 of 30 here). The subset drops rotation, shear, translation and
contrast (the policy's `RandomAffine` and `RandomContrast` already apply them in both
directions, per image, and a second geometric layer would resample a second time) and
solarization (it inverts the white strokes of digits), keeping identity, autocontrast,
equalize, colour (saturation; nothing on one channel), posterize (to 7 bits) and
brightness and sharpness (factors 1 ± 0.27). RandAugment's shear is folded into the
policy's `RandomAffine` instead (every image gets a shear drawn from ±8.5°, the angle of
Keras' shear factor 0.15): Keras' `RandomShear` shears about the top-left corner, so it
also shifts the content (at factor 0.15, by 2 pixels at the centre of a 28x28 image and
4 at its far edge); `RandomAffine` shears about the centre.

Reproducibility:
    A policy is a pipeline-level wrapper under the package's one randomness rule (see
    `keras_margin.augment.seeded_map`): called as `augment(images, labels, seed=s)`
    with a (2,) seed tensor, its `k`-th step (layer, then the MixUp/CutMix choice)
    draws statelessly from `stateless_fold_in(s, k)`, so the batch is a pure function
    of the images, labels, `s` and the policy's configuration. `seeded_map(dataset,
    augment, seed)` supplies `s` per element, so every policy is reproducible under
    `num_parallel_calls=AUTOTUNE`:

    ```python
    train = keras_margin.augment.seeded_map(train.batch(64), augment, seed=0)
    ```

    Keras' core layers in the policies (`RandomFlip`, `RandomContrast`,
    `RandomErasing`, `MixUp`, `CutMix`) are driven through their public
    `get_random_transformation(..., seed=...)` with a seed derived from `s`, so they
    follow the same rule.

    Mapped directly (`dataset.map(augment)`, no `seed=`), the layers draw from their
    own seeded state: with `seed` given, every layer gets its own seed derived from
    it, so a freshly built policy mapped with `num_parallel_calls=None` gives the same
    augmented batches on every run; without `seed`, the seeds come from Python's
    `random` module, which `keras.utils.set_random_seed` seeds. Under AUTOTUNE that
    path is *not* reproducible: Keras layers keep their random state in a variable
    that concurrent map calls read and then advance, so which draw a batch gets
    depends on scheduling. Use `seeded_map` for that.
"""

import dataclasses
import math
import numbers
import random

import keras
import numpy as np
import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.augment.image.rand_augment import RandAugment
from keras_margin.augment.image.random_affine import FILL_MODES
from keras_margin.augment.image.random_affine import RandomAffine
from keras_margin.augment.policy import Policy
from keras_margin.utils import validation

__all__ = ["POLICIES", "RandomAffine", "describe", "policy"]

POLICIES = ("none", "light", "standard", "strong")

# Parameters of each policy, kept as constants so the layers and the descriptions that
# `describe()` prints cannot drift apart.
_LIGHT_ROTATION_DEGREES = 5.0
_LIGHT_TRANSLATION = 0.05
_STANDARD_ROTATION_DEGREES = 10.0
_STANDARD_TRANSLATION = 0.1
_STANDARD_ZOOM = 0.1
_STANDARD_CONTRAST = 0.2
_STRONG_NUM_OPS = 2
# Shear angle whose tangent is 0.15, Keras' `RandomShear` factor used before: ~8.53°.
_STRONG_SHEAR_DEGREES = math.degrees(math.atan(0.15))
_STRONG_MAGNITUDE = 9  # of 30, RandAugment's usual setting
# RandAugment's operations without the geometric ones and contrast (RandomAffine and
# RandomContrast apply those) and without solarize (it inverts white strokes).
_STRONG_OPS = (
    "identity", "autocontrast", "equalize", "color", "posterize", "brightness",
    "sharpness",
)
_STRONG_ERASING_SCALE = (0.02, 0.33)
_MIXUP_ALPHA = 0.2
# Keras' CutMix draws alpha ~ U(factor) and then the kept area ~ Beta(alpha, alpha). Its
# default factor=1.0 makes alpha < 1, a U-shaped Beta, so near-total swaps are common;
# (1, 1) gives Beta(1, 1) = U(0, 1), the CutMix paper's setting.
_CUTMIX_FACTOR = (1.0, 1.0)

_FLIP_NOTE = ' With horizontal_flip=True, RandomFlip("horizontal") runs first.'
_AFFINE_NOTE = " One resample; the border is filled per fill_mode (default black)."

_DESCRIPTIONS = {
    "none": "No augmentation: images and labels pass through unchanged.",
    "light": (
        f"Small geometric jitter: rotation ±{_LIGHT_ROTATION_DEGREES:g}°, translation "
        f"±{_LIGHT_TRANSLATION:.0%} of height and width, in one RandomAffine. Labels "
        "unchanged." + _AFFINE_NOTE + _FLIP_NOTE
    ),
    "standard": (
        f"Rotation ±{_STANDARD_ROTATION_DEGREES:g}°, translation "
        f"±{_STANDARD_TRANSLATION:.0%}, zoom ±{_STANDARD_ZOOM:.0%} in one RandomAffine, "
        f"then contrast x[{1 - _STANDARD_CONTRAST:g}, {1 + _STANDARD_CONTRAST:g}]. "
        "Labels unchanged." + _AFFINE_NOTE + _FLIP_NOTE
    ),
    "strong": (
        f"'standard' with shear ±{_STRONG_SHEAR_DEGREES:.1f}° added to its RandomAffine, "
        f"then RandAugment with {_STRONG_NUM_OPS} operations per image at magnitude "
        f"{_STRONG_MAGNITUDE}/30 from {', '.join(_STRONG_OPS)}, random erasing "
        f"(p=1/2), then MixUp (alpha {_MIXUP_ALPHA:g}) or CutMix (area ~ U(0, 1)), one "
        "per batch. Returns "
        "float32 soft labels of shape (batch, num_classes); needs num_classes."
        + _AFFINE_NOTE
        + _FLIP_NOTE
    ),
}

# Seeds handed to Keras' `SeedGenerator` must be Python ints; keep them in int32 range.
_MAX_SEED = 2**31 - 1


def describe(name):
    """Returns a one-paragraph, human-readable description of a policy.

    Args:
        name: one of `POLICIES`.

    Returns:
        A string, for `--help` texts and documentation.

    Example:

    >>> from keras_margin.augment import image
    >>> image.describe("none")
    'No augmentation: images and labels pass through unchanged.'
    """
    return _DESCRIPTIONS[_check_name(name)]


def policy(
    name,
    num_classes=None,
    value_range=(0, 255),
    horizontal_flip=False,
    seed=None,
    fill_mode="constant",
):
    """Returns an augmentation callable for a batched `tf.data` pipeline.

    The callable maps `(images, labels)` to `(images, labels)`; it also takes an
    optional (2,) `seed` tensor, which makes it stateless (`seeded_map` passes one per
    element: reproducible under AUTOTUNE; see "Reproducibility" in the module):

    - `images`: float (batch, height, width, channels), channels-last, in `value_range`;
      one channel (grey) or three (RGB). Integer images are cast to float32.
    - `labels`: int class ids of shape (batch,).

    It returns float32 images of the same shape, clipped to `value_range`. Policies that
    do not mix images return the labels unchanged; `"strong"` mixes pairs of images and
    returns float32 soft labels of shape (batch, num_classes) whose rows sum to 1 (it
    also accepts labels that are already one-hot or soft, of shape (batch, num_classes)).
    The callable's `soft_labels` attribute says which of the two a policy returns.

    The callable is not a Keras layer and must not go into a model: augmentation belongs
    to the training pipeline, and the exported model stays deterministic. Map it after
    `batch()`, since MixUp and CutMix pair images within a batch.

    Policies, with their exact layers and parameters:

    - `"none"`: identity.
    - `"light"`: `RandomAffine(rotation=5, translation=0.05)` (±5°, ±5% of height and
      width).
    - `"standard"`: `RandomAffine(rotation=10, translation=0.1, zoom=0.1)` (±10°, ±10%,
      scale U(0.9, 1.1), the same on both axes), then
      `RandomContrast(factor=(0.2, 0.2))` (contrast multiplied by U(0.8, 1.2) around
      each image's mean).
    - `"strong"`: `RandomAffine(rotation=10, translation=0.1, zoom=0.1, shear=8.53)`
      (horizontal and vertical shear angles drawn from ±atan(0.15) = ±8.53°) and
      `RandomContrast` as in `"standard"`; then
      `RandAugment(num_ops=2, magnitude=9, ops=("identity", "autocontrast",
      "equalize", "color", "posterize", "brightness", "sharpness"))`: two operations
      drawn per image (colour, brightness and sharpness factors 1 ± 0.27, posterize to
      7 bits); then `RandomErasing(factor=1.0, scale=(0.02, 0.33))` (Keras
      draws p ~ U(0, 1) per image and erases with probability p, so 1/2 overall, filling
      the rectangle with clipped Gaussian noise); then, per batch with equal odds,
      `MixUp(alpha=0.2)` (mixing weight ~ Beta(0.2, 0.2)) or
      `CutMix(factor=(1.0, 1.0))` (kept area ~ Beta(1, 1) = U(0, 1), as in the CutMix
      paper) on one-hot labels.

    `RandomAffine` resamples once with bilinear interpolation and fills points outside
    the image according to `fill_mode`, with `fill_value` the low end of `value_range`.

    Args:
        name: one of `POLICIES`: `"none"`, `"light"`, `"standard"` or `"strong"`.
        num_classes: number of classes (an integer >= 2). Required by policies that mix
            labels (`"strong"`), which one-hot encode the class ids; checked when given
            but unused otherwise.
        value_range: `(low, high)`, the range the input images are in, such as
            `(0, 255)`, `(0, 1)` or `(-1, 1)`. Colour operations and the final clip use it.
        horizontal_flip: whether to add `RandomFlip("horizontal")` first (default False:
            mirroring changes the class of digits and characters; turn it on for photos of
            objects). `"none"` ignores it.
        seed: an integer >= 0 or None: the layers' own seeds, each derived from it.
            They make `dataset.map(augment)` reproducible under a deterministic map
            (`num_parallel_calls=None`); under AUTOTUNE map with
            `seeded_map(dataset, augment, seed)`, whose element seeds the layers' seeds
            are folded into. See "Reproducibility" in the module docstring.
        fill_mode: how `RandomAffine` fills points outside the image: `"constant"`
            (default; the low end of `value_range`, black, right for digits and
            characters on a black background), `"reflect"` (mirror the image at its
            border; invents no value, often better for natural photos), `"wrap"` or
            `"nearest"`. `"none"` ignores it.

    Returns:
        A `keras_margin.augment.Policy` (modality `"image"`), callable as
        `augment(images, labels, seed=None) -> (images, labels)` (a pipeline-level
        wrapper, not a layer), with `name`, `layers` (the Keras layers it applies, in
        order), `mixer` (MixUp or CutMix in `"strong"`, else None), `soft_labels`
        (True when it returns soft labels) and, for images, `num_classes` and
        `value_range`. `augment.apply(dataset, seed)` maps it over a batched dataset.

    Raises:
        ValueError: for an unknown `name`, a bad `value_range`, `num_classes`, `seed`,
            `horizontal_flip` or `fill_mode`, or a mixing policy without `num_classes`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment import image
    >>> images = np.random.uniform(0, 255, (16, 28, 28, 1)).astype("float32")
    >>> labels = np.arange(16) % 10
    >>> augment = image.policy("strong", num_classes=10, seed=0)
    >>> dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    >>> dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    >>> x, y = next(iter(dataset))
    >>> tuple(x.shape), tuple(y.shape)
    ((8, 28, 28, 1), (8, 10))

    Reproducible under AUTOTUNE, with a seed per element:

    >>> from keras_margin.augment import seeded_map
    >>> batches = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    >>> first = [x.numpy() for x, _ in seeded_map(batches, augment, seed=1)]
    >>> again = [x.numpy() for x, _ in seeded_map(batches, augment, seed=1)]
    >>> all(np.array_equal(a, b) for a, b in zip(first, again))
    True

    References:
        - Cubuk, Zoph, Shlens, Le. "RandAugment: Practical automated data augmentation
          with a reduced search space", NeurIPS 2020. https://arxiv.org/abs/1909.13719
        - Zhong, Zheng, Kang, Li, Yang. "Random Erasing Data Augmentation", AAAI 2020.
          https://arxiv.org/abs/1708.04896
        - Zhang, Cisse, Dauphin, Lopez-Paz. "mixup: Beyond Empirical Risk Minimization",
          ICLR 2018. https://arxiv.org/abs/1710.09412
        - Yun, Han, Oh, Chun, Choe, Yoo. "CutMix: Regularization Strategy to Train Strong
          Classifiers with Localizable Features", ICCV 2019.
          https://arxiv.org/abs/1905.04899
    """
    name = _check_name(name)
    value_range = _check_value_range(value_range)
    if not isinstance(horizontal_flip, bool):
        raise ValueError(
            f"`horizontal_flip` must be True or False; received {horizontal_flip!r}."
        )
    if not isinstance(fill_mode, str) or fill_mode not in FILL_MODES:
        raise ValueError(
            f"`fill_mode` must be one of {', '.join(repr(m) for m in FILL_MODES)}; "
            f"received {fill_mode!r}."
        )
    if num_classes is not None:
        num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    if name == "strong" and num_classes is None:
        raise ValueError(
            "The 'strong' policy mixes images with MixUp/CutMix and returns soft labels, "
            "so it needs `num_classes`; received num_classes=None."
        )
    if name == "none":
        return _ImagePolicy(name, "image", value_range=value_range, num_classes=num_classes)

    seeds = _SeedSequence(seed)
    transforms = []
    if horizontal_flip:
        transforms.append(keras.layers.RandomFlip("horizontal", seed=seeds.next()))
    affine = {"fill_mode": fill_mode, "fill_value": value_range[0], "seed": seeds.next()}
    if name == "light":
        transforms.append(
            RandomAffine(
                rotation=_LIGHT_ROTATION_DEGREES, translation=_LIGHT_TRANSLATION, **affine
            )
        )
    else:
        transforms.append(
            RandomAffine(
                rotation=_STANDARD_ROTATION_DEGREES,
                translation=_STANDARD_TRANSLATION,
                zoom=_STANDARD_ZOOM,
                shear=_STRONG_SHEAR_DEGREES if name == "strong" else 0.0,
                **affine,
            )
        )
        # A float factor should mean x U(1 - f, 1 + f), but Keras 3.15 clips its lower
        # bound to 0 and so only ever raises contrast; the (f, f) pair is two-sided.
        transforms.append(
            keras.layers.RandomContrast(
                (_STANDARD_CONTRAST, _STANDARD_CONTRAST),
                value_range=value_range,
                seed=seeds.next(),
            )
        )
    mixer = None
    if name == "strong":
        transforms.append(
            RandAugment(
                num_ops=_STRONG_NUM_OPS,
                magnitude=_STRONG_MAGNITUDE,
                value_range=value_range,
                ops=_STRONG_OPS,
                seed=seeds.next(),
            )
        )
        transforms.append(
            keras.layers.RandomErasing(
                factor=1.0,
                scale=_STRONG_ERASING_SCALE,
                value_range=value_range,
                seed=seeds.next(),
            )
        )
        mixer = _MixUpOrCutMix(num_classes, seeds)
    return _ImagePolicy(
        name, "image", layers=tuple(transforms), mixer=mixer, value_range=value_range,
        num_classes=num_classes,
    )


@dataclasses.dataclass(frozen=True, repr=False)
class _ImagePolicy(Policy):
    """The `Policy` that `policy()` returns: layers in order, then optional mixing.

    What images need beyond the generic `Policy`: a cast to float32 before the layers
    and a clip to `value_range` after the mixer, and Keras' core layers (which take no
    per-call seed) driven from the seed through `get_random_transformation`.
    """

    value_range: tuple = (0.0, 255.0)
    num_classes: object = None

    def _check_layers(self):
        # Keras' core layers are allowed here: `_seeded` drives them from the seed.
        for layer in self.layers:
            if not callable(layer):
                raise ValueError(f"`layers` must be callables; received {type(layer).__name__}.")

    def _mapped(self):
        # The cast and the clip wrap every step, so `seeded_map` maps the whole policy
        # as one pipeline-level step, as it did before `Policy` existed.
        return [self]

    def __call__(self, images, labels, seed=None):
        """Augments a batch; with a (2,) `seed` tensor, statelessly (see the module)."""
        if not self.layers and self.mixer is None:
            # "none" is exactly the identity: no cast, no clip, no copy.
            return images, labels
        if seed is not None:
            seed = tf.cast(tf.reshape(seed, [-1])[:2], tf.int64)
        images = tf.cast(images, tf.float32)
        if images.shape.rank != 4:
            raise ValueError(
                "Image augmentation policies expect batched images of shape "
                "(batch, height, width, channels); received shape "
                f"{images.shape}. Call `dataset.batch(...)` before `dataset.map(augment)`."
            )
        for position, transform in enumerate(self.layers):
            # Augmentation only ever runs in training pipelines, so always train mode.
            if seed is None:
                images = transform(images, training=True)
            else:
                images = _seeded(transform, images, _fold(seed, position))
        if self.mixer is not None:
            mixer_seed = None if seed is None else _fold(seed, len(self.layers))
            images, labels = self.mixer(images, labels, seed=mixer_seed)
        # Interpolation, sharpening and mixing can leave values a rounding error outside
        # the range; clip so downstream code can rely on it.
        low, high = self.value_range
        return tf.clip_by_value(images, low, high), labels


class _MixUpOrCutMix:
    """One-hot encodes the labels, then applies MixUp or CutMix, a fair coin per batch."""

    def __init__(self, num_classes, seeds):
        self.num_classes = num_classes
        self.mix_up = keras.layers.MixUp(alpha=_MIXUP_ALPHA, seed=seeds.next())
        self.cut_mix = keras.layers.CutMix(factor=_CUTMIX_FACTOR, seed=seeds.next())
        self.generator = seeds.generator()

    @property
    def layers(self):
        return [self.mix_up, self.cut_mix]

    def __call__(self, images, labels, seed=None):
        labels = self._soft_labels(labels)
        if seed is None:
            use_mix_up = self.generator.uniform(()) < 0.5
            seeds = (None, None)
        else:
            coin_seed, *seeds = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
            use_mix_up = tf.random.stateless_uniform((), coin_seed) < 0.5
        # Keras' MixUp and CutMix take and return a dict, and mix `labels` with the
        # same weights and partner permutation as the images.
        mixed = tf.cond(
            use_mix_up,
            lambda: self._mix(self.mix_up, images, labels, seeds[0]),
            lambda: self._mix(self.cut_mix, images, labels, seeds[1]),
        )
        return mixed

    @staticmethod
    def _mix(layer, images, labels, seed):
        data = {"images": images, "labels": labels}
        if seed is None:
            outputs = layer(data, training=True)
        else:
            outputs = _seeded(layer, data, seed)
        return (
            tf.cast(outputs["images"], tf.float32),
            tf.cast(outputs["labels"], tf.float32),
        )

    def _soft_labels(self, labels):
        labels = tf.convert_to_tensor(labels)
        if labels.shape.rank == 2 and labels.shape[-1] == 1:
            labels = tf.squeeze(labels, axis=-1)
        if labels.shape.rank == 1:
            if not labels.dtype.is_integer:
                raise ValueError(
                    "Class-id labels must have an integer dtype; received "
                    f"{labels.dtype.name}."
                )
            ids = tf.cast(labels, tf.int32)
            # An id >= num_classes would one-hot to an all-zero row and silently drop
            # the example from the loss; fail loudly instead.
            checks = [
                tf.debugging.assert_non_negative(
                    ids, message="Class-id labels must be >= 0."
                ),
                tf.debugging.assert_less(
                    ids,
                    tf.constant(self.num_classes, tf.int32),
                    message=f"Class-id labels must be < num_classes={self.num_classes}.",
                ),
            ]
            with tf.control_dependencies(checks):
                ids = tf.identity(ids)
            return tf.one_hot(ids, self.num_classes, dtype=tf.float32)
        if labels.shape.rank == 2 and labels.shape[-1] == self.num_classes:
            return tf.cast(labels, tf.float32)
        raise ValueError(
            "Labels must be class ids of shape (batch,) or one-hot/soft labels of shape "
            f"(batch, num_classes={self.num_classes}); received shape {labels.shape}."
        )


def _fold(seed, position):
    return tf.random.experimental.stateless_fold_in(seed, position)


def _seeded(layer, data, seed):
    """`layer` on `data` (images, or a dict with labels) drawing from the (2,) `seed`.

    Our layers take the seed directly. Keras' image preprocessing layers are run
    through their public `get_random_transformation(data, seed=...)` and
    `transform_images` / `transform_labels`, with a seed object that hands out seeds
    derived from `seed` instead of advancing the layer's state variable.
    """
    if isinstance(layer, AugmentationLayer):
        return layer(data, training=True, seed=seed)
    # The layer's own `seed` argument is folded in, as `AugmentationLayer.layer_seed`
    # does, so layers of one policy seeded differently draw differently.
    seed = _fold(seed, layer.seed if layer.seed is not None else 0)
    backend = layer.backend
    # What Keras' own __call__ does inside tf.data: compute with TensorFlow whatever
    # the configured backend is.
    backend.set_backend("tensorflow")
    try:
        transformation = layer.get_random_transformation(
            data, training=True, seed=_DerivedSeeds(seed)
        )
        if not isinstance(data, dict):
            return layer.transform_images(data, transformation, training=True)
        return {
            **data,
            "images": layer.transform_images(data["images"], transformation, training=True),
            "labels": layer.transform_labels(data["labels"], transformation, training=True),
        }
    finally:
        backend.reset()


class _DerivedSeeds(keras.random.SeedGenerator):
    """A stand-in for a Keras `SeedGenerator` whose draws derive from one seed tensor.

    Keras' random functions accept an int or a `SeedGenerator`, not a seed tensor; they
    call `next()` once per random draw. Here the `i`-th call returns
    `stateless_fold_in(seed, i)`: a fixed sequence, no state variable, so concurrent
    `tf.data` calls cannot race for it. (The parent's constructor, which would make a
    variable, is deliberately not called.)
    """

    def __init__(self, seed):  # noqa: D107 - no super().__init__: no variable
        self._seed = tf.cast(seed, tf.int64)
        self._count = 0

    def next(self, ordered=True):
        self._count += 1
        return tf.random.experimental.stateless_fold_in(self._seed, self._count)


class _SeedSequence:
    """Hands out distinct, reproducible seeds for the layers of one policy.

    Keras layers given the same seed draw the same random numbers, which would correlate
    e.g. rotation and translation; each layer therefore gets its own seed. Without a
    base seed, one is drawn from Python's `random`, which `keras.utils.set_random_seed`
    seeds.
    """

    def __init__(self, seed):
        if seed is None:
            seed = random.randint(0, _MAX_SEED)
        self._entropy = np.random.SeedSequence(seed)

    def next(self):
        state = self._entropy.spawn(1)[0].generate_state(1)[0]
        return int(state) & _MAX_SEED

    def generator(self):
        return tf.random.Generator.from_seed(self.next())


def _check_name(name):
    if not isinstance(name, str) or name not in POLICIES:
        raise ValueError(
            f"Unknown image augmentation policy {name!r}; expected one of "
            f"{', '.join(repr(p) for p in POLICIES)}."
        )
    return name


def _check_value_range(value_range):
    message = (
        "`value_range` must be a pair (low, high) of finite numbers with low < high, "
        f"such as (0, 255) or (0, 1); received {value_range!r}."
    )
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(message)
    low, high = value_range
    for bound in (low, high):
        if (
            isinstance(bound, bool)
            or not isinstance(bound, numbers.Real)
            or not math.isfinite(bound)
        ):
            raise ValueError(message)
    if not low < high:
        raise ValueError(message)
    return (float(low), float(high))
