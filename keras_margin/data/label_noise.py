"""Synthetic label noise for studies, and label smoothing as a data step."""

import numpy as np
import tensorflow as tf

from keras_margin.utils import validation

NOISE_KINDS = ("symmetric", "pairflip")


def with_label_noise(labels_or_dataset, rate, kind="symmetric", seed=None, num_classes=None):
    """Corrupts class labels at random, and says which ones were corrupted.

    Each label is corrupted independently with probability `rate` (so the number
    corrupted is Binomial(N, rate), not exactly `rate * N`):

    - `"symmetric"`: to a class drawn uniformly from the *other* C - 1 classes;
    - `"pairflip"`: to class `(c + 1) mod C`, the structured noise of Han et al.
      (a similar-looking class, always the same one).

    A corrupted label always differs from the original. Apply it to the training split
    only: validation and test labels must stay clean to measure anything.
    `keras_margin.data.load(..., label_noise=rate)` does exactly that.

    Args:
        labels_or_dataset: integer class ids, shape (N,); or an *unbatched*
            `tf.data.Dataset` of `(x, label)` pairs with scalar integer labels.
        rate: the probability of corrupting a label, in [0, 1].
        kind: `"symmetric"` (default) or `"pairflip"`.
        seed: an integer >= 0, a `numpy.random.Generator`, or None. For a dataset,
            each element's draw is keyed by `(seed, position)`, so every epoch sees
            the same corrupted labels (a seed is drawn once when None). Arrays and
            datasets draw differently for the same seed.
        num_classes: C; for arrays it defaults to `max(labels) + 1`; required for a
            dataset.

    Returns:
        For arrays, `(noisy_labels, corrupted)`: an array like `labels` and a boolean
        (N,) mask of the changed entries. For a dataset, `(noisy_dataset,
        corrupted_dataset)`: the `(x, noisy_label)` pairs and, element by element, a
        dataset of booleans.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> labels = np.arange(1000) % 10
    >>> noisy, corrupted = km.data.with_label_noise(labels, 0.4, kind="pairflip", seed=0)
    >>> bool(np.all(noisy[corrupted] == (labels[corrupted] + 1) % 10))
    True
    >>> bool(np.all(noisy[~corrupted] == labels[~corrupted]))
    True

    References:
        - Han, Yao, Yu, Niu, Xu, Hu, Tsang, Sugiyama. "Co-teaching: Robust Training of
          Deep Neural Networks with Extremely Noisy Labels", NeurIPS 2018 (symmetric
          and pair-flip noise). https://arxiv.org/abs/1804.06872
    """
    rate = validation.number_in_range(rate, "rate", 0.0, 1.0)
    if kind not in NOISE_KINDS:
        raise ValueError(f"`kind` must be one of {NOISE_KINDS}; received {kind!r}.")
    if seed is not None and not isinstance(seed, np.random.Generator):
        seed = validation.integer_at_least(seed, 0, "seed")
    if num_classes is not None:
        num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
    if isinstance(labels_or_dataset, tf.data.Dataset):
        return _noisy_dataset(labels_or_dataset, rate, kind, seed, num_classes)
    labels = np.asarray(labels_or_dataset)
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(
            "`labels_or_dataset` must be a 1-D array of integer class ids or an unbatched "
            f"tf.data.Dataset; received shape {labels.shape} and dtype {labels.dtype}."
        )
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 2
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"`labels_or_dataset` holds ids outside [0, {num_classes}).")
    if num_classes < 2:
        raise ValueError("Label noise needs at least 2 classes.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    corrupted = rng.random(labels.shape) < rate
    if kind == "symmetric":
        # Adding 1..C-1 modulo C reaches every other class with equal probability.
        offsets = rng.integers(1, num_classes, size=labels.shape)
    else:
        offsets = np.ones_like(labels)
    noisy = np.where(corrupted, (labels + offsets) % num_classes, labels).astype(labels.dtype)
    return noisy, corrupted


def _noisy_dataset(dataset, rate, kind, seed, num_classes):
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2 or spec[1].shape.rank != 0:
        raise ValueError(
            "`labels_or_dataset` must be an unbatched dataset of (x, label) pairs with "
            f"scalar labels; received element_spec {spec}. Call `dataset.unbatch()` first."
        )
    if num_classes is None:
        raise ValueError("`num_classes` is required when `labels_or_dataset` is a dataset.")
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**31 - 1))
    elif seed is None:
        seed = int(np.random.default_rng().integers(2**31 - 1))

    def corrupt(position, element):
        x, label = element
        draws = tf.random.stateless_uniform(
            (2,), seed=tf.stack([tf.constant(seed, tf.int64), position])
        )
        corrupted = draws[0] < rate
        if kind == "symmetric":
            offset = 1 + tf.minimum(
                tf.cast(draws[1] * (num_classes - 1), tf.int64), num_classes - 2
            )
        else:
            offset = tf.constant(1, tf.int64)
        wide = tf.cast(label, tf.int64)
        noisy = tf.where(corrupted, (wide + offset) % num_classes, wide)
        return x, tf.cast(noisy, label.dtype), corrupted

    flagged = dataset.enumerate().map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
    return (
        flagged.map(lambda x, label, corrupted: (x, label)),
        flagged.map(lambda x, label, corrupted: corrupted),
    )


def smooth_labels(num_classes, epsilon=0.1):
    """A `tf.data` map turning class ids into label-smoothed (batch, C) soft labels.

    Rows are `(1 - epsilon) * one_hot(y) + epsilon / C`. Soft labels made in the data
    reach the head: a margin head then applies its margin to every class in
    proportion to its label mass (`MarginHead`), so the target gets
    `1 - epsilon + epsilon / C` of the margin and every other class `epsilon / C`.
    `keras_margin.losses.CrossEntropy(label_smoothing=epsilon)` smooths only the loss's
    target and leaves the head the class ids, so the full margin stays on the target.

    Args:
        num_classes: C, an integer >= 2.
        epsilon: the smoothing mass, in [0, 1) (default 0.1).

    Returns:
        A callable `(images, labels) -> (images, soft_labels)` for a batched dataset;
        labels may be class ids (batch,) or a (batch, C) matrix (smoothed again).

    Example:

    >>> import numpy as np, keras_margin as km
    >>> smooth = km.data.smooth_labels(4, epsilon=0.2)
    >>> _, soft = smooth(np.zeros((1, 8, 8, 1), "float32"), np.array([2]))
    >>> [round(float(v), 2) for v in soft[0]]
    [0.05, 0.05, 0.85, 0.05]

    References:
        - Szegedy, Vanhoucke, Ioffe, Shlens, Wojna. "Rethinking the Inception
          Architecture for Computer Vision", CVPR 2016, section 7.
          https://arxiv.org/abs/1512.00567
    """
    num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
    epsilon = validation.number_in_range(epsilon, "epsilon", 0.0, 1.0, high_open=True)

    def smooth(images, labels):
        labels = tf.convert_to_tensor(labels)
        if labels.shape.rank == 2 and labels.shape[-1] == num_classes and labels.dtype.is_floating:
            matrix = tf.cast(labels, tf.float32)
        else:
            matrix = tf.one_hot(tf.cast(tf.reshape(labels, (-1,)), tf.int32), num_classes)
        return images, matrix * (1.0 - epsilon) + epsilon / num_classes

    return smooth
