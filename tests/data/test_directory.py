"""Tests for keras_margin.data.from_directory."""

import numpy as np
import pytest
from PIL import Image

import keras_margin as km
from data_testing import collect, image_keys

# Folder names deliberately not in sorted order of creation.
CLASSES = {"zebra": 200, "ant": 40, "cat": 120}  # class -> grey level of its images
PER_CLASS = 10


def write_folder(root, size=(6, 5), per_class=PER_CLASS):
    for class_name, level in CLASSES.items():
        folder = root / class_name
        folder.mkdir(parents=True)
        for index in range(per_class):
            pixels = np.full((size[0], size[1], 3), level, dtype=np.uint8)
            pixels[0, 0] = [index, 255 - index, 7]  # unique per image, colour channels differ
            Image.fromarray(pixels).save(folder / f"{index:03d}.png")
        (folder / "notes.txt").write_text("not an image")
        (folder / ".hidden.png").write_bytes(b"junk that would not decode")
    return root


@pytest.fixture
def image_folder(tmp_path):
    return write_folder(tmp_path / "animals")


def test_class_names_are_sorted_folder_names_and_labels_match(image_folder):
    train, validation, test, info = km.data.from_directory(
        image_folder, validation_split=0.2, test_split=0.2, with_info=True
    )
    assert info.class_names == ["ant", "cat", "zebra"]
    assert info.name == "animals" and str(image_folder) in info.source
    assert info.input_shape == (6, 5, 3)
    assert info.num_train + info.num_validation + info.num_test == 3 * PER_CLASS
    assert info.test_class_counts == [2, 2, 2]
    levels = np.array([CLASSES[name] for name in info.class_names])
    for split in (train, validation, test):
        images, labels = collect(split)
        assert images.dtype == np.float32 and images.shape[1:] == (6, 5, 3)
        np.testing.assert_array_equal(images[:, 1, 1, 0], levels[labels])


def test_grayscale_and_resizing(image_folder):
    train, _, _, info = km.data.from_directory(
        image_folder, image_size=(12, 10), color_mode="grayscale", with_info=True
    )
    images, labels = collect(train)
    assert images.shape[1:] == (12, 10, 1) and info.input_shape == (12, 10, 1)
    assert images.min() >= 0.0 and images.max() <= 255.0
    levels = np.array([40, 120, 200])
    np.testing.assert_allclose(images[:, 6, 5, 0], levels[labels], atol=1.0)


def test_samples_per_class_and_fixed_test_split(image_folder):
    first = km.data.from_directory(image_folder, samples_per_class=3, seed=0, with_info=True)
    second = km.data.from_directory(image_folder, samples_per_class=3, seed=1, with_info=True)
    assert first[3].train_class_counts == [3, 3, 3]
    assert np.bincount(collect(first[0])[1]).tolist() == [3, 3, 3]
    np.testing.assert_array_equal(collect(first[2])[0], collect(second[2])[0])
    assert set(image_keys(collect(first[0])[0])) != set(image_keys(collect(second[0])[0]))
    keys = [set(image_keys(collect(split)[0])) for split in first[:3]]
    assert not keys[0] & keys[1] and not keys[0] & keys[2] and not keys[1] & keys[2]


def test_zero_splits_give_none(image_folder):
    train, validation, test, info = km.data.from_directory(
        image_folder, validation_split=0, test_split=0, with_info=True
    )
    assert validation is None and test is None
    assert info.num_train == 3 * PER_CLASS


def test_missing_folder_raises_dataset_not_found(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(km.data.DatasetNotFoundError, match=str(missing)) as error:
        km.data.from_directory(missing)
    assert "\n" not in str(error.value)


def test_mixed_sizes_need_image_size(tmp_path):
    write_folder(tmp_path / "mixed")
    big = np.zeros((9, 9, 3), dtype=np.uint8)
    Image.fromarray(big).save(tmp_path / "mixed" / "ant" / "big.png")
    with pytest.raises(ValueError, match="image_size"):
        km.data.from_directory(tmp_path / "mixed")
    *_, info = km.data.from_directory(tmp_path / "mixed", image_size=(4, 4), with_info=True)
    assert info.input_shape == (4, 4, 3)


def test_empty_class_folder_and_no_class_folders_are_errors(tmp_path):
    (tmp_path / "flat").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        km.data.from_directory(tmp_path / "flat")
    write_folder(tmp_path / "gap")
    (tmp_path / "gap" / "empty").mkdir()
    with pytest.raises(ValueError, match="empty: class folder holds no images"):
        km.data.from_directory(tmp_path / "gap")


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"color_mode": "rgba"}, "color_mode"),
        ({"image_size": (0, 4)}, "image_size"),
        ({"image_size": 32}, "image_size"),
        ({"test_split": 1.0}, "test_split"),
        ({"samples_per_class": -2}, "samples_per_class"),
        ({"batch_size": 0}, "batch_size"),
    ],
)
def test_invalid_arguments_name_the_argument(image_folder, kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.from_directory(image_folder, **kwargs)
