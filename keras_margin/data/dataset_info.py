"""`DatasetInfo`: what a loader returns about the splits it built."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """Facts about a loaded dataset, returned by the loaders when `with_info=True`.

    All counts describe the splits as returned, i.e. after `samples_per_class` and
    `validation_split` were applied.

    Attributes:
        name: the dataset name (`"mnist-5k"`, a folder name, a `tfds` name, ...).
        num_classes: number of classes; labels are `0 .. num_classes - 1`.
        input_shape: `(height, width, channels)` of one image.
        class_names: `class_names[label]` is the human-readable name of `label`.
        train_class_counts: training examples per class (index = label). Useful for
            class-imbalance methods such as LDAM.
        num_train: number of training examples.
        num_validation: number of validation examples (0 when `validation_split=0`).
        num_test: number of test examples.
        source: where the data came from, e.g. a package and a file path.
        validation_class_counts: validation examples per class.
        test_class_counts: test examples per class.
        details: source-specific facts, JSON-friendly; e.g. `glyphs` lists the fonts
            it rendered under `details["fonts"]`. Empty for most sources.

    Example:

    >>> import keras_margin as km
    >>> train, val, test, info = km.data.load("digits", with_info=True)
    >>> info.input_shape, info.num_classes
    ((8, 8, 1), 10)
    """

    name: str
    num_classes: int
    input_shape: tuple
    class_names: list
    train_class_counts: list
    num_train: int
    num_validation: int
    num_test: int
    source: str
    validation_class_counts: list = dataclasses.field(default_factory=list)
    test_class_counts: list = dataclasses.field(default_factory=list)
    details: dict = dataclasses.field(default_factory=dict)
