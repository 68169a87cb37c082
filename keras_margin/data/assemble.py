"""Turns a `SourceData` into the `(train, validation, test[, info])` that loaders return.

Every loader (`load`, `from_directory`, `from_tfds`) ends here, so the conventions
below hold for all of them:

- The test split is used whole: it is never subsampled, and it does not depend on
  `seed`, so results of different seeds are measured on the same examples.
- `validation_split` is the fraction of the training pool (stratified, seeded) held
  out for validation. It is taken *before* subsampling, so the validation set depends
  only on `seed` and `validation_split`, not on `samples_per_class`.
- `samples_per_class` is the number of *training* examples per class, drawn
  (stratified, seeded) from what remains of the pool. A request for 100 per class
  trains on exactly 100 per class. For a fixed seed, smaller requests pick subsets of
  larger ones.
- `validation_split=0` gives `validation=None`, which `model.fit(validation_data=None)`
  accepts.
"""

import numbers

import numpy as np

from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.pipeline import make_pipeline
from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_split

# Independent random streams derived from the user's seed, so that changing how one
# split is drawn never changes another.
_VALIDATION_STREAM = 1
_SUBSAMPLE_STREAM = 2


def check_arguments(samples_per_class, validation_split, seed, batch_size, augment):
    """Raises `ValueError` naming the first invalid argument; cheap, so loaders call
    it before reading any file."""
    if samples_per_class is not None and not _is_int(samples_per_class, minimum=1):
        raise ValueError(
            "`samples_per_class` must be None or an integer >= 1; "
            f"received {samples_per_class!r}."
        )
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not 0.0 <= validation_split < 1.0
    ):
        raise ValueError(
            f"`validation_split` must be a number in [0, 1); received {validation_split!r}."
        )
    if seed is not None and not _is_int(seed, minimum=0):
        raise ValueError(f"`seed` must be None or an integer >= 0; received {seed!r}.")
    if not _is_int(batch_size, minimum=1):
        raise ValueError(f"`batch_size` must be an integer >= 1; received {batch_size!r}.")
    if augment is not None and not callable(augment):
        raise ValueError(
            "`augment` must be None or a callable (images, labels) -> (images, labels); "
            f"received {augment!r}."
        )


def assemble(
    source,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    with_info=False,
):
    """Splits `source` and builds the three pipelines (see the module docstring).

    Args:
        source: a `SourceData`.
        samples_per_class, validation_split, seed, batch_size, augment, with_info:
            as in `keras_margin.data.load`.

    Returns:
        `(train, validation, test)`, plus a `DatasetInfo` when `with_info=True`.
        `validation` is None when `validation_split=0`; `test` is None when the
        source has no test examples.
    """
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    seed = None if seed is None else int(seed)
    labels = source.train_labels
    validation_index, pool_index = stratified_split(
        labels, float(validation_split), seed=_stream(seed, _VALIDATION_STREAM)
    )
    train_index = pool_index
    if samples_per_class is not None:
        _check_pool_size(source, labels[pool_index], samples_per_class, validation_split)
        picked = stratified_indices(
            labels[pool_index], int(samples_per_class), seed=_stream(seed, _SUBSAMPLE_STREAM)
        )
        train_index = pool_index[picked]

    train = make_pipeline(
        source.train_images[train_index],
        labels[train_index],
        batch_size,
        training=True,
        augment=augment,
        seed=seed,
    )
    validation = None
    if validation_split > 0:
        validation = make_pipeline(
            source.train_images[validation_index],
            labels[validation_index],
            batch_size,
            training=False,
        )
    test = None
    if len(source.test_labels):
        test = make_pipeline(
            source.test_images, source.test_labels, batch_size, training=False
        )
    if not with_info:
        return train, validation, test

    num_classes = source.num_classes
    info = DatasetInfo(
        name=source.name,
        num_classes=num_classes,
        input_shape=source.input_shape,
        class_names=list(source.class_names),
        train_class_counts=_counts(labels[train_index], num_classes),
        num_train=int(len(train_index)),
        num_validation=int(len(validation_index)),
        num_test=int(len(source.test_labels)),
        source=source.source,
        validation_class_counts=_counts(labels[validation_index], num_classes),
        test_class_counts=_counts(source.test_labels, num_classes),
        details=dict(source.details),
    )
    return train, validation, test, info


def _check_pool_size(source, pool_labels, samples_per_class, validation_split):
    available = np.bincount(pool_labels, minlength=source.num_classes)
    smallest = int(np.argmin(available))
    if samples_per_class > available[smallest]:
        raise ValueError(
            f"`samples_per_class={samples_per_class}` is more than {source.name} can "
            f"give: class {smallest} ({source.class_names[smallest]!r}) has "
            f"{available[smallest]} training examples left after holding out "
            f"validation_split={validation_split:g}; use at most {available[smallest]}."
        )


def _stream(seed, stream):
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), stream])


def _counts(labels, num_classes):
    return [int(count) for count in np.bincount(labels, minlength=num_classes)]


def _is_int(value, minimum):
    return (
        not isinstance(value, bool)
        and isinstance(value, numbers.Integral)
        and value >= minimum
    )
