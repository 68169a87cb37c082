"""`seeded_map`: stateless per-element seeds for text augmentation in `tf.data`."""

import tensorflow as tf

from keras_margin.augment.text import _random
from keras_margin.utils import validation


def seeded_map(
    dataset,
    layer,
    seed=None,
    num_aug=None,
    keep_original=True,
    num_parallel_calls=tf.data.AUTOTUNE,
    deterministic=None,
):
    """Maps a text augmentation layer over `dataset`, with seeds that come with the data.

    Every element gets the seed `(r, i)`: `i` is its index in the epoch and `r` the
    `i`-th value of `tf.data.Dataset.random(seed, rerandomize_each_iteration=True)`,
    whose sequence is a fixed function of `seed` and of the epoch (each new iteration
    over the dataset, including each pass of a later `repeat()`, is a new epoch). The
    layer then derives one seed per text from the element seed and the text's
    position in the element. So the same `(seed, epoch, element)` gives the same
    augmented texts in every run, also under `num_parallel_calls=AUTOTUNE` and in any
    order of execution, and different epochs give different texts. (Layers called
    without a seed tensor instead advance a shared generator state, which concurrent
    `tf.data` calls race for.)

    Map after `batch()`: the layers augment a whole batch in one vectorised pass, and
    per-text work in `tf.data` costs more than the augmentation itself.

    Args:
        dataset: a `tf.data.Dataset` whose elements are a string tensor (one text, a
            batch, or a ragged batch) or a tuple / list whose first item is one (e.g.
            `(texts, labels)`); the other items pass through.
        layer: a `keras_margin.augment.text` layer, or any callable
            `layer(texts, seed=seed)` taking an int tensor seed of shape (2,) or
            (num_texts, 2).
        seed: an integer >= 0, or None for fresh randomness in every run.
        num_aug: None to augment every text once (same shape out), or an integer
            >= 1: each element `(texts, *rest)` of leading size B becomes one of size
            B * (num_aug + 1) (B * num_aug without `keep_original`): the originals
            first, then `num_aug` augmented copies of the whole element, each copy
            with its own seeds; the other items are tiled to match. This is Wei &
            Zou's `num_aug`; follow with `unbatch().shuffle(...).batch(...)` (or
            `rebatch`) to mix copies across batches. A scalar text counts as B = 1.
        keep_original: with `num_aug`, also keep the original texts.
        num_parallel_calls, deterministic: passed to `Dataset.map`.

    Returns:
        The mapped `tf.data.Dataset`, with the cardinality of `dataset`.

    Raises:
        ValueError: naming the argument, for a bad `seed` or `num_aug`, or a
            non-callable `layer`.

    Example:

    >>> import tensorflow as tf
    >>> from keras_margin.augment.text import RandomSwap, seeded_map
    >>> texts = tf.data.Dataset.from_tensor_slices(["one two three", "four five six"])
    >>> labels = tf.data.Dataset.from_tensor_slices([0, 1])
    >>> data = tf.data.Dataset.zip(texts, labels).batch(2)
    >>> augmented = seeded_map(data, RandomSwap(0.5), seed=0, num_aug=2)
    >>> [(tuple(t.shape), y.numpy().tolist()) for t, y in augmented]
    [((6,), [0, 1, 0, 1, 0, 1])]
    """
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    if num_aug is not None:
        num_aug = validation.integer_at_least(num_aug, 1, "num_aug")
    if not callable(layer):
        raise ValueError(f"`layer` must be callable; received {layer!r}.")
    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    indexed = tf.data.Dataset.zip(dataset.enumerate(), randoms)

    def augment(indexed_element, random):
        index, element = indexed_element
        element_seed = tf.stack([random, index])
        is_sequence = isinstance(element, (tuple, list))
        texts, rest = (element[0], tuple(element[1:])) if is_sequence else (element, ())
        if num_aug is None:
            texts = layer(texts, seed=element_seed)
        else:
            texts, rest = _copies(layer, texts, rest, element_seed, num_aug, keep_original)
        return (texts, *rest) if is_sequence else texts

    return indexed.map(augment, num_parallel_calls=num_parallel_calls, deterministic=deterministic)


def _copies(layer, texts, rest, element_seed, num_aug, keep_original):
    if not isinstance(texts, tf.RaggedTensor) and texts.shape.rank == 0:
        texts = texts[tf.newaxis]
        rest = tuple(tf.convert_to_tensor(item)[tf.newaxis] for item in rest)
    copies = _concat([texts] * num_aug)
    if isinstance(copies, tf.RaggedTensor):
        size = tf.size(copies.flat_values, out_type=tf.int64)
    else:
        size = tf.size(copies, out_type=tf.int64)
    augmented = layer(copies, seed=_random.row_seeds(element_seed, size))
    repeats = num_aug + 1 if keep_original else num_aug
    outputs = _concat([texts, augmented]) if keep_original else augmented
    return outputs, tuple(_concat([item] * repeats) for item in rest)


def _concat(items):
    if isinstance(items[0], tf.RaggedTensor):
        return tf.concat(items, axis=0)
    return tf.concat([tf.convert_to_tensor(item) for item in items], axis=0)
