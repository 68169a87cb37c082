"""`make_text_pipeline`: in-memory texts -> a batched, prefetched `tf.data.Dataset`."""

import numbers

import numpy as np
import tensorflow as tf

from keras_margin.augment.policy import Policy
from keras_margin.augment.seeded_map import seeded_map
from keras_margin.augment.text import TextAugmentation


def make_text_pipeline(texts, labels, batch_size, training, augment=None, seed=None):
    """Builds the `tf.data` pipeline that `keras_margin.data.load_text` returns.

    Steps, as in `make_pipeline` for images: keep the texts once as a string tensor ->
    shuffle indices (training only, reshuffled every epoch) -> batch -> gather the
    texts and labels of each batch -> `augment` (training only) -> prefetch.

    Args:
        texts: 1-D array or list of `str`.
        labels: integer array of shape `(num_examples,)`.
        batch_size: examples per batch, an integer >= 1.
        training: if True, shuffle every epoch and apply `augment`.
        augment: None; a `keras_margin.augment.Policy` such as
            `keras_margin.augment.text.policy("eda", num_train)`, applied with
            `augment.apply(batches, seed, batch_size)` (with `copies`, each text and
            its copies are reshuffled into batches of `batch_size`, so an epoch has
            `copies + 1` times as many batches, and its cardinality is unknown); a
            `keras_margin.augment.text` layer, mapped with `seeded_map` and `seed`, so
            the augmented texts depend only on (seed, epoch, batch); or any callable
            `(texts, labels) -> (texts, labels)` mapped over the batches
            (`num_parallel_calls=AUTOTUNE`).
        seed: seed of the shuffle and of a text layer's `seeded_map`.

    Returns:
        A `tf.data.Dataset` of `(texts, labels)`: tf.string texts `(batch,)` and
        int32 labels `(batch,)`. Its cardinality is known (but see `augment`).
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
    texts = np.asarray(texts, dtype=object)
    labels = np.asarray(labels)
    if texts.ndim != 1 or labels.ndim != 1 or len(texts) != len(labels):
        raise ValueError(
            "`texts` and `labels` must be 1-D and hold the same number of examples; "
            f"received shapes {texts.shape} and {labels.shape}."
        )
    text_table = tf.constant(texts.astype(str) if len(texts) else np.zeros((0,), str), tf.string)
    label_table = tf.constant(labels.astype(np.int32))

    def gather(indices):
        return tf.gather(text_table, indices), tf.gather(label_table, indices)

    dataset = tf.data.Dataset.range(len(labels))
    if training and len(labels) > 0:
        dataset = dataset.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(gather, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        if isinstance(augment, Policy):
            dataset = augment.apply(dataset, seed=seed, batch_size=batch_size)
        elif isinstance(augment, TextAugmentation):
            dataset = seeded_map(dataset, augment, seed=seed)
        else:
            dataset = dataset.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)
