"""Image, text and audio datasets as `tf.data` pipelines of `(inputs, labels)` batches, offline.

Loaders: `load` (built-in image datasets by name), `load_text` (built-in text
datasets), `load_audio` (audio clips rendered by Debian tools), `from_directory` (a folder of class sub-folders) and `from_tfds` (a `tfds`
dataset prepared in a local data_dir), and `load_open_set` (training identities plus
unseen ones, for verification). They
share one splitting convention (fixed test split, seeded stratified validation split,
`samples_per_class` counting training examples) and one pipeline (`make_pipeline`).
Nothing here downloads; a missing dataset raises `DatasetNotFoundError`.
`unlabelled_pool` gives the training-pool images that `load` leaves unlabelled (for
`keras_margin.ssl`).

For studies of training difficulties: `class_weights`, `long_tailed_counts`,
`balanced` (class imbalance), `with_label_noise`, `smooth_labels`,
`load_training_split` and `clean_with_sub_centers` (noisy labels); `load` takes
`imbalance_ratio`, `label_noise` and `balance` directly.
"""

from keras_margin.utils.quiet import import_tensorflow_quietly

import_tensorflow_quietly()  # first, on any Keras backend: this package is built on TensorFlow

from keras_margin.data.assemble import TrainingSplit
from keras_margin.data.audio_source import AudioSourceData
from keras_margin.data.cleaning import CleanedData
from keras_margin.data.cleaning import clean_with_sub_centers
from keras_margin.data.dataset_info import DatasetInfo
from keras_margin.data.directory import from_directory
from keras_margin.data.idx import read_idx
from keras_margin.data.imbalance import balanced
from keras_margin.data.imbalance import balanced_indices
from keras_margin.data.imbalance import class_weights
from keras_margin.data.imbalance import long_tailed_counts
from keras_margin.data.label_noise import smooth_labels
from keras_margin.data.label_noise import with_label_noise
from keras_margin.data.load import available_datasets
from keras_margin.data.load import load
from keras_margin.data.load import load_training_split
from keras_margin.data.load import unlabelled_pool
from keras_margin.data.load_audio import assemble_audio
from keras_margin.data.load_audio import available_audio_datasets
from keras_margin.data.load_audio import is_audio_dataset
from keras_margin.data.load_audio import load_audio
from keras_margin.data.load_text import assemble_text
from keras_margin.data.load_text import available_text_datasets
from keras_margin.data.load_text import load_text
from keras_margin.data.open_set import OpenSetData
from keras_margin.data.open_set import OpenSetInfo
from keras_margin.data.open_set import ValidationIdentities
from keras_margin.data.open_set import assemble_open_set
from keras_margin.data.open_set import available_open_sets
from keras_margin.data.open_set import hold_out_classes
from keras_margin.data.open_set import load_open_set
from keras_margin.data.pipeline import make_pipeline
from keras_margin.data.pk_sampler import pk_batches
from keras_margin.data.stratified import proportional_indices
from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_indices_per_class
from keras_margin.data.stratified import stratified_split
from keras_margin.data.text_pipeline import make_text_pipeline
from keras_margin.data.text_source import TextSourceData
from keras_margin.data.tfds_source import from_tfds
from keras_margin.utils.errors import DatasetNotFoundError

__all__ = [
    "AudioSourceData",
    "assemble_audio",
    "available_audio_datasets",
    "is_audio_dataset",
    "load_audio",
    "CleanedData",
    "DatasetInfo",
    "DatasetNotFoundError",
    "OpenSetData",
    "OpenSetInfo",
    "ValidationIdentities",
    "TrainingSplit",
    "assemble_open_set",
    "available_open_sets",
    "available_datasets",
    "balanced",
    "balanced_indices",
    "class_weights",
    "clean_with_sub_centers",
    "TextSourceData",
    "assemble_text",
    "available_text_datasets",
    "from_directory",
    "from_tfds",
    "hold_out_classes",
    "load",
    "load_open_set",
    "load_training_split",
    "long_tailed_counts",
    "load_text",
    "make_pipeline",
    "make_text_pipeline",
    "pk_batches",
    "proportional_indices",
    "read_idx",
    "smooth_labels",
    "stratified_indices",
    "stratified_indices_per_class",
    "stratified_split",
    "unlabelled_pool",
    "with_label_noise",
]
