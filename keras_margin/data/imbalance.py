"""Class imbalance: class weights, long-tailed subsets and class-balanced sampling.

- `class_weights`: per-class loss weights, by inverse frequency or by the effective
  number of samples (Cui et al. 2019), for `keras_margin.losses.CrossEntropy`.
- `long_tailed_counts`: the exponential profile of CIFAR-LT style studies;
  `keras_margin.data.load(..., imbalance_ratio=...)` draws a training split with it.
- `balanced`: a `tf.data` stream in which every class appears equally often per epoch,
  by oversampling the rare classes or undersampling the frequent ones.
"""

import numpy as np
import tensorflow as tf

from keras_margin.utils import validation

WEIGHT_KINDS = ("inverse_frequency", "effective_number")
BALANCE_MODES = ("oversample", "undersample")


def class_weights(class_counts, kind="inverse_frequency", beta=0.9999):
    """Per-class loss weights that make rare classes count more, summing to C.

    - `"inverse_frequency"`: `w_c` proportional to `1 / n_c`; every class then
      contributes the same total weight to an epoch's loss.
    - `"effective_number"`: `w_c` proportional to `(1 - beta) / (1 - beta ** n_c)`,
      the inverse of the "effective number of samples" of Cui et al.: new samples of a
      class overlap with the ones already seen, so its information grows less than
      linearly with `n_c`. `beta = 0` gives equal weights, `beta -> 1` tends to
      inverse frequency. The paper uses 0.9999 on long-tailed CIFAR, where the head
      classes have thousands of images; with a few hundred per class `beta` of 0.99 to
      0.999 separates the classes more.

    Both are normalised so that `sum_c w_c = C` (the number of classes), so the loss
    keeps the scale of the unweighted one when all classes are equally frequent.

    Args:
        class_counts: training samples per class, a sequence of at least 2 positive
            integers (e.g. `DatasetInfo.train_class_counts`).
        kind: `"inverse_frequency"` (default) or `"effective_number"`.
        beta: the effective-number hyper-parameter, in [0, 1) (default 0.9999);
            used only by `"effective_number"`.

    Returns:
        A float32 NumPy array of shape (num_classes,).

    Example:

    >>> import keras_margin as km
    >>> weights = km.data.class_weights([100, 10], kind="inverse_frequency")
    >>> [round(float(w), 3) for w in weights]
    [0.182, 1.818]
    >>> loss = km.losses.CrossEntropy(class_weights=weights)

    References:
        - Cui, Jia, Lin, Song, Belongie. "Class-Balanced Loss Based on Effective Number
          of Samples", CVPR 2019. https://arxiv.org/abs/1901.05555
    """
    counts = np.asarray(validation.class_counts(class_counts, "class_counts"), np.float64)
    if kind not in WEIGHT_KINDS:
        raise ValueError(f"`kind` must be one of {WEIGHT_KINDS}; received {kind!r}.")
    beta = validation.number_in_range(beta, "beta", 0.0, 1.0, high_open=True)
    if kind == "inverse_frequency":
        weights = 1.0 / counts
    else:
        weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    return (weights * len(counts) / weights.sum()).astype("float32")


def long_tailed_counts(num_classes, max_count, imbalance_ratio):
    """Samples per class of an exponentially imbalanced (long-tailed) split.

    `n_c = floor(max_count * imbalance_ratio ** (-c / (C - 1)))` for classes
    `c = 0 .. C-1`, the profile of long-tailed CIFAR (Cui et al. 2019; Cao et al.
    2019): class 0 keeps `max_count`, the last class `max_count / imbalance_ratio`,
    and the counts fall geometrically in between. Every class keeps at least one.

    Args:
        num_classes: C, an integer >= 2.
        max_count: samples of the most frequent class (class 0), an integer >= 1.
        imbalance_ratio: `n_0 / n_{C-1}`, a number >= 1 (1 gives a balanced split).

    Returns:
        A list of C ints, non-increasing.

    Example:

    >>> import keras_margin as km
    >>> km.data.long_tailed_counts(5, 100, imbalance_ratio=100)
    [100, 31, 10, 3, 1]

    References:
        - Cui, Jia, Lin, Song, Belongie. "Class-Balanced Loss Based on Effective Number
          of Samples", CVPR 2019. https://arxiv.org/abs/1901.05555
        - Cao, Wei, Gaidon, Arechiga, Ma. "Learning Imbalanced Datasets with
          Label-Distribution-Aware Margin Loss", NeurIPS 2019.
          https://arxiv.org/abs/1906.07413
    """
    num_classes = validation.integer_at_least(num_classes, 2, "num_classes")
    max_count = validation.integer_at_least(max_count, 1, "max_count")
    imbalance_ratio = validation.number_in_range(imbalance_ratio, "imbalance_ratio", 1.0)
    exponents = np.arange(num_classes, dtype=np.float64) / (num_classes - 1)
    # A hair above the exact value so that e.g. 100 * 100**-0.5 = 9.999...98 floors to
    # 10, as the exact profile says, not 9.
    counts = np.floor(max_count * imbalance_ratio ** -exponents * (1 + 1e-12))
    return [int(max(count, 1)) for count in counts]


def balanced(data, mode="oversample", seed=None, class_counts=None):
    """A `tf.data` stream in which every class appears equally often in each epoch.

    Each class gets its own stream, reshuffled every time it is exhausted, and a
    shuffled schedule of class ids picks from them
    (`tf.data.Dataset.choose_from_datasets`). The schedule holds every class exactly
    `n` times, so an epoch has exactly `C * n` elements and exactly `n` per class:

    - `"oversample"`: `n = max_c n_c`; rare classes repeat their samples (in a new
      order each pass) until they match the most frequent class.
    - `"undersample"`: `n = min_c n_c`; every epoch takes a fresh random `n` of each
      class, so over epochs all samples of the frequent classes are still seen.

    Oversampling costs `C * max n_c / N` times the steps per epoch and can overfit the
    repeated rare samples; undersampling wastes data per epoch. Class weights
    (`class_weights`) or a re-weighting schedule (`DeferredReweighting`) change the
    loss instead and keep every sample once per epoch; they are the better default on
    very imbalanced data.

    Args:
        data: a pair `(images, labels)` of arrays (labels integer class ids, shape
            (N,)), or an *unbatched* `tf.data.Dataset` of `(x, label)` pairs with
            scalar integer labels. A dataset is split by `filter`, one pass over it
            per class and epoch, so it should be cheap to iterate (in memory or
            cached).
        mode: `"oversample"` (default) or `"undersample"`.
        seed: an integer >= 0 for a reproducible sequence of epochs, or None.
        class_counts: samples per class of a dataset `data`; counted with one pass
            over it when None. Ignored for arrays.

    Returns:
        An unbatched, finite `tf.data.Dataset` of `(x, label)` pairs (int32 labels for
        arrays); batch it yourself. Iterate it again for the next epoch.

    Example:

    >>> import numpy as np, keras_margin as km
    >>> images = np.zeros((12, 8, 8, 1), "float32")
    >>> labels = np.array([0] * 9 + [1] * 3)
    >>> stream = km.data.balanced((images, labels), mode="oversample", seed=0)
    >>> np.bincount([int(y) for _, y in stream]).tolist()
    [9, 9]
    """
    if mode not in BALANCE_MODES:
        raise ValueError(f"`mode` must be one of {BALANCE_MODES}; received {mode!r}.")
    if seed is not None:
        seed = validation.integer_at_least(seed, 0, "seed")
    if isinstance(data, tf.data.Dataset):
        per_class, counts = _per_class_from_dataset(data, class_counts, seed)
        return _choose_balanced(per_class, counts, mode, seed)
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            "`data` must be a pair (images, labels) of arrays or an unbatched "
            f"tf.data.Dataset of (x, label) pairs; received {type(data).__name__}."
        )
    images, labels = np.asarray(data[0]), _check_labels(data[1], "data")
    if len(images) != len(labels):
        raise ValueError(
            f"`data` holds {len(images)} images and {len(labels)} labels; they must match."
        )
    indices = balanced_indices(labels, mode=mode, seed=seed)
    image_table = tf.constant(images)
    label_table = tf.constant(labels.astype(np.int32))
    return indices.map(
        lambda index: (tf.gather(image_table, index), tf.gather(label_table, index)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


def balanced_indices(labels, mode="oversample", seed=None):
    """The index stream behind `balanced`: int64 indices into `labels`, per epoch.

    `keras_margin.data.make_pipeline(..., balance=mode)` batches these and gathers
    the batches from its in-memory arrays.

    Args:
        labels: integer class ids, shape (N,); every class 0..max present.
        mode: `"oversample"` or `"undersample"` (see `balanced`).
        seed: an integer >= 0 or None.

    Returns:
        A finite `tf.data.Dataset` of int64 scalars with exactly `n` indices of every
        class per iteration (epoch).
    """
    if mode not in BALANCE_MODES:
        raise ValueError(f"`mode` must be one of {BALANCE_MODES}; received {mode!r}.")
    labels = _check_labels(labels, "labels")
    counts = np.bincount(labels)
    if np.any(counts == 0):
        missing = np.flatnonzero(counts == 0).tolist()
        raise ValueError(f"Classes {missing} have no samples; they cannot be balanced.")
    per_class = [
        tf.data.Dataset.from_tensor_slices(np.flatnonzero(labels == c).astype(np.int64))
        for c in range(len(counts))
    ]
    return _choose_balanced(per_class, counts, mode, seed)


def _choose_balanced(per_class, counts, mode, seed):
    counts = np.asarray(counts)
    per_class_epoch = int(counts.max() if mode == "oversample" else counts.min())
    streams = [
        # Each class stream gets its own seed: equal seeds would shuffle equally sized
        # classes in lockstep.
        dataset.shuffle(int(count), seed=_derived(seed, c), reshuffle_each_iteration=True).repeat()
        for c, (dataset, count) in enumerate(zip(per_class, counts))
    ]
    schedule = np.repeat(np.arange(len(counts), dtype=np.int64), per_class_epoch)
    choices = tf.data.Dataset.from_tensor_slices(schedule).shuffle(
        len(schedule), seed=_derived(seed, len(counts)), reshuffle_each_iteration=True
    )
    return tf.data.Dataset.choose_from_datasets(streams, choices)


def _per_class_from_dataset(dataset, class_counts, seed):
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2 or spec[1].shape.rank != 0:
        raise ValueError(
            "`data` must be an unbatched dataset of (x, label) pairs with scalar labels; "
            f"received element_spec {spec}. Call `dataset.unbatch()` first."
        )
    if class_counts is None:
        labels = np.fromiter((int(y) for y in dataset.map(lambda x, y: y)), np.int64)
        counts = np.bincount(_check_labels(labels, "data"))
    else:
        counts = np.asarray(validation.class_counts(class_counts, "class_counts"))
    if np.any(counts == 0):
        missing = np.flatnonzero(counts == 0).tolist()
        raise ValueError(f"Classes {missing} have no samples; they cannot be balanced.")
    per_class = [
        dataset.filter(lambda x, y, c=c: tf.equal(tf.cast(y, tf.int64), c))
        for c in range(len(counts))
    ]
    return per_class, counts


def _check_labels(labels, name):
    labels = np.asarray(labels)
    if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
        raise ValueError(
            f"`{name}` labels must be a 1-D array of integer class ids; received "
            f"shape {labels.shape} and dtype {labels.dtype}."
        )
    if labels.size == 0:
        raise ValueError(f"`{name}` holds no labels.")
    if labels.min() < 0:
        raise ValueError(f"`{name}` labels must be >= 0; found {labels.min()}.")
    return labels


def _derived(seed, stream):
    if seed is None:
        return None
    return int(np.random.default_rng([seed, stream]).integers(2**31 - 1))
