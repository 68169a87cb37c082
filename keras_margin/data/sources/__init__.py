"""Built-in datasets: each module turns data shipped by a package into a `SourceData`.

`DATASETS` is the one registry of the names the loaders accept: each dataset's
modality and its readers, `read(folder) -> SourceData` for a closed-set dataset
(`load`, `load_audio`, `load_text`) and `read_open_set(folder) -> (SourceData, unseen
class ids)` for an open set (`load_open_set`); the folder is the loader's `data_dir`
(`cache_dir` for the rendered audio). Each loader reads its own view of it
(`BUILTIN_SOURCES` of `load`, `sources_of("audio")`, ...).
"""

import dataclasses

from keras_margin.data.sources import digits
from keras_margin.data.sources import fashion_mnist
from keras_margin.data.sources import food_reviews
from keras_margin.data.sources import fortunes
from keras_margin.data.sources import glyphs
from keras_margin.data.sources import instruments
from keras_margin.data.sources import mnist_5k
from keras_margin.data.sources import spoken_digits

MODALITIES = ("image", "audio", "text")


@dataclasses.dataclass(frozen=True)
class BuiltinDataset:
    """A registered dataset: `modality` (one of `MODALITIES`) and its readers (None
    where the dataset has no closed-set or no open-set form)."""

    modality: str
    read: object = None
    read_open_set: object = None


DATASETS = {
    "mnist-5k": BuiltinDataset("image", read=mnist_5k.read),
    "mnist-5k-open": BuiltinDataset("image", read_open_set=mnist_5k.read_open_set),
    "digits": BuiltinDataset("image", read=digits.read),
    "fashion-mnist": BuiltinDataset("image", read=fashion_mnist.read),
    "fashion-mnist-open": BuiltinDataset("image", read_open_set=fashion_mnist.read_open_set),
    "glyphs": BuiltinDataset("image", read=glyphs.read, read_open_set=glyphs.read_open_set),
    "instruments": BuiltinDataset("audio", read=lambda folder: instruments.read(cache_dir=folder)),
    "instruments-open": BuiltinDataset("audio", read_open_set=instruments.read_open_set),
    "spoken-digits": BuiltinDataset("audio", read=lambda folder: spoken_digits.read(cache_dir=folder)),
    "fortunes": BuiltinDataset("text", read=fortunes.read),
    "food-reviews": BuiltinDataset("text", read=food_reviews.read),
}


def sources_of(modality):
    """`{name: read}` of the closed-set datasets of `modality`."""
    return {name: dataset.read for name, dataset in DATASETS.items()
            if dataset.modality == modality and dataset.read is not None}


def open_sets():
    """`{name: read_open_set}` of the open sets, of every modality."""
    return {name: dataset.read_open_set for name, dataset in DATASETS.items()
            if dataset.read_open_set is not None}


def modality_of(name):
    """The modality of the registered dataset `name`, or None for another name."""
    dataset = DATASETS.get(name)
    return None if dataset is None else dataset.modality


# `load`'s view: the image datasets.
BUILTIN_SOURCES = sources_of("image")
