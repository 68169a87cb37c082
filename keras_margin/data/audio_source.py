"""`AudioSourceData`: the waveforms and labels of one audio dataset, before splitting."""

import dataclasses

from keras_margin.data.source_data import SourceData
from keras_margin.data.source_data import check_labelled_split


@dataclasses.dataclass(frozen=True)
class AudioSourceData(SourceData):
    """The training pool and fixed test split of an audio dataset, as numpy arrays.

    A `SourceData` whose examples are mono waveforms of one fixed length, so that the
    shared splitting (`keras_margin.data.assemble`, `hold_out_classes`) applies
    unchanged. The inherited `train_images` / `test_images` fields hold the waveforms;
    `train_waveforms` / `test_waveforms` name them for what they are.

    Attributes (beyond `SourceData`):
        train_images: `(num_pool, samples)` float waveforms in [-1, 1] (float16 to
            halve the memory; batches are cast to float32).
        test_images: `(num_test, samples)` waveforms.
        sample_rate: samples per second.
    """

    sample_rate: int = 16000

    def __post_init__(self):
        for split in ("train", "test"):
            check_labelled_split(self.name, split, getattr(self, f"{split}_images"),
                                 getattr(self, f"{split}_labels"), len(self.class_names),
                                 example_ndim=2, shapes="waveforms must be (N, samples) and labels (N,)")
        if self.train_images.shape[1:] != self.test_images.shape[1:] and len(self.test_labels):
            raise ValueError(
                f"{self.name}: train and test waveforms differ in length: "
                f"{self.train_images.shape[1:]} vs {self.test_images.shape[1:]}."
            )

    @property
    def train_waveforms(self):
        return self.train_images

    @property
    def test_waveforms(self):
        return self.test_images
