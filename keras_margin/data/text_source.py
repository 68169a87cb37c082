"""`TextSourceData`: the decoded texts and labels of one text dataset, before splitting."""

import dataclasses

import numpy as np

from keras_margin.data.source_data import check_labelled_split


@dataclasses.dataclass(frozen=True)
class TextSourceData:
    """The training pool and fixed test split of a text dataset, as numpy arrays.

    The text counterpart of `SourceData`: `keras_margin.data.load_text` splits and
    batches every text source the same way.

    Attributes:
        name: dataset name.
        train_texts: `(num_pool,)` object array of `str`; the pool that training and
            validation examples are drawn from.
        train_labels: `(num_pool,)` integer labels.
        test_texts: `(num_test,)` object array of `str`.
        test_labels: `(num_test,)` integer labels.
        class_names: list of `num_classes` strings.
        source: where the data came from (package and path).
        details: source-specific facts, JSON-friendly.
    """

    name: str
    train_texts: np.ndarray
    train_labels: np.ndarray
    test_texts: np.ndarray
    test_labels: np.ndarray
    class_names: list
    source: str
    details: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        for split in ("train", "test"):
            check_labelled_split(self.name, split, getattr(self, f"{split}_texts"),
                                 getattr(self, f"{split}_labels"), len(self.class_names),
                                 example_ndim=1,
                                 shapes="texts and labels must be 1-D and of equal length")

    @property
    def num_classes(self):
        return len(self.class_names)
