"""`make_pipeline`: in-memory arrays -> a batched, prefetched `tf.data.Dataset`."""

import numbers

import numpy as np
import tensorflow as tf

from keras_margin.augment.policy import Policy
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.seeded_map import takes_seed
from keras_margin.data.imbalance import balanced_indices


def make_pipeline(images, labels, batch_size, training, augment=None, seed=None, balance=None):
    """Builds the `tf.data` pipeline that every `keras_margin.data` loader returns.

    Steps: keep the decoded arrays in memory -> shuffle (training only, reshuffled
    every epoch) -> batch -> cast images to float32 -> `augment` (training only) ->
    prefetch. Elements are `(images, labels)` batches; the last batch may be smaller.

    The decoded arrays are held once, as tensors, and the pipeline shuffles and
    batches *indices* and gathers whole batches from them. That is the cache: nothing
    is decoded twice, the shuffle buffer holds only integers (so it can span the
    whole split and the shuffle is uniform even when the arrays are sorted by class)
    and images stay in their stored dtype (uint8 for most sources, 4x smaller than
    float32) until a batch is cast.

    Args:
        images: array of shape `(num_examples, ...)`, any numeric dtype.
        labels: integer array of shape `(num_examples,)`.
        batch_size: examples per batch, an integer >= 1.
        training: if True, shuffle every epoch and apply `augment`.
        augment: optional `keras_margin.augment.Policy` (applied with
            `augment.apply(batches, seed, batch_size)`) or callable
            `(images, labels) -> (images, labels)` applied to each float32 training
            batch in parallel (`num_parallel_calls=AUTOTUNE`). Only allowed with
            `training=True`: evaluation data must stay untouched. With an int `seed`
            and an `augment` that takes a per-call `seed` (every keras_margin policy
            and augmentation layer), it is mapped with
            `keras_margin.augment.seeded_map`, so the augmented batches are the same in
            every run despite the parallel map.
        seed: seed of the shuffle (and of `augment`, above). With an int, epoch `k`
            has the same order in every run; different epochs still differ.
        balance: None (every example once per epoch), `"oversample"` or
            `"undersample"`: every class equally often per epoch, as in
            `keras_margin.data.balanced`. Training only.

    Returns:
        A `tf.data.Dataset` of `(images, labels)`: float32 images of shape
        `(batch, ...)` and int32 labels of shape `(batch,)`. Its cardinality is known.

    Example:

    >>> import numpy as np
    >>> images = np.zeros((10, 28, 28, 1), dtype="uint8")
    >>> labels = np.arange(10) % 2
    >>> ds = make_pipeline(images, labels, batch_size=4, training=True, seed=0)
    >>> [int(y.shape[0]) for _, y in ds]
    [4, 4, 2]
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < 1
    ):
        raise ValueError(f"`batch_size` must be an integer >= 1; received {batch_size!r}.")
    if augment is not None and not callable(augment):
        raise ValueError(f"`augment` must be a callable or None; received {augment!r}.")
    if augment is not None and not training:
        raise ValueError("`augment` is only applied to training data; pass training=True.")
    if balance is not None and not training:
        raise ValueError("`balance` only applies to training data; pass training=True.")
    labels = np.asarray(labels)
    gather = batch_gatherer(images, labels)
    num_examples = len(labels)
    if balance is not None:
        dataset = balanced_indices(labels, mode=balance, seed=seed)
        counts = np.bincount(labels)
        per_class = counts.max() if balance == "oversample" else counts.min()
        # choose_from_datasets cannot know its length; an epoch has exactly this many.
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(int(per_class) * len(counts)))
    else:
        dataset = tf.data.Dataset.range(num_examples)
    if training and num_examples > 0 and balance is None:
        dataset = dataset.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    if isinstance(augment, Policy):
        dataset = augment.apply(dataset, seed=seed, batch_size=batch_size)
    elif augment is not None and seed is not None and takes_seed(augment):
        dataset = seeded_map(dataset, augment, seed=seed)
    elif augment is not None:
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def batch_gatherer(images, labels):
    """The `tf.data` map from a batch of example indices to `(float32 images, int32 labels)`.

    Raises:
        ValueError: unless `labels` is 1-D with one entry per image.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            "`images` and `labels` must hold the same number of examples and `labels` "
            f"must be 1-D; received shapes {images.shape} and {labels.shape}."
        )
    image_table = tf.constant(images)
    label_table = tf.constant(labels.astype(np.int32))

    def gather(indices):
        batch_images = tf.cast(tf.gather(image_table, indices), tf.float32)
        return batch_images, tf.gather(label_table, indices)

    return gather
