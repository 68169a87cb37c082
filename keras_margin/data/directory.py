"""`from_directory`: a folder with one sub-folder of images per class."""

import numbers
import os

import numpy as np
import tensorflow as tf

from keras_margin.data import fixed_test_split
from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.image_file import IMAGE_EXTENSIONS
from keras_margin.data.image_file import read_image
from keras_margin.data.source_data import SourceData
from keras_margin.utils.errors import DatasetNotFoundError

_CHANNELS = {"rgb": 3, "grayscale": 1}


def from_directory(
    path,
    image_size=None,
    color_mode="rgb",
    validation_split=0.1,
    test_split=0.2,
    samples_per_class=None,
    seed=0,
    batch_size=64,
    augment=None,
    with_info=False,
):
    """Loads images from class sub-folders as `(train, validation, test)` pipelines.

    The layout is `path/<class name>/<image file>`; class names are the sorted
    sub-folder names and label `i` is `class_names[i]`. Files ending in
    .png, .jpg, .jpeg, .bmp or .gif (first frame) are read; other files and hidden
    entries are ignored, and so are sub-folders (even one named like an image). Grey,
    grey + alpha, RGB and RGBA images all convert to `color_mode`. All images are
    decoded once, into memory.

    The test split is a fixed stratified `test_split` fraction of every class,
    chosen independently of `seed` so every run is tested on the same images; the
    rest is the training pool, split and subsampled exactly as in
    `keras_margin.data.load` (see there).

    Args:
        path: the folder holding one sub-folder per class.
        image_size: `(height, width)` to resize every image to (bilinear with
            antialiasing), or None to keep the sizes, which must then all agree.
        color_mode: `"rgb"` (3 channels) or `"grayscale"` (1 channel).
        validation_split: fraction of the training pool used for validation, in
            [0, 1); with 0, `validation` is None.
        test_split: fraction of every class used as the test split, in [0, 1); with
            0, `test` is None.
        samples_per_class, seed, batch_size, augment, with_info: as in
            `keras_margin.data.load`.

    Returns:
        `(train, validation, test)`, or `(train, validation, test, info)` with
        `with_info=True`; batches of float32 images in [0, 255] and int32 labels.

    Raises:
        DatasetNotFoundError: if `path` is not an existing folder.
        ValueError: for an invalid argument, no class folders, a class folder with
            too few images for the splits (one each for training, and for validation
            and test when their fraction is above 0), an image that does not decode, or
            images of different sizes when `image_size` is None.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.from_directory(
    ...     "photos/", image_size=(64, 64), with_info=True)  # doctest: +SKIP
    >>> info.class_names  # doctest: +SKIP
    ['cats', 'dogs']
    """
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"`color_mode` must be 'rgb' or 'grayscale'; received {color_mode!r}."
        )
    image_size = _check_image_size(image_size)
    if (
        isinstance(test_split, bool)
        or not isinstance(test_split, numbers.Real)
        or not 0.0 <= test_split < 1.0
    ):
        raise ValueError(f"`test_split` must be a number in [0, 1); received {test_split!r}.")
    root = os.fspath(path)
    if not os.path.isdir(root):
        raise DatasetNotFoundError(
            f"{root}: folder not found; pass the path of a folder holding one "
            "sub-folder of images per class"
        )

    class_names, files, labels = _list_images(root)
    _check_class_sizes(root, class_names, labels, validation_split, test_split)
    images = _decode_all(files, _CHANNELS[color_mode], image_size, root)
    test_index, pool_index = fixed_test_split.by_fraction(labels, float(test_split))
    source = SourceData.from_fixed_test_split(
        os.path.basename(os.path.normpath(os.path.abspath(root))),
        images, labels, test_index, pool_index, class_names,
        f"image folder {os.path.abspath(root)}",
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


def _check_image_size(image_size):
    if image_size is None:
        return None
    valid = (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) and size >= 1
            for size in image_size
        )
    )
    if not valid:
        raise ValueError(
            "`image_size` must be None or (height, width) with integers >= 1; "
            f"received {image_size!r}."
        )
    return tuple(int(size) for size in image_size)


def _list_images(root):
    class_names = sorted(
        entry.name
        for entry in os.scandir(root)
        if entry.is_dir() and not entry.name.startswith(".")
    )
    if not class_names:
        raise ValueError(f"{root}: no class sub-folders found (expected {root}/CLASS/IMAGE).")
    files, labels = [], []
    for label, class_name in enumerate(class_names):
        folder = os.path.join(root, class_name)
        names = sorted(
            name
            for name in os.listdir(folder)
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS)
            and os.path.isfile(os.path.join(folder, name))
        )
        if not names:
            raise ValueError(
                f"{folder}: class folder holds no images "
                f"({', '.join(IMAGE_EXTENSIONS)})."
            )
        files.extend(os.path.join(folder, name) for name in names)
        labels.extend([label] * len(names))
    return class_names, files, np.asarray(labels, dtype=np.int64)


def _check_class_sizes(root, class_names, labels, validation_split, test_split):
    """Every class needs an image for each split that is drawn (see `stratified_split`:
    a class of n >= 2 gives one and keeps one), or a split would silently lack it, and
    a test split without any image would leave nothing to evaluate on."""
    splits = ["training"] + [name for name, fraction in
                             (("validation", validation_split), ("test", test_split)) if fraction > 0]
    counts = np.bincount(labels, minlength=len(class_names))
    smallest = int(np.argmin(counts))
    if counts[smallest] < len(splits):
        raise ValueError(
            f"{os.path.join(root, class_names[smallest])}: {counts[smallest]} image(s), but every "
            f"class needs at least {len(splits)}, one each for the {', '.join(splits)} splits "
            f"(validation_split={validation_split}, test_split={test_split}); add images or "
            "lower the splits."
        )


def _decode_all(files, channels, image_size, root):
    images = []
    for file in files:
        image = read_image(file, channels)
        if image_size is not None:
            image = tf.image.resize(image, image_size, antialias=True)
            # Antialiased resizing can overshoot slightly; keep the [0, 255] promise.
            image = tf.clip_by_value(image, 0.0, 255.0)
        images.append(image.numpy())
    shapes = {image.shape for image in images}
    if len(shapes) > 1:
        first, second = sorted(shapes)[:2]
        raise ValueError(
            f"{root}: images differ in size ({first} and {second}, for example); "
            "pass image_size=(height, width) to resize them."
        )
    return np.stack(images)
