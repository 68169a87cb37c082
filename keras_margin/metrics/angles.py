"""Angular statistics of a head: how far embeddings sit from their class centres, and
how far apart the centres are. All angles are in degrees."""

import numpy as np

from keras_margin.metrics import _checks


def angles_to_class_centers(embeddings, labels, class_centers):
    """Angle in degrees between each embedding and the centre of its labelled class.

    Embeddings and centres are normalised here, so raw backbone outputs and a head's
    `class_centers` (a tensor) can be passed as they are. The angle is computed as
    `2 * atan2(|u - v|, |u + v|)` for unit vectors u, v, which stays accurate near 0 and
    180 degrees, where `arccos` of a rounded dot product loses half the digits (and
    would need clipping to stay defined). A zero row is treated as orthogonal to
    everything (90 degrees), as the heads treat a zero embedding (cosine 0).

    Args:
        embeddings: (n, embedding_dim) array.
        labels: class ids, shape (n,) or (n, 1).
        class_centers: (num_classes, embedding_dim) array, e.g. `head.class_centers`.

    Returns:
        A float64 array of shape (n,), values in [0, 180].
    """
    embeddings = _checks.unit_rows(_checks.finite_matrix(embeddings, "embeddings"))
    centers = _checks.unit_rows(_checks.finite_matrix(class_centers, "class_centers"))
    if centers.shape[1] != embeddings.shape[1]:
        raise ValueError(
            "`embeddings` and `class_centers` must have the same embedding size; received "
            f"{embeddings.shape[1]} and {centers.shape[1]}."
        )
    labels = _checks.class_ids(labels, num_classes=centers.shape[0])
    _checks.same_length(labels, "labels", embeddings, "embeddings")
    own_centers = centers[labels]
    difference = np.linalg.norm(embeddings - own_centers, axis=1)
    total = np.linalg.norm(embeddings + own_centers, axis=1)
    return np.degrees(2.0 * np.arctan2(difference, total))


def pairwise_center_angles(class_centers):
    """(num_classes, num_classes) angles in degrees between every two class centres.

    Computed as `arccos` of the float64 cosine clipped to [-1, 1] (rounding can push a
    cosine just past 1): one matrix product instead of num_classes^2 vector differences.
    The diagonal is 0 by definition.
    """
    centers = _center_matrix(class_centers)
    cosines = np.clip(centers @ centers.T, -1.0, 1.0)
    angles = np.degrees(np.arccos(cosines))
    np.fill_diagonal(angles, 0.0)
    return angles


def min_center_angle(class_centers):
    """The smallest angle in degrees between two distinct class centres.

    A small value means two classes are barely separated on the hypersphere, whatever
    the margin asked for during training.
    """
    return float(_off_diagonal(pairwise_center_angles(class_centers)).min())


def mean_center_angle(class_centers):
    """The mean angle in degrees over all pairs of distinct class centres."""
    return float(_off_diagonal(pairwise_center_angles(class_centers)).mean())


def _center_matrix(class_centers):
    centers = _checks.finite_matrix(class_centers, "class_centers")
    if centers.shape[0] < 2:
        raise ValueError(
            f"`class_centers` must have at least 2 rows (classes); received {centers.shape[0]}."
        )
    return _checks.unit_rows(centers)


def _off_diagonal(square):
    return square[~np.eye(square.shape[0], dtype=bool)]
