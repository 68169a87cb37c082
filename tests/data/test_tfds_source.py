"""Tests for keras_margin.data.from_tfds, on a tiny tfds dataset prepared offline."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

import keras_margin as km
from data_testing import collect

CLASS_NAMES = ["circle", "square", "triangle"]
TRAIN_PER_CLASS = 10
TEST_PER_CLASS = 4


class KmTinyShapes(tfds.core.GeneratorBasedBuilder):
    """3 classes of 8x8 grey images; pixel (0, 0) holds label * 50, pixel (0, 1) a serial."""

    VERSION = tfds.core.Version("1.0.0")

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(8, 8, 1)),
                    "label": tfds.features.ClassLabel(names=CLASS_NAMES),
                }
            ),
        )

    def _split_generators(self, dl_manager):
        del dl_manager  # Nothing to download: the examples are generated.
        return {
            "train": self._generate_examples(3 * TRAIN_PER_CLASS, serial_offset=0),
            "test": self._generate_examples(3 * TEST_PER_CLASS, serial_offset=100),
        }

    def _generate_examples(self, count, serial_offset):
        for index in range(count):
            image = np.full((8, 8, 1), 255, dtype=np.uint8)
            image[0, 0, 0] = (index % 3) * 50
            image[0, 1, 0] = serial_offset + index
            yield index, {"image": image, "label": index % 3}


@pytest.fixture(scope="module")
def tfds_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("tfds")
    KmTinyShapes(data_dir=str(data_dir)).download_and_prepare()
    return data_dir


def test_loads_a_prepared_dataset(tfds_dir):
    train, validation, test, info = km.data.from_tfds(
        "km_tiny_shapes", data_dir=tfds_dir, validation_split=0.2, batch_size=4, with_info=True
    )
    assert info.class_names == CLASS_NAMES and info.num_classes == 3
    assert info.input_shape == (8, 8, 1)
    assert info.train_class_counts == [8, 8, 8] and info.validation_class_counts == [2, 2, 2]
    assert info.test_class_counts == [TEST_PER_CLASS] * 3
    assert "km_tiny_shapes" in info.source and str(tfds_dir) in info.source
    serials = []
    for split in (train, validation, test):
        images, labels = collect(split)
        assert images.dtype == np.float32 and labels.dtype == np.int32
        np.testing.assert_array_equal(images[:, 0, 0, 0], labels * 50)
        serials.append(set(images[:, 0, 1, 0].astype(int)))
    assert serials[0] | serials[1] == set(range(3 * TRAIN_PER_CLASS))
    assert serials[2] == set(range(100, 100 + 3 * TEST_PER_CLASS))
    assert not serials[0] & serials[1]


def test_samples_per_class_and_test_fraction(tfds_dir):
    train, _, test, info = km.data.from_tfds(
        "km_tiny_shapes", data_dir=tfds_dir, test_split=0.3, samples_per_class=4, with_info=True
    )
    assert np.bincount(collect(train)[1]).tolist() == [4, 4, 4]
    assert info.test_class_counts == [3, 3, 3]
    # The held-out test part comes from the train split and is the same for every seed.
    other_test = km.data.from_tfds("km_tiny_shapes", data_dir=tfds_dir, test_split=0.3, seed=9)[2]
    np.testing.assert_array_equal(collect(test)[0], collect(other_test)[0])
    assert collect(test)[0][:, 0, 1, 0].max() < 100


def test_unprepared_dataset_raises_without_downloading(tmp_path, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("from_tfds must never download or prepare")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", no_download)
    with pytest.raises(km.data.DatasetNotFoundError) as error:
        km.data.from_tfds("km_tiny_shapes", data_dir=tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert f"not prepared in {tmp_path}" in message and "tfds build km_tiny_shapes" in message


def test_unknown_dataset_raises_dataset_not_found(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError, match="not a known tfds dataset") as error:
        km.data.from_tfds("km_no_such_dataset", data_dir=tmp_path)
    assert "\n" not in str(error.value)


def test_missing_split_and_feature_are_value_errors(tfds_dir):
    with pytest.raises(ValueError, match="'validation'.*splits: test, train"):
        km.data.from_tfds("km_tiny_shapes", data_dir=tfds_dir, test_split="validation")
    with pytest.raises(ValueError, match="`image_key='pixels'`"):
        km.data.from_tfds("km_tiny_shapes", data_dir=tfds_dir, image_key="pixels")
