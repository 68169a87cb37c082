"""`clean_with_sub_centers`: drop or relabel training samples a Sub-center ArcFace doubts.

Why this lives in `keras_margin.data` and imports no model code: cleaning is a data
step (training arrays in, training arrays out) that happens to consult a trained model
passed in as an argument. The package dependency stays one way, models -> heads and
data -> nothing: this module only calls `model.embed` and `model.head.find_outliers` /
`dominant_centers` on the object it is given.
"""

from typing import NamedTuple

import numpy as np

from keras_margin.utils import validation

CLEANING_ACTIONS = ("drop", "relabel")


class CleanedData(NamedTuple):
    """What `clean_with_sub_centers` returns.

    Attributes:
        images: the images kept (`"drop"`) or all of them (`"relabel"`).
        labels: their labels; for `"relabel"`, outliers carry the class of the nearest
            dominant sub-centre.
        outliers: bool (N,) mask over the *input* samples: farther than the threshold
            from their own class's dominant sub-centre.
    """

    images: np.ndarray
    labels: np.ndarray
    outliers: np.ndarray


def clean_with_sub_centers(model, images, labels, threshold_degrees=75.0, action="drop",
                           batch_size=256):
    """Uses a trained Sub-center ArcFace to drop or relabel suspicious training samples.

    The Sub-center ArcFace recipe: train with K sub-centres per class, embed the
    training set once, find each class's dominant sub-centre (the one most of its
    samples are nearest to), and drop samples more than 75 degrees from their class's
    dominant sub-centre; then retrain (with one centre per class) on what is left.
    Mislabelled samples tend to sit near a non-dominant sub-centre, or near another
    class, so they are the ones beyond the threshold.

    Args:
        model: a trained `keras_margin.MarginModel` whose head has `find_outliers` and
            `dominant_centers` (a `keras_margin.heads.SubCenterArcFace`).
        images: (N, ...) training images, as the model takes them.
        labels: (N,) integer labels as trained on (possibly noisy).
        threshold_degrees: the largest angle to the dominant sub-centre that is kept,
            in [0, 180] (default 75, the paper's).
        action: `"drop"` (default, the paper's) removes the outliers; `"relabel"`
            keeps them with the class whose dominant sub-centre is nearest (which may
            be their own class, then their label stays).
        batch_size: batch size for embedding the images.

    Returns:
        A `CleanedData` `(images, labels, outliers)`.

    Example:

    >>> import keras_margin as km
    >>> split = km.data.load_training_split("digits", samples_per_class=30, label_noise=0.2)
    >>> # model = km.MarginModel(backbone, km.heads.SubCenterArcFace(10)); model.fit(...)
    >>> # cleaned = km.data.clean_with_sub_centers(model, split.images, split.labels)
    >>> # caught = (cleaned.outliers & split.corrupted).sum() / split.corrupted.sum()

    References:
        - Deng, Guo, Liu, Gong, Zafeiriou. "Sub-center ArcFace: Boosting Face
          Recognition by Large-scale Noisy Web Faces", ECCV 2020.
          https://www.ecva.net/papers/eccv_2020/papers_ECCV/papers/123560715.pdf
    """
    head = getattr(model, "head", None)
    if not (hasattr(head, "find_outliers") and hasattr(head, "dominant_centers")
            and hasattr(model, "embed")):
        raise ValueError(
            "`model` must be a MarginModel with a SubCenterArcFace head (a head with "
            f"`find_outliers`); received {type(model).__name__} with head "
            f"{type(head).__name__}."
        )
    if action not in CLEANING_ACTIONS:
        raise ValueError(f"`action` must be one of {CLEANING_ACTIONS}; received {action!r}.")
    threshold_degrees = validation.number_in_range(threshold_degrees, "threshold_degrees", 0.0, 180.0)
    batch_size = validation.integer_at_least(batch_size, 1, "batch_size")
    images = np.asarray(images)
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(
            "`labels` must be a 1-D array with one label per image; received shapes "
            f"{images.shape} and {labels.shape}."
        )
    embeddings = model.embed(images, batch_size=batch_size)
    outliers = np.asarray(head.find_outliers(embeddings, labels, threshold_degrees=threshold_degrees))
    if action == "drop":
        return CleanedData(images[~outliers], labels[~outliers], outliers)
    centers = np.asarray(head.dominant_centers(embeddings, labels))
    nearest = np.argmax(embeddings @ centers.T, axis=-1).astype(labels.dtype)
    return CleanedData(images, np.where(outliers, nearest, labels), outliers)
