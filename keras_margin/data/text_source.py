"""`TextSourceData`: the decoded texts and labels of one text dataset, before splitting."""

import dataclasses

import numpy as np


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
        num_classes = len(self.class_names)
        for split in ("train", "test"):
            texts = getattr(self, f"{split}_texts")
            labels = getattr(self, f"{split}_labels")
            if texts.ndim != 1 or labels.ndim != 1 or len(texts) != len(labels):
                raise ValueError(
                    f"{self.name}: {split} texts and labels must be 1-D and of equal "
                    f"length; received {texts.shape} and {labels.shape}."
                )
            if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
                raise ValueError(
                    f"{self.name}: {split} labels must be in [0, {num_classes}); "
                    f"found {labels.min()} .. {labels.max()}."
                )
            texts.flags.writeable = False
            labels.flags.writeable = False

    @property
    def num_classes(self):
        return len(self.class_names)
