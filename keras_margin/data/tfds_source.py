"""`from_tfds`: a TensorFlow Datasets dataset already prepared in a local data_dir."""

import numbers
import os

import numpy as np

from keras_margin.data import fixed_test_split
from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.source_data import SourceData
from keras_margin.utils.errors import DatasetNotFoundError


def from_tfds(
    name,
    data_dir=None,
    train_split="train",
    test_split="test",
    image_key="image",
    label_key="label",
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    with_info=False,
):
    """Loads an image-classification `tfds` dataset that is already on disk.

    This never downloads: it reads only a dataset prepared beforehand into
    `data_dir` (for example with `tfds build NAME --data_dir DIR` on a machine with
    network access, then copied here). The splits are decoded once into memory,
    then split and subsampled exactly as in `keras_margin.data.load` (see there).

    Args:
        name: the `tfds` name, optionally with config and version
            (`"mnist"`, `"cifar10:3.0.2"`).
        data_dir: the `tfds` data folder; None means the `tfds` default
            (`$TFDS_DATA_DIR` or `~/tensorflow_datasets`).
        train_split: the `tfds` split used as the training pool.
        test_split: a `tfds` split name used whole as the test split, or a fraction
            in [0, 1) of every class of `train_split` to hold out as a fixed test
            split (independent of `seed`; 0 gives `test=None`).
        image_key: feature holding the image (uint8, fixed size).
        label_key: feature holding the `ClassLabel`.
        samples_per_class, validation_split, seed, batch_size, augment, with_info:
            as in `keras_margin.data.load`.

    Returns:
        `(train, validation, test)`, or `(train, validation, test, info)` with
        `with_info=True`; batches of float32 images in [0, 255] and int32 labels.

    Raises:
        DatasetNotFoundError: if the dataset is not prepared in `data_dir`.
        ValueError: for an invalid argument or a missing split or feature.

    Example:

    >>> import keras_margin as km
    >>> train, val, test = km.data.from_tfds(
    ...     "mnist", data_dir="/data/tfds", samples_per_class=100)  # doctest: +SKIP
    """
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    if not isinstance(test_split, str) and (
        isinstance(test_split, bool)
        or not isinstance(test_split, numbers.Real)
        or not 0.0 <= test_split < 1.0
    ):
        raise ValueError(
            "`test_split` must be a split name or a number in [0, 1); "
            f"received {test_split!r}."
        )
    builder = _prepared_builder(name, data_dir)
    features = builder.info.features
    for key, role in ((image_key, "image_key"), (label_key, "label_key")):
        if key not in features:
            raise ValueError(
                f"`{role}={key!r}` is not a feature of {name}; "
                f"features: {', '.join(sorted(features.keys()))}."
            )
    class_names = _class_names(features[label_key], name)

    images, labels = _read_split(builder, train_split, image_key, label_key)
    if isinstance(test_split, str):
        test_inputs, test_labels = _read_split(builder, test_split, image_key, label_key)
    else:
        test_index, pool_index = fixed_test_split.by_fraction(labels, float(test_split))
        test_inputs, test_labels = images[test_index], labels[test_index]
        images, labels = images[pool_index], labels[pool_index]
    source = SourceData(
        name=name,
        train_inputs=images,
        train_labels=labels,
        test_inputs=test_inputs,
        test_labels=test_labels,
        class_names=class_names,
        source=f"tfds {builder.info.full_name} in {builder.data_dir_root}",
    )
    return assemble(
        source,
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        batch_size=batch_size,
        augment=augment,
        with_info=with_info,
    )


def _prepared_builder(name, data_dir):
    # Imported here: tensorflow_datasets is slow to import and only this loader uses it.
    import tensorflow_datasets as tfds

    where = os.fspath(data_dir) if data_dir is not None else _default_data_dir()
    how = (
        f"prepare it into {where} on a machine with network access "
        f"(tfds build {name.split(':')[0]} --data_dir {where}) and copy that folder "
        "here, or pass data_dir=FOLDER holding it"
    )
    try:
        builder = tfds.builder(name, data_dir=data_dir)
    except tfds.core.DatasetNotFoundError:
        raise DatasetNotFoundError(
            f"tfds dataset {name!r}: not a known tfds dataset and not found in {where}; {how}"
        ) from None
    # is_prepared() only looks for files; the guard is what keeps this from downloading.
    if not builder.is_prepared():
        raise DatasetNotFoundError(f"tfds dataset {name!r}: not prepared in {where}; {how}")
    return builder


def _default_data_dir():
    from tensorflow_datasets.core import constants

    return os.environ.get("TFDS_DATA_DIR") or constants.DATA_DIR


def _class_names(label_feature, name):
    names = getattr(label_feature, "names", None)
    if not names:
        raise ValueError(
            f"{name}: the label feature must be a tfds ClassLabel with class names."
        )
    return [str(class_name) for class_name in names]


def _read_split(builder, split, image_key, label_key):
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if split.split("[")[0] not in builder.info.splits:
        raise ValueError(
            f"Split {split!r} not in {builder.info.full_name}; "
            f"splits: {', '.join(sorted(builder.info.splits.keys()))}."
        )
    dataset = builder.as_dataset(split=split, shuffle_files=False)
    dataset = dataset.map(lambda example: (example[image_key], example[label_key]))
    images, labels = [], []
    try:
        # Batched reading is far faster than one example at a time.
        for image_batch, label_batch in tfds.as_numpy(dataset.batch(1024)):
            images.append(image_batch)
            labels.append(label_batch)
    except tf.errors.InvalidArgumentError:
        raise ValueError(
            f"{builder.info.full_name}: images of split {split!r} differ in size; "
            "from_tfds needs fixed-size images."
        ) from None
    if not images:
        raise ValueError(f"{builder.info.full_name}: split {split!r} is empty.")
    images = np.concatenate(images)
    if images.ndim == 3:
        images = images[..., np.newaxis]
    return images, np.concatenate(labels).astype(np.int64)
