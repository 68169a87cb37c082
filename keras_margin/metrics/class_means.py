"""Nearest class mean: each class's mean direction, and classifying by the closest one.

The closed-set classifier of a model trained with a loss on embeddings (triplet,
contrastive, ...), which has no class centres of its own: a class's centre is the mean
of its L2-normalised reference embeddings (usually the training set), normalised; an
embedding belongs to the centre of highest cosine (Mensink et al. 2013, "nearest class
mean"; the class-centre classifier of metric-learning evaluations).
"""

import numpy as np

from keras_margin.metrics import _checks


def class_means(embeddings, labels, num_classes):
    """The unit mean direction of each class's embeddings.

    Args:
        embeddings: (n, embedding_dim) array; rows are normalised here.
        labels: class ids of shape (n,) or (n, 1), in `[0, num_classes)`.
        num_classes: number of classes; every class needs at least one embedding.

    Returns:
        A float64 array (num_classes, embedding_dim) of unit rows (a class whose
        normalised embeddings sum to zero keeps a zero row).

    Raises:
        ValueError: for mismatched lengths, ids out of range or a class without an
            embedding, naming the argument.

    Example:

    >>> import numpy as np
    >>> from keras_margin.metrics import class_means
    >>> class_means(np.array([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0]]), [0, 1, 1], 2)
    array([[1., 0.],
           [0., 1.]])
    """
    embeddings = _checks.unit_rows(_checks.finite_matrix(embeddings, "embeddings"))
    labels = _checks.class_ids(labels, num_classes=num_classes)
    _checks.same_length(labels, "labels", embeddings, "embeddings")
    counts = np.bincount(labels, minlength=num_classes)
    if not counts.all():
        raise ValueError(f"`labels` must hold every class of `num_classes={num_classes}`; class "
                         f"{int(np.argmin(counts))} has no embedding.")
    sums = np.zeros((num_classes, embeddings.shape[1]))
    np.add.at(sums, labels, embeddings)
    return _checks.unit_rows(sums)


def nearest_class_mean_accuracy(reference_embeddings, reference_labels, embeddings, labels,
                                num_classes):
    """Accuracy of classifying `embeddings` by the nearest `class_means` of the reference.

    Returns:
        A float in [0, 1]: the fraction whose most cosine-similar class mean is their
        label's.
    """
    means = class_means(reference_embeddings, reference_labels, num_classes)
    embeddings = _checks.unit_rows(_checks.finite_matrix(embeddings, "embeddings"))
    labels = _checks.class_ids(labels, num_classes=num_classes)
    _checks.same_length(labels, "labels", embeddings, "embeddings")
    return float(np.mean(np.argmax(embeddings @ means.T, axis=1) == labels))
