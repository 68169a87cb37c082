"""`TextSourceData`: the decoded texts and labels of one text dataset, before splitting."""

import dataclasses

from keras_margin.data.source_data import SourceData


@dataclasses.dataclass(frozen=True)
class TextSourceData(SourceData):
    """The training pool and fixed test split of a text dataset, as numpy arrays.

    A `SourceData` whose inputs are strings: `keras_margin.data.load_text` splits and
    batches every text source the same way.

    Attributes (as `SourceData`, but):
        train_inputs: `(num_pool,)` object array of `str`; the pool that training and
            validation examples are drawn from.
        test_inputs: `(num_test,)` object array of `str`.
    """

    INPUT_NDIM = 1
    INPUT_SHAPES = "texts and labels must be 1-D and of equal length"
