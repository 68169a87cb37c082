"""`two_views`: two augmented views of every example, made in `tf.data` with `seeded_map`."""

import keras
import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.augment.seeded_map import mixes_labels
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.seeded_map import takes_seed
from keras_margin.utils import validation

VIEW_KEYS = ("view_1", "view_2")


def two_views(dataset, augment, seed=None):
    """Maps a batched dataset to batches of two augmented views of every example.

    Each batch of B examples becomes `{"view_1": (B, ...), "view_2": (B, ...)}`:
    row `i` of both is example `i`, augmented twice with independent draws. This is
    `keras_margin.augment.seeded_map(dataset, augment, seed, num_aug=2,
    keep_original=False)`, the package's one randomness rule: the views are a function
    of `seed`, the epoch, the batch's position and the augmentations' own seeds, the
    same in every run under any `tf.data` parallelism, and different every epoch. (So
    seed the augmentations too, `policy("standard", seed=0)`: a policy or layer built
    without a seed draws its own at random.) A `SimCLR` or `SupCon` model
    trains on the result with `model.fit`.

    Elements may be inputs alone (an unlabelled pool, e.g.
    `keras_margin.data.unlabelled_pool`), giving `views`, or `(inputs, labels)`,
    giving `(views, labels)` with the labels of the B examples (for `SupCon`;
    `SimCLR` ignores them).

    Args:
        dataset: a batched `tf.data.Dataset` of inputs or `(inputs, labels)`. Images,
            waveforms or texts: whatever `augment` takes.
        augment: what makes a view: an image `policy(...)` that keeps the labels
            (`"light"`, `"standard"`; not `"strong"`, whose MixUp/CutMix mix examples),
            a keras_margin augmentation layer (image, audio or text), any callable
            `augment(inputs, labels, seed=None) -> (inputs, labels)`, or a list of
            them, applied in order. Each must take a per-call `seed`.
        seed: an integer >= 0, or None for different views in every run.

    Returns:
        The mapped `tf.data.Dataset`, with the cardinality of `dataset`.

    Raises:
        ValueError: naming the argument, for an augmentation that mixes examples or
            takes no per-call seed, a bad `seed` or elements that are neither inputs
            nor `(inputs, labels)`.

    Example:

    >>> import numpy as np, tensorflow as tf, keras_margin as km
    >>> images = np.random.default_rng(0).uniform(0, 255, (8, 28, 28, 1)).astype("float32")
    >>> pool = tf.data.Dataset.from_tensor_slices(images).batch(4)
    >>> views = km.ssl.two_views(pool, km.augment.image.policy("standard", seed=0), seed=0)
    >>> batch = next(iter(views))
    >>> sorted(batch), tuple(batch["view_1"].shape)
    (['view_1', 'view_2'], (4, 28, 28, 1))
    >>> bool(np.any(batch["view_1"].numpy() != batch["view_2"].numpy()))
    True
    """
    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"`dataset` must be a batched tf.data.Dataset; received {type(dataset).__name__}.")
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    augmentations = list(augment) if isinstance(augment, (list, tuple)) else [augment]
    if not augmentations:
        raise ValueError("`augment` must hold at least one augmentation; received an empty list.")
    for layer in augmentations:
        _check_augmentation(layer)

    spec = dataset.element_spec
    labelled = isinstance(spec, tuple)
    if labelled and len(spec) != 2:
        raise ValueError(
            "`dataset` must yield inputs or (inputs, labels) batches; received elements of "
            f"{len(spec)} items."
        )
    if not labelled and not isinstance(spec, (tf.TensorSpec, tf.RaggedTensorSpec)):
        raise ValueError(
            "`dataset` must yield inputs or (inputs, labels) batches; received elements "
            f"{spec!r}."
        )
    if not labelled:
        # seeded_map's pipeline-level wrappers take (inputs, labels); the placeholder
        # labels are dropped again below.
        dataset = dataset.map(_with_placeholder_labels)
    # The two copies of a batch are stacked as (2B, ...) and augmented in one call:
    # each copy sits at other positions, so it gets its own draws.
    doubled = seeded_map(dataset, augmentations, seed=seed, num_aug=2, keep_original=False)

    def split(inputs, labels):
        size = tf.shape(labels)[0] // 2
        views = {VIEW_KEYS[0]: inputs[:size], VIEW_KEYS[1]: inputs[size:]}
        return (views, labels[:size]) if labelled else views

    return doubled.map(split, num_parallel_calls=tf.data.AUTOTUNE)


def _with_placeholder_labels(inputs):
    return inputs, tf.zeros(tf.shape(inputs)[:1], tf.int32)


def _check_augmentation(layer):
    if isinstance(layer, keras.layers.Layer):
        seeded = isinstance(layer, AugmentationLayer) or takes_seed(layer.call)
    else:
        seeded = callable(layer) and takes_seed(layer)
    if not seeded:
        raise ValueError(
            "`augment` must be keras_margin augmentations that take a per-call seed (an image "
            "`policy(...)`, an image, audio or text augmentation layer, or a callable "
            f"`augment(inputs, labels, seed=None)`); received {type(layer).__name__}. Wrap "
            "Keras core layers in keras_margin.augment.image.RandomApply or RandomChoice."
        )
    if mixes_labels(layer) or getattr(layer, "soft_labels", False):
        raise ValueError(
            f"`augment` must keep the labels; {layer!r} mixes examples (MixUp, CutMix, "
            "FMix), which would make a view of two images. Use a policy such as "
            "'standard' or 'light'."
        )
