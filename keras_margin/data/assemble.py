"""Turns a `SourceData` into the `(train, validation, test[, info])` that loaders return.

Every loader (`load`, `from_directory`, `from_tfds`, `load_audio`, `load_text`) ends
here, so the conventions below hold for all of them:

- The test split is used whole: it is never subsampled, and it does not depend on
  `seed`, so results of different seeds are measured on the same examples.
- `validation_split` is the fraction of the training pool (stratified, seeded) held
  out for validation. It is taken *before* subsampling, so the validation set depends
  only on `seed` and `validation_split`, not on `samples_per_class`.
- `samples_per_class` is the number of *training* examples per class, drawn
  (stratified, seeded) from what remains of the pool. A request for 100 per class
  trains on exactly 100 per class. For a fixed seed, smaller requests pick subsets of
  larger ones.
- `num_train` (text, as in the EDA paper) is the other way to ask for a subsample: that
  many training examples in all, with the pool's class proportions, from the same
  seeded stream as `samples_per_class`.
- `validation_split=0` gives `validation=None`, which `model.fit(validation_data=None)`
  accepts.
- `imbalance_ratio` makes the training split long-tailed: class c keeps
  `floor(n_max * imbalance_ratio ** (-c / (C - 1)))` examples, where `n_max` is
  `samples_per_class` (or, without it, the smallest class's share of the pool, so
  every class can give its count). With one seed the long-tailed split is a subset of
  the balanced `samples_per_class=n_max` one. Validation and test stay as they are.
- `label_noise` corrupts that fraction of the *training* labels (in expectation);
  validation and test labels stay clean.
"""

import numbers
from typing import NamedTuple

import numpy as np

from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.imbalance import BALANCE_MODES
from keras_margin.data.imbalance import long_tailed_counts
from keras_margin.data.label_noise import NOISE_KINDS
from keras_margin.data.label_noise import with_label_noise
from keras_margin.data.pipeline import make_pipeline
from keras_margin.data.stratified import proportional_indices
from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_indices_per_class
from keras_margin.data.stratified import stratified_split
from keras_margin.data.text_pipeline import make_text_pipeline
from keras_margin.data.text_source import TextSourceData

# Independent random streams derived from the user's seed, so that changing how one
# split is drawn never changes another.
_VALIDATION_STREAM = 1
_SUBSAMPLE_STREAM = 2
_NOISE_STREAM = 3


class TrainingSplit(NamedTuple):
    """The training examples a loader trains on, as arrays (`load_training_split`).

    Attributes:
        images: (N, height, width, channels) training images, in the source's dtype.
        labels: (N,) int labels as trained on, with `label_noise` applied.
        clean_labels: (N,) the original labels.
        corrupted: (N,) bool, `labels != clean_labels`.
        info: the `DatasetInfo` the loader returns for the same arguments.
    """

    images: np.ndarray
    labels: np.ndarray
    clean_labels: np.ndarray
    corrupted: np.ndarray
    info: DatasetInfo


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


def check_study_arguments(imbalance_ratio, label_noise, label_noise_kind, balance):
    """Raises `ValueError` naming the first invalid imbalance or noise argument."""
    if imbalance_ratio is not None and (
        isinstance(imbalance_ratio, bool)
        or not isinstance(imbalance_ratio, numbers.Real)
        or not imbalance_ratio >= 1.0
        or imbalance_ratio == float("inf")
    ):
        raise ValueError(
            f"`imbalance_ratio` must be None or a finite number >= 1; received {imbalance_ratio!r}."
        )
    if label_noise is not None and (
        isinstance(label_noise, bool)
        or not isinstance(label_noise, numbers.Real)
        or not 0.0 <= label_noise <= 1.0
    ):
        raise ValueError(f"`label_noise` must be None or a number in [0, 1]; received {label_noise!r}.")
    if label_noise_kind not in NOISE_KINDS:
        raise ValueError(f"`label_noise_kind` must be one of {NOISE_KINDS}; received {label_noise_kind!r}.")
    if balance is not None and balance not in BALANCE_MODES:
        raise ValueError(f"`balance` must be None or one of {BALANCE_MODES}; received {balance!r}.")


def assemble(
    source,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    with_info=False,
    imbalance_ratio=None,
    label_noise=None,
    label_noise_kind="symmetric",
    balance=None,
    num_train=None,
):
    """Splits `source` and builds the three pipelines (see the module docstring).

    Args:
        source: a `SourceData`; a `TextSourceData` gets text pipelines
            (`make_text_pipeline`), any other the array pipeline (`make_pipeline`).
        samples_per_class, validation_split, seed, batch_size, augment, with_info,
        imbalance_ratio, label_noise, label_noise_kind, balance: as in
            `keras_margin.data.load`.
        num_train: as in `keras_margin.data.load_text`; exclusive with
            `samples_per_class`.

    Returns:
        `(train, validation, test)`, plus a `DatasetInfo` when `with_info=True`.
        `validation` is None when `validation_split=0`; `test` is None when the
        source has no test examples.
    """
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    check_study_arguments(imbalance_ratio, label_noise, label_noise_kind, balance)
    split, validation_index = _split(
        source, samples_per_class, validation_split, seed, imbalance_ratio, label_noise,
        label_noise_kind, num_train,
    )
    seed = None if seed is None else int(seed)
    if isinstance(source, TextSourceData):
        if balance is not None:
            raise ValueError(f"`balance` applies to image and audio sources; received {balance!r} "
                             f"for the text source {source.name!r}.")
        pipeline, balancing = make_text_pipeline, {}
    else:
        pipeline, balancing = make_pipeline, {"balance": balance}
    train = pipeline(
        split.images,
        split.labels,
        batch_size,
        training=True,
        augment=augment,
        seed=seed,
        **balancing,
    )
    validation = None
    if validation_split > 0:
        validation = pipeline(
            source.train_inputs[validation_index],
            source.train_labels[validation_index],
            batch_size,
            training=False,
        )
    test = None
    if len(source.test_labels):
        test = pipeline(
            source.test_inputs, source.test_labels, batch_size, training=False
        )
    if not with_info:
        return train, validation, test
    return train, validation, test, split.info


def training_split(
    source,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    imbalance_ratio=None,
    label_noise=None,
    label_noise_kind="symmetric",
):
    """The training examples `assemble` trains on for the same arguments, as arrays.

    Returns:
        A `TrainingSplit`: images, (noisy) labels, clean labels, the corrupted mask
        and the `DatasetInfo`.
    """
    check_arguments(samples_per_class, validation_split, seed, 1, None)
    check_study_arguments(imbalance_ratio, label_noise, label_noise_kind, None)
    split, _ = _split(
        source, samples_per_class, validation_split, seed, imbalance_ratio, label_noise,
        label_noise_kind,
    )
    return split


def _split(source, samples_per_class, validation_split, seed, imbalance_ratio, label_noise,
           label_noise_kind, num_train=None):
    """(`TrainingSplit`, validation indices) by the rules of the module docstring."""
    seed = None if seed is None else int(seed)
    labels = source.train_labels
    train_index, validation_index = split_indices(
        source, samples_per_class, validation_split, seed, imbalance_ratio, num_train
    )

    clean_labels = np.asarray(labels[train_index])
    train_labels, corrupted = clean_labels, np.zeros(len(train_index), bool)
    details = dict(source.details)
    if imbalance_ratio is not None:
        details["imbalance_ratio"] = float(imbalance_ratio)
    if label_noise is not None:
        train_labels, corrupted = with_label_noise(
            clean_labels, float(label_noise), kind=label_noise_kind,
            seed=_stream(seed, _NOISE_STREAM), num_classes=source.num_classes,
        )
        details["label_noise"] = {
            "rate": float(label_noise),
            "kind": label_noise_kind,
            "num_corrupted": int(corrupted.sum()),
        }

    num_classes = source.num_classes
    info = DatasetInfo(
        name=source.name,
        num_classes=num_classes,
        input_shape=source.input_shape,
        class_names=list(source.class_names),
        # The labels as trained on: what class-count methods (LDAM, class weights) see.
        train_class_counts=_counts(train_labels, num_classes),
        num_train=int(len(train_index)),
        num_validation=int(len(validation_index)),
        num_test=int(len(source.test_labels)),
        source=source.source,
        validation_class_counts=_counts(labels[validation_index], num_classes),
        test_class_counts=_counts(source.test_labels, num_classes),
        details=details,
    )
    split = TrainingSplit(
        images=source.train_inputs[train_index],
        labels=train_labels,
        clean_labels=clean_labels,
        corrupted=corrupted,
        info=info,
    )
    return split, validation_index


def split_indices(source, samples_per_class, validation_split, seed, imbalance_ratio=None,
                  num_train=None):
    """`(train_index, validation_index)`: the rows of `source.train_inputs` that
    `assemble` trains and validates on for these arguments (sorted int64 arrays).

    The one place the split is drawn: `assemble`, `training_split` and
    `unlabelled_index` all call it, so they agree example for example.
    """
    seed = None if seed is None else int(seed)
    labels = source.train_labels
    validation_index, pool_index = stratified_split(
        labels, float(validation_split), seed=_stream(seed, _VALIDATION_STREAM)
    )
    train_index = pool_index
    if imbalance_ratio is not None:
        counts = _long_tailed_counts(source, labels[pool_index], samples_per_class,
                                     imbalance_ratio, validation_split)
        picked = stratified_indices_per_class(
            labels[pool_index], counts, seed=_stream(seed, _SUBSAMPLE_STREAM)
        )
        train_index = pool_index[picked]
    elif samples_per_class is not None:
        _check_pool_size(source, labels[pool_index], samples_per_class, validation_split)
        picked = stratified_indices(
            labels[pool_index], int(samples_per_class), seed=_stream(seed, _SUBSAMPLE_STREAM)
        )
        train_index = pool_index[picked]
    elif num_train is not None:
        if num_train > len(pool_index):
            raise ValueError(
                f"`num_train={num_train}` is more than {source.name} can give: the pool "
                f"has {len(pool_index)} examples after holding out "
                f"validation_split={validation_split:g}."
            )
        picked = proportional_indices(
            labels[pool_index], int(num_train), seed=_stream(seed, _SUBSAMPLE_STREAM)
        )
        train_index = pool_index[picked]
    return train_index, validation_index


def unlabelled_index(source, samples_per_class, validation_split=0.1, seed=0, imbalance_ratio=None):
    """The rows of the training pool that neither the labelled training split nor the
    validation split of `assemble(source, samples_per_class, validation_split, seed)`
    uses: the unlabelled pool of semi-supervised training (a sorted int64 array).

    Labelled, validation and unlabelled rows are disjoint and together make the whole
    training pool; the test split is a separate array and never part of it.
    """
    train_index, validation_index = split_indices(
        source, samples_per_class, validation_split, seed, imbalance_ratio
    )
    used = np.zeros(len(source.train_labels), bool)
    used[train_index] = True
    used[validation_index] = True
    return np.flatnonzero(~used).astype(np.int64)


def _long_tailed_counts(source, pool_labels, samples_per_class, imbalance_ratio, validation_split):
    available = np.bincount(pool_labels, minlength=source.num_classes)
    max_count = int(available.min()) if samples_per_class is None else int(samples_per_class)
    counts = long_tailed_counts(source.num_classes, max_count, imbalance_ratio)
    short = np.flatnonzero(np.asarray(counts) > available)
    if len(short):
        c = int(short[0])
        raise ValueError(
            f"`samples_per_class={samples_per_class}` with `imbalance_ratio={imbalance_ratio:g}` "
            f"asks for {counts[c]} examples of class {c} ({source.class_names[c]!r}), which "
            f"has {available[c]} left after holding out validation_split={validation_split:g}."
        )
    return counts


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
