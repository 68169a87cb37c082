"""Image and text datasets as `tf.data` pipelines of `(inputs, labels)` batches, offline.

Loaders: `load` (built-in image datasets by name), `load_text` (built-in text
datasets), `from_directory` (a folder of class sub-folders) and `from_tfds` (a `tfds`
dataset prepared in a local data_dir), and `load_open_set` (training identities plus
unseen ones, for verification). They
share one splitting convention (fixed test split, seeded stratified validation split,
`samples_per_class` counting training examples) and one pipeline (`make_pipeline`).
Nothing here downloads; a missing dataset raises `DatasetNotFoundError`.
"""

from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.directory import from_directory
from keras_margin.data.errors import DatasetNotFoundError
from keras_margin.data.idx import read_idx
from keras_margin.data.load import available_datasets
from keras_margin.data.load import load
from keras_margin.data.load_text import assemble_text
from keras_margin.data.load_text import available_text_datasets
from keras_margin.data.load_text import load_text
from keras_margin.data.open_set import OpenSetData
from keras_margin.data.open_set import OpenSetInfo
from keras_margin.data.open_set import assemble_open_set
from keras_margin.data.open_set import available_open_sets
from keras_margin.data.open_set import hold_out_classes
from keras_margin.data.open_set import load_open_set
from keras_margin.data.pipeline import make_pipeline
from keras_margin.data.stratified import proportional_indices
from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_split
from keras_margin.data.text_pipeline import make_text_pipeline
from keras_margin.data.text_source import TextSourceData
from keras_margin.data.tfds_source import from_tfds

__all__ = [
    "DatasetInfo",
    "DatasetNotFoundError",
    "OpenSetData",
    "OpenSetInfo",
    "TextSourceData",
    "assemble_text",
    "assemble_open_set",
    "available_open_sets",
    "available_datasets",
    "available_text_datasets",
    "from_directory",
    "from_tfds",
    "hold_out_classes",
    "load",
    "load_open_set",
    "load_text",
    "make_pipeline",
    "make_text_pipeline",
    "proportional_indices",
    "read_idx",
    "stratified_indices",
    "stratified_split",
]
