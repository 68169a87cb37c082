"""`AudioSourceData`: the waveforms and labels of one audio dataset, before splitting."""

import dataclasses

from keras_margin.data.source_data import SourceData


@dataclasses.dataclass(frozen=True)
class AudioSourceData(SourceData):
    """The training pool and fixed test split of an audio dataset, as numpy arrays.

    A `SourceData` whose inputs are mono waveforms of one fixed length, so that the
    shared splitting (`keras_margin.data.assemble`, `hold_out_classes`) applies
    unchanged.

    Attributes (beyond `SourceData`):
        train_inputs: `(num_pool, samples)` float waveforms in [-1, 1] (float16 to
            halve the memory; batches are cast to float32).
        test_inputs: `(num_test, samples)` waveforms.
        sample_rate: samples per second.
    """

    INPUT_NDIM = 2
    INPUT_SHAPES = "waveforms must be (N, samples) and labels (N,)"

    sample_rate: int = 16000
