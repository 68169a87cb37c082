"""`load_text`: the built-in text datasets by name, as `tf.data` pipelines."""

import numpy as np

from keras_margin.data.assemble import check_arguments
from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.sources import fortunes
from keras_margin.data.sources import food_reviews
from keras_margin.data.stratified import proportional_indices
from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_split
from keras_margin.data.text_pipeline import make_text_pipeline
from keras_margin.data.text_source import TextSourceData
from keras_margin.utils import validation

TEXT_SOURCES = {
    "fortunes": fortunes.read,
    "food-reviews": food_reviews.read,
}

# The same independent random streams as the image loaders use.
_VALIDATION_STREAM = 1
_SUBSAMPLE_STREAM = 2


def load_text(
    name,
    num_train=None,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    data_dir=None,
    with_info=False,
):
    """Loads a built-in text dataset as `(train, validation, test)` pipelines.

    Nothing is downloaded. The datasets are:

    - `"fortunes"`: ~6,060 texts of the Debian package `fortunes`, labelled by their
      15 topic files (computers, drugs, education, food, law, linux, love, medicine,
      men-women, politics, science, songs-poems, sports, startrek, work). Fixed test
      split: 20% of every topic (~1,212); training pool: ~4,850.
    - `"food-reviews"`: 5,000 Amazon fine-food reviews from the Debian package
      `r-cran-modeldata`, labelled great / other (about 65% great). Official split:
      4,000 training pool, 1,000 test.

    The splitting rules are those of `keras_margin.data.load`: a fixed test split,
    `validation_split` of the pool held out (stratified, seeded) before subsampling,
    then the training subsample. The subsample is either `samples_per_class` per class
    or `num_train` in total with the pool's class proportions (the setting of Wei &
    Zou's EDA experiments, N = 500, 2,000, ...); for one seed, smaller subsamples are
    subsets of larger ones.

    Args:
        name: `"fortunes"` or `"food-reviews"` (case and `_`/`-` are not significant).
        num_train: total training examples, or None. Exclusive with
            `samples_per_class`.
        samples_per_class: training examples per class, or None.
        validation_split: fraction of the training pool used for validation, in
            [0, 1); with 0, `validation` is None.
        seed: int (or None) controlling the validation split, the subsample, the
            per-epoch shuffle and the seeds of a text augmentation layer.
        batch_size: examples per batch.
        augment: applied to every training batch inside `tf.data`: a
            `keras_margin.augment.Policy` such as
            `keras_margin.augment.text.policy("eda", num_train)` (applied with
            `augment.apply(train, seed, batch_size)`; EDA's copies are reshuffled into
            batches of `batch_size`), a `keras_margin.augment.text` layer (mapped with
            `seeded_map(train, layer, seed)`: reproducible under parallelism,
            different every epoch) or a callable `(texts, labels) -> (texts, labels)`.
        data_dir: folder holding the dataset files (see the Debian packages above).
        with_info: also return a `DatasetInfo` (`input_shape` is `()`: one string).

    Returns:
        `(train, validation, test)`, or with `with_info=True` also `info`. Each is a
        `tf.data.Dataset` of `(texts, labels)` batches: tf.string `(batch,)` and int32
        `(batch,)`. Only `train` is shuffled (differently every epoch).

    Raises:
        ValueError: for an unknown `name` or an invalid argument (the message names
            it), or when the pool cannot give the subsample.
        DatasetNotFoundError: when the dataset's files are not on this machine; the
            one-line message names the Debian package.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.load_text("fortunes", num_train=500, with_info=True)
    >>> info.num_train, info.num_classes
    (500, 15)
    """
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else None
    if key not in TEXT_SOURCES:
        known = ", ".join(sorted(TEXT_SOURCES))
        raise ValueError(f"Unknown text dataset {name!r}; known text datasets: {known}.")
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    if num_train is not None:
        num_train = validation.integer_at_least(num_train, 1, "num_train")
    if num_train is not None and samples_per_class is not None:
        raise ValueError(
            "Pass at most one of `num_train` (total) and `samples_per_class`; "
            f"received num_train={num_train} and samples_per_class={samples_per_class}."
        )
    source = TEXT_SOURCES[key](data_dir)
    return assemble_text(
        source,
        num_train=num_train,
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        batch_size=batch_size,
        augment=augment,
        with_info=with_info,
    )


def assemble_text(
    source,
    num_train=None,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    with_info=False,
):
    """Splits a `TextSourceData` and builds the pipelines (see `load_text`)."""
    if not isinstance(source, TextSourceData):
        raise ValueError(f"`source` must be a TextSourceData; received {type(source).__name__}.")
    labels = source.train_labels
    validation_index, pool_index = stratified_split(
        labels, float(validation_split), seed=_stream(seed, _VALIDATION_STREAM)
    )
    train_index = pool_index
    pool_labels = labels[pool_index]
    if samples_per_class is not None:
        available = np.bincount(pool_labels, minlength=source.num_classes)
        smallest = int(np.argmin(available))
        if samples_per_class > available[smallest]:
            raise ValueError(
                f"`samples_per_class={samples_per_class}` is more than {source.name} can "
                f"give: class {smallest} ({source.class_names[smallest]!r}) has "
                f"{available[smallest]} training examples left after holding out "
                f"validation_split={validation_split:g}; use at most {available[smallest]}."
            )
        picked = stratified_indices(
            pool_labels, int(samples_per_class), seed=_stream(seed, _SUBSAMPLE_STREAM)
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
            pool_labels, int(num_train), seed=_stream(seed, _SUBSAMPLE_STREAM)
        )
        train_index = pool_index[picked]

    texts = source.train_inputs
    train = make_text_pipeline(
        texts[train_index], labels[train_index], batch_size, training=True,
        augment=augment, seed=seed,
    )
    validation = None
    if validation_split > 0:
        validation = make_text_pipeline(
            texts[validation_index], labels[validation_index], batch_size, training=False
        )
    test = None
    if len(source.test_labels):
        test = make_text_pipeline(
            source.test_inputs, source.test_labels, batch_size, training=False
        )
    if not with_info:
        return train, validation, test
    num_classes = source.num_classes

    def counts(values):
        return [int(count) for count in np.bincount(values, minlength=num_classes)]

    info = DatasetInfo(
        name=source.name,
        num_classes=num_classes,
        input_shape=(),
        class_names=list(source.class_names),
        train_class_counts=counts(labels[train_index]),
        num_train=int(len(train_index)),
        num_validation=int(len(validation_index)),
        num_test=int(len(source.test_labels)),
        source=source.source,
        validation_class_counts=counts(labels[validation_index]),
        test_class_counts=counts(source.test_labels),
        details=dict(source.details),
    )
    return train, validation, test, info


def available_text_datasets():
    """Returns the sorted names accepted by `load_text`."""
    return sorted(TEXT_SOURCES)


def _stream(seed, stream):
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), stream])
