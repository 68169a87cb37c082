"""`pk_batches`: P classes x K samples per batch, for the losses on embeddings."""

import math

import numpy as np
import tensorflow as tf

from keras_margin.data.pipeline import batch_gatherer
from keras_margin.utils import validation


def pk_indices(labels, classes_per_batch, samples_per_class, seed=None):
    """A `tf.data.Dataset` of (P * K,) int64 index batches: P distinct classes x K each.

    An epoch covers every example: each class's examples are shuffled and cut into
    draws of K (the class's order is cycled to fill its last draw), the draws of all
    classes are laid out so that no batch holds a class twice, and free places are
    filled with further draws of randomly chosen classes. The number of batches per
    epoch is `max(ceil(sum_c ceil(n_c / K) / P), max_c ceil(n_c / K))`; the
    cardinality is known.

    Classes with fewer than K examples are drawn with replacement, in cycles: a draw
    holds every one of their examples before any repeats. Every draw of a class with
    at least K examples holds K distinct examples.

    Within a batch the P classes come one after another, K examples each. Batches are
    in random order. With an int `seed`, epoch `k` is the same in every run; different
    epochs differ (as `make_pipeline`'s shuffle).

    Args:
        labels: integer array of shape (num_examples,).
        classes_per_batch: P, an integer in [1, number of classes].
        samples_per_class: K, an integer >= 1 (>= 2 for losses that need positives).
        seed: optional int seed.

    Returns:
        A `tf.data.Dataset` of int64 index vectors of shape (P * K,).
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"`labels` must be a non-empty 1-D array; received shape {labels.shape}.")
    classes, class_of_example, counts = np.unique(labels, return_inverse=True, return_counts=True)
    per_batch = validation.integer_at_least(classes_per_batch, 1, "classes_per_batch")
    per_class = validation.integer_at_least(samples_per_class, 1, "samples_per_class")
    if per_batch > len(classes):
        raise ValueError(
            f"`classes_per_batch` must be at most the number of classes ({len(classes)}); "
            f"received {classes_per_batch!r}."
        )
    num_classes = len(classes)
    draws = -(-counts // per_class)  # ceil(n_c / K): draws that cover class c once
    num_batches = max(math.ceil(draws.sum() / per_batch), int(draws.max()))
    # A class appears at most once per batch, so at most num_batches times an epoch;
    # these are the places left for the extra draws that fill the last batches.
    free_places = tf.constant(np.repeat(np.arange(num_classes), num_batches - draws), tf.int64)
    num_extra = num_batches * per_batch - int(draws.sum())
    first = tf.constant(np.concatenate([[0], np.cumsum(counts)[:-1]]), tf.int64)
    counts_t = tf.constant(counts, tf.int64)
    draws_t = tf.constant(draws, tf.int64)
    class_key = tf.constant(class_of_example, tf.float64)

    def permutation(size, seed_pair):
        return tf.argsort(tf.random.stateless_uniform([size], seed_pair), stable=True)

    def epoch(epoch_seed):
        seeds = [tf.stack([epoch_seed, tf.constant(k, tf.int64)]) for k in range(4)]
        # Extra draws on random classes, never more than one per batch and class.
        extra = tf.gather(free_places, permutation(tf.size(free_places), seeds[0])[:num_extra])
        class_draws = draws_t + tf.math.bincount(
            extra, minlength=num_classes, maxlength=num_classes, dtype=tf.int64
        )
        order = tf.cast(permutation(num_classes, seeds[1]), tf.int64)
        runs = tf.gather(class_draws, order)
        sequence = tf.repeat(order, runs)  # class of every draw, classes in runs
        run_start = tf.repeat(tf.cumsum(runs, exclusive=True), runs)
        draw_number = tf.range(num_batches * per_batch, dtype=tf.int64) - run_start
        # Column-major into (P, B) then transposed: a run of length <= B lands on
        # distinct rows, so no batch (row) holds a class twice.
        batch_class = tf.transpose(tf.reshape(sequence, [per_batch, num_batches]))
        batch_draw = tf.transpose(tf.reshape(draw_number, [per_batch, num_batches]))
        # Examples sorted by class, in random order within each class.
        noise = tf.random.stateless_uniform([len(labels)], seeds[2], dtype=tf.float64)
        by_class = tf.argsort(class_key + noise, stable=True)
        offsets = batch_draw[:, :, None] * per_class + tf.range(per_class, dtype=tf.int64)
        positions = tf.gather(first, batch_class)[:, :, None] + offsets % tf.gather(
            counts_t, batch_class
        )[:, :, None]
        indices = tf.cast(tf.gather(by_class, positions), tf.int64)
        indices = tf.reshape(indices, [num_batches, per_batch * per_class])
        return tf.data.Dataset.from_tensor_slices(
            tf.gather(indices, permutation(num_batches, seeds[3]))
        )

    dataset = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1)
    dataset = dataset.flat_map(epoch)
    return dataset.apply(tf.data.experimental.assert_cardinality(num_batches))


def pk_batches(images, labels, classes_per_batch, samples_per_class, seed=None, augment=None):
    """A training `tf.data.Dataset` of `(images, labels)` batches of P classes x K samples.

    The P x K sampling that pair and triplet losses need (every anchor has positives
    and negatives in its batch), over in-memory arrays such as those of
    `keras_margin.data.load_training_split`. The sampling is `pk_indices`'; images
    are gathered, cast to float32 and augmented per batch as in `make_pipeline`.

    Args:
        images: array of shape `(num_examples, ...)`, any numeric dtype.
        labels: integer array of shape `(num_examples,)`.
        classes_per_batch: P, an integer in [1, number of classes].
        samples_per_class: K, an integer >= 1. Classes with fewer than K examples are
            drawn with replacement (each of their examples once before any repeats).
        seed: optional int seed; epoch `k` is then the same in every run.
        augment: optional callable `(images, labels) -> (images, labels)` applied to
            each float32 batch.

    Returns:
        A `tf.data.Dataset` of float32 images `(P * K, ...)` and int32 labels
        `(P * K,)`, with known cardinality (the batches of one epoch).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> images = np.zeros((30, 4, 4, 1), "uint8")
    >>> labels = np.arange(30) % 5
    >>> ds = km.data.pk_batches(images, labels, classes_per_batch=3, samples_per_class=2, seed=0)
    >>> _, batch_labels = next(iter(ds))
    >>> sorted(np.bincount(batch_labels.numpy(), minlength=5).tolist())
    [0, 0, 2, 2, 2]

    References:
        - Hermans, Beyer, Leibe. "In Defense of the Triplet Loss for Person
          Re-Identification", 2017 (P x K batches). https://arxiv.org/abs/1703.07737
        - pytorch-metric-learning, `samplers.MPerClassSampler`.
    """
    if augment is not None and not callable(augment):
        raise ValueError(f"`augment` must be a callable or None; received {augment!r}.")
    gather = batch_gatherer(images, labels)
    dataset = pk_indices(np.asarray(labels), classes_per_batch, samples_per_class, seed=seed)
    dataset = dataset.map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
