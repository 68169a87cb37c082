"""`load_text`: the built-in text datasets by name, as `tf.data` pipelines."""

from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.sources import sources_of
from keras_margin.data.text_source import TextSourceData
from keras_margin.utils import validation

# `load_text`'s view of the registry: name -> read(data_dir) -> TextSourceData.
TEXT_SOURCES = sources_of("text")


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
    """Splits a `TextSourceData` and builds the pipelines (see `load_text`): `assemble`,
    which draws the split as for every other source."""
    if not isinstance(source, TextSourceData):
        raise ValueError(f"`source` must be a TextSourceData; received {type(source).__name__}.")
    return assemble(source, samples_per_class=samples_per_class, validation_split=validation_split,
                    seed=seed, batch_size=batch_size, augment=augment, with_info=with_info,
                    num_train=num_train)


def available_text_datasets():
    """Returns the sorted names accepted by `load_text`."""
    return sorted(TEXT_SOURCES)
