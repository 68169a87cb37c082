"""`SourceData`: decoded arrays of one dataset, before any splitting or batching."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class SourceData:
    """The decoded training pool and test split of a dataset, as numpy arrays.

    Every source (a built-in dataset, a folder, a `tfds` data_dir) produces one of
    these; `keras_margin.data` then splits and batches all of them the same way.
    The arrays are made read-only so that a source can cache and share them safely.
    This class holds images; `AudioSourceData` (waveforms) and `TextSourceData`
    (texts) change only what one input looks like (`INPUT_NDIM`, `INPUT_SHAPES`).

    Attributes:
        name: dataset name.
        train_inputs: `(num_pool, height, width, channels)` images, values in [0, 255].
        train_labels: `(num_pool,)` integer labels; the pool that training and
            validation examples are drawn from.
        test_inputs: `(num_test, height, width, channels)` images.
        test_labels: `(num_test,)` integer labels.
        class_names: list of `num_classes` strings.
        source: human-readable description of where the data came from.
        details: source-specific facts worth reporting with results, JSON-friendly
            (e.g. the fonts that `glyphs` rendered); passed on to `DatasetInfo`.
    """

    # The rank of a split's `inputs` array, and what the error says the arrays must be.
    INPUT_NDIM = 4
    INPUT_SHAPES = "images must be (N, H, W, C) and labels (N,)"

    name: str
    train_inputs: np.ndarray
    train_labels: np.ndarray
    test_inputs: np.ndarray
    test_labels: np.ndarray
    class_names: list
    source: str
    details: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for split in ("train", "test"):
            check_labelled_split(self.name, split, getattr(self, f"{split}_inputs"),
                                 getattr(self, f"{split}_labels"), len(self.class_names),
                                 example_ndim=self.INPUT_NDIM, shapes=self.INPUT_SHAPES)
        if self.train_inputs.shape[1:] != self.test_inputs.shape[1:] and len(self.test_labels):
            raise ValueError(
                f"{self.name}: train and test inputs differ in shape: "
                f"{self.train_inputs.shape[1:]} vs {self.test_inputs.shape[1:]}."
            )

    @classmethod
    def from_fixed_test_split(
        cls, name, images, labels, test_index, pool_index, class_names, source, details=None
    ):
        """A source whose test split is `test_index` of one labelled array set."""
        return cls(
            name=name,
            train_inputs=images[pool_index],
            train_labels=labels[pool_index],
            test_inputs=images[test_index],
            test_labels=labels[test_index],
            class_names=class_names,
            source=source,
            details={} if details is None else details,
        )

    @property
    def input_shape(self):
        return tuple(int(size) for size in self.train_inputs.shape[1:])

    @property
    def num_classes(self):
        return len(self.class_names)


def check_labelled_split(name, split, examples, labels, num_classes, example_ndim, shapes):
    """Checks one split of a source (shapes, label range) and makes its arrays read-only.

    `shapes` says in words what `examples` and `labels` must look like, for the error
    message.
    """
    if examples.ndim != example_ndim or labels.ndim != 1 or len(examples) != len(labels):
        raise ValueError(
            f"{name}: {split} {shapes}; received {examples.shape} and {labels.shape}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"{name}: {split} labels must be in [0, {num_classes}); "
            f"found {labels.min()} .. {labels.max()}."
        )
    examples.flags.writeable = False
    labels.flags.writeable = False
