"""Seeded, stratified (per-class) sampling of example indices."""

import math
import numbers

import numpy as np


def stratified_indices(labels, samples_per_class, seed=0):
    """Picks exactly `samples_per_class` random examples of every class.

    Within each class the examples are taken in the order of one seeded random
    permutation, so for a fixed seed a smaller `samples_per_class` always picks a
    subset of what a larger one picks: limited-data runs of different sizes are
    nested, and their differences come from the amount of data, not from the draw.

    Args:
        labels: 1-D array of integer class labels.
        samples_per_class: how many examples to take from each class, an integer
            >= 0. Every class present in `labels` must have at least this many.
        seed: an int, `None` (fresh randomness) or a `numpy.random.Generator`.

    Returns:
        A sorted 1-D int64 array of indices into `labels`.

    Raises:
        ValueError: if `samples_per_class` is not a non-negative integer or a class
            has fewer examples than asked for.

    Example:

    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 1])
    >>> picked = stratified_indices(labels, samples_per_class=2, seed=0)
    >>> np.bincount(labels[picked]).tolist()
    [2, 2]
    """
    if (
        isinstance(samples_per_class, bool)
        or not isinstance(samples_per_class, numbers.Integral)
        or samples_per_class < 0
    ):
        raise ValueError(
            "`samples_per_class` must be an integer >= 0; "
            f"received {samples_per_class!r}."
        )
    labels = _as_labels(labels)
    return _per_class_indices(labels, lambda label: samples_per_class, seed, "samples_per_class")


def stratified_indices_per_class(labels, class_counts, seed=0):
    """Picks `class_counts[c]` random examples of every class `c` present in `labels`.

    The draws are those of `stratified_indices` (one seeded permutation per class, in
    class order), so with the same seed the picks are a subset of what
    `stratified_indices(labels, max(class_counts), seed)` picks: a long-tailed subset
    nests inside the balanced one.

    Args:
        labels: 1-D array of integer class labels.
        class_counts: examples to take per class, indexed by label; a sequence of
            integers >= 0 covering every label present.
        seed: an int, `None` or a `numpy.random.Generator`.

    Returns:
        A sorted 1-D int64 array of indices into `labels`.

    Example:

    >>> import numpy as np
    >>> labels = np.array([0, 0, 0, 1, 1, 1, 1])
    >>> picked = stratified_indices_per_class(labels, [3, 1], seed=0)
    >>> np.bincount(labels[picked]).tolist()
    [3, 1]
    """
    labels = _as_labels(labels)
    counts = list(class_counts)
    if labels.size and labels.max() >= len(counts):
        raise ValueError(
            f"`class_counts` has {len(counts)} entries but `labels` holds class {labels.max()}."
        )
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 0:
            raise ValueError(f"`class_counts` must hold integers >= 0; received {class_counts!r}.")
    return _per_class_indices(labels, lambda label: int(counts[label]), seed, "class_counts")


def _per_class_indices(labels, count_of, seed, argument):
    rng = np.random.default_rng(seed)
    picked = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        count = count_of(label)
        if len(members) < count:
            raise ValueError(
                f"`{argument}={count}` is more than class {label} has "
                f"({len(members)} examples available)."
            )
        picked.append(rng.permutation(members)[:count])
    return _sorted(picked)


def stratified_split(labels, fraction, seed=0):
    """Splits example indices into a held-out part and the rest, class by class.

    Each class with `n` examples gives `round(fraction * n)` of them to the held-out
    part. When `fraction > 0`, every class with at least two examples gives at least
    one and keeps at least one, so no class vanishes from either side.

    Args:
        labels: 1-D array of integer class labels.
        fraction: the share to hold out, in [0, 1).
        seed: an int, `None` (fresh randomness) or a `numpy.random.Generator`.

    Returns:
        `(held_out, kept)`: two sorted, disjoint 1-D int64 index arrays that together
        cover `range(len(labels))`.

    Example:

    >>> import numpy as np
    >>> labels = np.repeat([0, 1], 10)
    >>> held_out, kept = stratified_split(labels, 0.2, seed=0)
    >>> np.bincount(labels[held_out]).tolist(), len(kept)
    ([2, 2], 16)
    """
    if (
        isinstance(fraction, bool)
        or not isinstance(fraction, numbers.Real)
        or not 0.0 <= fraction < 1.0
    ):
        raise ValueError(f"`fraction` must be a number in [0, 1); received {fraction!r}.")
    labels = _as_labels(labels)
    rng = np.random.default_rng(seed)
    held_out, kept = [], []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        count = _held_out_count(len(members), fraction)
        held_out.append(members[:count])
        kept.append(members[count:])
    return _sorted(held_out), _sorted(kept)


def _held_out_count(size, fraction):
    if fraction == 0.0 or size < 2:
        return 0
    # Round half up (Python's round() goes to even, which surprises at .5).
    count = math.floor(fraction * size + 0.5)
    return min(max(count, 1), size - 1)


def _as_labels(labels):
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"`labels` must be 1-D; received shape {labels.shape}.")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"`labels` must be integers; received dtype {labels.dtype}.")
    return labels


def _sorted(parts):
    if not parts:
        return np.zeros((0,), dtype=np.int64)
    return np.sort(np.concatenate(parts)).astype(np.int64)


def proportional_indices(labels, total, seed=0):
    """Picks `total` random examples with the class proportions of `labels`, nested.

    Every class is walked in the order of one seeded random permutation, and its
    `r`-th example gets the position `(r + u) / n_class` (with `u` uniform in [0, 1));
    the `total` examples with the smallest positions are taken. So each class gets
    its share of `total` to within one example, and for a fixed seed a smaller
    `total` always picks a subset of what a larger one picks (the same nesting as
    `stratified_indices`).

    Args:
        labels: 1-D array of integer class labels.
        total: how many examples to take, an integer in [0, len(labels)].
        seed: an int, `None` (fresh randomness) or a `numpy.random.Generator`.

    Returns:
        A sorted 1-D int64 array of `total` indices into `labels`.

    Example:

    >>> import numpy as np
    >>> labels = np.repeat([0, 1], [30, 10])
    >>> np.bincount(labels[proportional_indices(labels, 8, seed=0)]).tolist()
    [6, 2]
    """
    labels = _as_labels(labels)
    if (
        isinstance(total, bool)
        or not isinstance(total, numbers.Integral)
        or not 0 <= total <= len(labels)
    ):
        raise ValueError(
            f"`total` must be an integer in [0, {len(labels)}]; received {total!r}."
        )
    rng = np.random.default_rng(seed)
    members, positions = [], []
    for label in np.unique(labels):
        order = rng.permutation(np.flatnonzero(labels == label))
        members.append(order)
        positions.append((np.arange(len(order)) + rng.random(len(order))) / len(order))
    if not members:
        return np.zeros((0,), dtype=np.int64)
    members = np.concatenate(members)
    positions = np.concatenate(positions)
    picked = members[np.argsort(positions, kind="stable")[:total]]
    return np.sort(picked).astype(np.int64)
