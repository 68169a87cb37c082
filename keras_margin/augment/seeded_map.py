"""`seeded_map`: reproducible random augmentation in `tf.data`, under any parallelism.

Why the layers' own seeds are not enough: a layer that keeps its random state in a
variable hands out draws in the order map calls happen to run, which under
`num_parallel_calls=AUTOTUNE` changes from run to run. Here each dataset element
instead carries its own seed, and the layers draw statelessly from it, so what an
element gets no longer depends on scheduling.

Where the seeds come from: `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`
zipped with the dataset. It yields one int64 per element, a function of `seed`, of the
element's position, and of how many times the dataset has been iterated before: every
new iterator (Keras' `fit` makes one per epoch; `dataset.repeat()` one per repetition)
draws a new sequence. So element i of epoch e always gets the same seed, whatever the
parallelism, and the epochs differ.
"""

import tensorflow as tf

from keras_margin.augment.augmentation_layer import AugmentationLayer
from keras_margin.utils import validation


def seeded_map(
    dataset,
    layers,
    seed,
    num_parallel_calls=tf.data.AUTOTUNE,
    deterministic=None,
):
    """Maps keras_margin augmentation layers (image, audio) over `dataset`, seeded per element.

    Every element gets a seed that depends only on `seed`, on the element's index in
    the epoch and on the epoch (the number of iterations over the dataset before this
    one). The layers draw all their randomness from it, so the augmented dataset is the
    same in every run, also with `num_parallel_calls=AUTOTUNE`, and each epoch differs
    from the last. Map after `batch()`: the element is then a batch, and its seed
    covers every image in it (each image still gets its own draws).

    Elements may be an image tensor, a tuple `(images, labels, ...)` or a dict with an
    `"images"` key. Layers that mix labels (`FourierMix`, whose `mixes_labels` is True)
    get `(images, labels)` (or the dict) and return both; the others get the images.

    Reproducibility holds for the same `seed`, data order, batch size and TensorFlow
    version and, if one is set (e.g. by `keras.utils.set_random_seed`), the same
    TensorFlow global seed. A `magnitude` changed between epochs applies to batches
    computed after the change; set it where a new epoch starts (a callback's
    `on_epoch_begin`), before that epoch's iterator is created.

    Args:
        dataset: a `tf.data.Dataset`.
        layers: a keras_margin augmentation layer or a list of them, applied in order,
            each with its own seed derived from the element's.
        seed: an integer >= 0.
        num_parallel_calls: as for `Dataset.map` (default AUTOTUNE).
        deterministic: as for `Dataset.map`; the values do not depend on it, only
            whether the elements may come out of order.

    Returns:
        The mapped `tf.data.Dataset`, with the element structure of `dataset`.

    Raises:
        ValueError: for a bad `seed`, or a layer that takes no per-call `seed`.

    Example:

    >>> import numpy as np, tensorflow as tf
    >>> from keras_margin.augment import image
    >>> images = np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), "uint8")
    >>> labels = np.arange(32) % 10
    >>> dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(8)
    >>> layers = [image.RandAugment(seed=1), image.GridMask(seed=2)]
    >>> augmented = image.seeded_map(dataset, layers, seed=0)
    >>> first = [x.numpy() for x, _ in augmented]
    >>> again = [x.numpy() for x, _ in image.seeded_map(dataset, layers, seed=0)]
    >>> all(np.array_equal(a, b) for a, b in zip(first, again))
    True
    """
    seed = validation.integer_at_least(seed, 0, "seed")
    if not isinstance(layers, (list, tuple)):
        layers = [layers]
    layers = list(layers)
    for layer in layers:
        if not isinstance(layer, AugmentationLayer):
            raise ValueError(
                "`layers` must be keras_margin image or audio augmentation layers (they take a "
                f"per-call seed); received {type(layer).__name__}. Wrap Keras core "
                "layers in RandomApply or RandomChoice, or map them separately."
            )
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def augment(element, element_seed):
        base = tf.stack([tf.constant(seed, tf.int64), element_seed])
        for index, layer in enumerate(layers):
            layer_seed = tf.random.experimental.stateless_fold_in(base, index)
            element = apply_layer(layer, element, layer_seed)
        return element

    zipped = tf.data.Dataset.zip((dataset, seeds))
    return zipped.map(
        augment, num_parallel_calls=num_parallel_calls, deterministic=deterministic
    )


def apply_layer(layer, element, seed):
    """`layer` on the images of `element` (or images and labels, for mixing layers)."""
    if getattr(layer, "mixes_labels", False) or not isinstance(element, (tuple, list)):
        if isinstance(element, (tuple, list)) and len(element) > 2:
            mixed = layer(tuple(element[:2]), training=True, seed=seed)
            return (*mixed, *element[2:])
        return layer(element, training=True, seed=seed)
    images = layer(element[0], training=True, seed=seed)
    return (images, *element[1:])
