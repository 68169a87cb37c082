"""Over-augmentation checks: affinity and diversity (Gontijo-Lopes et al. 2021)."""

import numpy as np
import tensorflow as tf

from keras_margin.utils import validation


def augmentation_affinity(model, dataset, augment, repeats=1):
    """Accuracy on augmented data divided by accuracy on the same data, clean.

    Affinity says how far an augmentation moves data off the distribution the model
    learned: about 1 means the augmented images still look like the data, much below
    1 that the model cannot recognise them. The paper measures it with a model
    trained *without* the augmentation on validation data; a low affinity together
    with a low diversity means the augmentation mostly hurts.

    Args:
        model: a Keras model whose call returns logits or probabilities (a
            `MarginModel` returns its no-margin logits). Run in inference mode.
        dataset: a finite `tf.data.Dataset` of `(images, labels)` batches; labels are
            class ids or a (batch, C) label matrix (argmax taken).
        augment: a callable `(images, labels) -> (images, labels)` for batches.
        repeats: passes over the augmented data to average, an integer >= 1.

    Returns:
        A float; NaN when the clean accuracy is 0.

    Example:

    >>> import keras_margin as km
    >>> # model trained on clean data; val from km.data.load(...)
    >>> # km.metrics.augmentation_affinity(model, val, km.augment.image.policy("standard"))

    References:
        - Gontijo-Lopes, Smullin, Cubuk, Dyer. "Tradeoffs in Data Augmentation: An
          Empirical Study", ICLR 2021. https://openreview.net/forum?id=ZcKPWuhG6wy
    """
    repeats = validation.integer_at_least(repeats, 1, "repeats")
    _check(dataset, augment)
    clean_accuracy, _ = accuracy_and_loss(model, dataset)
    augmented = [accuracy_and_loss(model, dataset.map(augment))[0] for _ in range(repeats)]
    return float(np.mean(augmented) / clean_accuracy) if clean_accuracy > 0 else float("nan")


def augmentation_diversity(model, dataset, augment, reference_model=None, repeats=1):
    """Mean loss on augmented training data divided by the mean loss on clean data.

    Diversity says how much harder an augmentation makes the training data to fit:
    1 adds nothing, larger adds more variety. The paper's definition compares the
    final training loss of a model trained *with* the augmentation (`model`, on
    augmented data) with that of a model trained without it (`reference_model`, on
    clean data). Without `reference_model`, both losses are `model`'s: a cheap,
    one-model proxy to watch during training (`AugmentationCheck` logs it).

    The loss is the cross-entropy of the model's inference-mode output (no margin,
    no dropout), so measuring updates no state (batch-norm statistics, head EMAs).

    Args:
        model: a Keras model returning logits (a `MarginModel` does).
        dataset: a finite `tf.data.Dataset` of clean `(images, labels)` training
            batches (a subset is enough).
        augment: a callable `(images, labels) -> (images, labels)`; may return soft
            labels (MixUp, CutMix), which the loss takes as they are.
        reference_model: the model trained without augmentation, or None.
        repeats: passes over the augmented data to average, an integer >= 1.

    Returns:
        A float; NaN when the clean loss is 0.

    References:
        - Gontijo-Lopes, Smullin, Cubuk, Dyer. "Tradeoffs in Data Augmentation: An
          Empirical Study", ICLR 2021. https://openreview.net/forum?id=ZcKPWuhG6wy
    """
    repeats = validation.integer_at_least(repeats, 1, "repeats")
    _check(dataset, augment)
    _, clean_loss = accuracy_and_loss(reference_model if reference_model is not None else model, dataset)
    augmented = [accuracy_and_loss(model, dataset.map(augment))[1] for _ in range(repeats)]
    return float(np.mean(augmented) / clean_loss) if clean_loss > 0 else float("nan")


def accuracy_and_loss(model, dataset):
    """(accuracy, mean cross-entropy) of `model`'s logits over a batched dataset."""
    correct = total = loss_sum = 0.0
    for images, labels in dataset:
        outputs = tf.cast(model(images, training=False), tf.float32)
        labels = tf.convert_to_tensor(labels)
        num_classes = outputs.shape[-1]
        if labels.shape.rank == 2 and labels.shape[-1] == num_classes and labels.dtype.is_floating:
            targets = tf.cast(labels, tf.float32)
        else:
            targets = tf.one_hot(tf.cast(tf.reshape(labels, (-1,)), tf.int32), num_classes)
        losses = tf.nn.softmax_cross_entropy_with_logits(targets, outputs)
        correct += float(tf.reduce_sum(tf.cast(
            tf.equal(tf.argmax(outputs, -1), tf.argmax(targets, -1)), tf.float32)))
        total += float(tf.shape(outputs)[0])
        loss_sum += float(tf.reduce_sum(losses))
    if total == 0:
        raise ValueError("`dataset` is empty.")
    return correct / total, loss_sum / total


def _check(dataset, augment):
    if not isinstance(dataset, tf.data.Dataset):
        raise ValueError(f"`dataset` must be a tf.data.Dataset of batches; received {type(dataset).__name__}.")
    if not callable(augment):
        raise ValueError(f"`augment` must be callable; received {augment!r}.")
