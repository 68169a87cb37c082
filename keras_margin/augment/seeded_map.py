"""`seeded_map`: reproducible random augmentation in `tf.data`, under any parallelism.

This is the one place where per-element seeds are made; every augmentation in
`keras_margin.augment` (image, audio and text layers, and the pipeline-level wrappers:
image policies, `magnitude.ScaledAffine`, `magnitude.ClassAwareAugmentation`) draws
its randomness statelessly from the seed it is handed here.

Why the layers' own seeds are not enough: a layer that keeps its random state in a
variable hands out draws in the order map calls happen to run, which under
`num_parallel_calls=AUTOTUNE` changes from run to run. Here each dataset element
instead carries its own seed, so what an element gets no longer depends on scheduling.

The rule, stated once (docs/augmentation.md repeats it):

- element `i` of an epoch gets the seed `(r_i, i)`, with `r_i` the `i`-th value of
  `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`: a function of
  `seed`, of `i` and of how many times the dataset has been iterated before. Every new
  iterator (Keras' `fit` makes one per epoch; `dataset.repeat()` one per repetition)
  draws a new sequence;
- the `k`-th augmentation in `layers` gets `stateless_fold_in(element_seed, k)`;
- a layer folds its own `seed` argument (0 when None) into that (`layer_seed`) and
  derives every draw from the result, one per image, clip or text by position.
"""

import inspect

import keras
import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.utils import validation


def seeded_map(
    dataset,
    layers,
    seed=None,
    num_aug=None,
    keep_original=True,
    num_parallel_calls=tf.data.AUTOTUNE,
    deterministic=None,
):
    """Maps keras_margin augmentations (image, audio, text) over `dataset`, seeded per element.

    Every element gets a seed that depends only on `seed`, on the element's index in
    the epoch and on the epoch (the number of iterations over the dataset before this
    one). The augmentations draw all their randomness from it, so the augmented dataset
    is the same in every run, also with `num_parallel_calls=AUTOTUNE` and in any order
    of execution, and each epoch differs from the last. Map after `batch()`: the
    element is then a batch, and its seed covers every item in it (each image, clip or
    text still gets its own draws, derived from its position).

    Elements may be a tensor, a tuple `(inputs, labels, ...)` or a dict with an
    `"images"` key. Each augmentation in `layers` is one of:

    - a keras_margin augmentation layer (`AugmentationLayer`: the image, audio and
      text layers): called as `layer(x, training=True, seed=s)` on the first item of a
      tuple (the others pass through) or on the whole element otherwise. Layers that
      mix labels (`mixes_labels` is True, e.g. `FourierMix`) get `(images, labels)`
      (or the dict) and return both.
    - a pipeline-level wrapper: a callable `augment(images, labels, seed=None) ->
      (images, labels)` that is not a layer (an image `policy(...)`,
      `magnitude.ScaledAffine`, `magnitude.ClassAwareAugmentation`,
      `magnitude.with_probability`); it derives the seeds of its parts from `s` by the
      same rule.

    Reproducibility holds for the same `seed`, data order, batch size and TensorFlow
    version and, if one is set (e.g. by `keras.utils.set_random_seed`), the same
    TensorFlow global seed. A `magnitude` changed between epochs applies to batches
    computed after the change; set it where a new epoch starts (a callback's
    `on_epoch_begin`), before that epoch's iterator is created.

    Args:
        dataset: a `tf.data.Dataset`.
        layers: one augmentation or a list of them, applied in order, each with its
            own seed derived from the element's.
        seed: an integer >= 0, or None for different randomness in every run.
        num_aug: None to augment every element once (same shape out), or an integer
            >= 1: each element `(x, *rest)` of leading size B becomes one of size
            B * (num_aug + 1) (B * num_aug without `keep_original`): the originals
            first, then `num_aug` augmented copies, each copy with its own draws
            (they sit at other positions); the other items are tiled to match. This
            is Wei & Zou's EDA `num_aug`; follow with `unbatch().shuffle(...)
            .batch(...)` (or `rebatch`) to mix copies across batches. A scalar
            element counts as B = 1. Not with augmentations that mix labels.
        keep_original: with `num_aug`, also keep the originals.
        num_parallel_calls: as for `Dataset.map` (default AUTOTUNE).
        deterministic: as for `Dataset.map`; the values do not depend on it, only
            whether the elements may come out of order.

    Returns:
        The mapped `tf.data.Dataset`, with the element structure and cardinality of
        `dataset`.

    Raises:
        ValueError: naming the argument, for a bad `seed` or `num_aug`, an
            augmentation that takes no per-call `seed` (such as a Keras core layer),
            or `num_aug` with an augmentation that mixes labels.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment import image, seeded_map
    >>> images = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), "uint8")
    >>> labels = np.arange(32) % 10
    >>> dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    >>> layers = [image.RandAugment(seed=1), image.GridMask(seed=2)]
    >>> augmented = seeded_map(dataset, layers, seed=0)
    >>> first = [x.numpy() for x, _ in augmented]
    >>> again = [x.numpy() for x, _ in seeded_map(dataset, layers, seed=0)]
    >>> all(np.array_equal(a, b) for a, b in zip(first, again))
    True

    With texts, and EDA's augmented copies:

    >>> from keras_margin.augment.text import RandomSwap
    >>> texts = tf.data.Dataset.from_tensor_slices(["one two three", "four five six"])
    >>> data = tf.data.Dataset.zip(texts, tf.data.Dataset.range(2)).batch(2)
    >>> augmented = seeded_map(data, RandomSwap(0.5), seed=0, num_aug=2)
    >>> [(tuple(t.shape), y.numpy().tolist()) for t, y in augmented]
    [((6,), [0, 1, 0, 1, 0, 1])]
    """
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    if num_aug is not None:
        num_aug = validation.integer_at_least(num_aug, 1, "num_aug")
    layers = list(layers) if isinstance(layers, (list, tuple)) else [layers]
    for layer in layers:
        _check_augmentation(layer)
        if num_aug is not None and mixes_labels(layer):
            raise ValueError(
                "`num_aug` copies keep their labels; "
                f"{type(layer).__name__} mixes labels, so it cannot make them."
            )
    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    indexed = tf.data.Dataset.zip(dataset.enumerate(), randoms)

    def augment(indexed_element, random):
        index, element = indexed_element
        element_seed = tf.stack([random, index])
        if num_aug is None:
            return apply_all(layers, element, element_seed)
        return _with_copies(layers, element, element_seed, num_aug, keep_original)

    return indexed.map(augment, num_parallel_calls=num_parallel_calls, deterministic=deterministic)


def apply_all(layers, element, seed):
    """`layers` in order on `element`, the `k`-th with `stateless_fold_in(seed, k)`."""
    seed = tf.cast(seed, tf.int64)
    for position, layer in enumerate(layers):
        element = apply_layer(layer, element, tf.random.experimental.stateless_fold_in(seed, position))
    return element


def apply_layer(layer, element, seed):
    """One augmentation on `element` with the (2,) `seed` (see `seeded_map`)."""
    if not _is_layer(layer):
        # A pipeline-level wrapper: (images, labels) in, (images, labels) out.
        if isinstance(element, dict):
            images, labels = layer(element["images"], element["labels"], seed=seed)
            return {**element, "images": images, "labels": labels}
        images, labels = layer(element[0], element[1], seed=seed)
        return (images, labels, *element[2:])
    if mixes_labels(layer) or not isinstance(element, (tuple, list)):
        if isinstance(element, (tuple, list)) and len(element) > 2:
            mixed = layer(tuple(element[:2]), training=True, seed=seed)
            return (*mixed, *element[2:])
        return layer(element, training=True, seed=seed)
    first = layer(element[0], training=True, seed=seed)
    return (first, *element[1:])


def mixes_labels(layer):
    """True for augmentations that take and return labels (mixing, soft labels)."""
    return bool(getattr(layer, "mixes_labels", False))


def _is_layer(layer):
    return isinstance(layer, keras.layers.Layer)


def _check_augmentation(layer):
    if isinstance(layer, AugmentationLayer):
        return
    if _is_layer(layer) and takes_seed(layer.call):
        return
    if not _is_layer(layer) and callable(layer) and takes_seed(layer):
        return
    raise ValueError(
        "`layers` must be keras_margin augmentation layers or pipeline-level "
        "augmentations `augment(images, labels, seed=None)` (they take a per-call "
        f"seed); received {type(layer).__name__}. Wrap Keras core layers in "
        "RandomApply or RandomChoice, or map them separately."
    )


def takes_seed(function):
    """True when `function` accepts a per-call `seed` (so `seeded_map` can drive it)."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters


def _with_copies(layers, element, element_seed, num_aug, keep_original):
    is_sequence = isinstance(element, (tuple, list))
    items = list(element) if is_sequence else [element]
    if not isinstance(items[0], tf.RaggedTensor) and tf.convert_to_tensor(items[0]).shape.rank == 0:
        items = [tf.convert_to_tensor(item)[tf.newaxis] for item in items]
    # One call on the stacked copies: each copy sits at other positions, so it gets
    # other per-item draws.
    copies = tuple(_concat([item] * num_aug) for item in items)
    augmented = apply_all(layers, copies if is_sequence else copies[0], element_seed)
    augmented = list(augmented) if is_sequence else [augmented]
    if keep_original:
        augmented = [_concat([item, copy]) for item, copy in zip(items, augmented)]
    return tuple(augmented) if is_sequence else augmented[0]


def _concat(items):
    if isinstance(items[0], tf.RaggedTensor):
        return tf.concat(items, axis=0)
    return tf.concat([tf.convert_to_tensor(item) for item in items], axis=0)
