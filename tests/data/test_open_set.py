"""Tests for keras_margin.data.open_set: seen identities to train on, unseen ones to verify."""

import numpy as np
import pytest

import keras_margin as km
from data_testing import FASHION_TEST_PER_CLASS, FASHION_TRAIN_PER_CLASS, collect, image_keys
from keras_margin.data.source_data import SourceData
from keras_margin.data.sources import glyph_characters
from keras_margin.data.sources import glyph_fonts
from keras_margin.data.sources import glyph_render
from keras_margin.data.sources import glyphs

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def labelled_source(num_classes=5, pool_per_class=6, test_per_class=2):
    """Images whose pixel (0, 0) holds their original label and (0, 1) a serial."""
    def split(per_class, offset):
        labels = np.repeat(np.arange(num_classes), per_class)
        images = np.zeros((len(labels), 4, 4, 1), dtype=np.uint8)
        images[:, 0, 0, 0] = labels
        images[:, 0, 1, 0] = np.arange(len(labels)) + offset
        return images, labels

    (pool_images, pool_labels), (test_images, test_labels) = split(pool_per_class, 0), split(
        test_per_class, 100)
    return SourceData("toy", pool_images, pool_labels, test_images, test_labels,
                      [f"c{label}" for label in range(num_classes)], "made in the test",
                      details={"note": "kept"})


def test_hold_out_classes_relabels_the_seen_and_takes_unseen_from_the_test_split():
    seen, unseen_images, unseen_labels, unseen_names = km.data.hold_out_classes(
        labelled_source(), [3, 1], name="toy-open")
    assert seen.name == "toy-open" and seen.class_names == ["c0", "c2", "c4"]
    original = {0: 0, 1: 2, 2: 4}
    for images, labels in [(seen.train_inputs, seen.train_labels),
                           (seen.test_inputs, seen.test_labels)]:
        assert sorted(set(labels.tolist())) == [0, 1, 2]
        np.testing.assert_array_equal(images[:, 0, 0, 0], [original[label] for label in labels])
    assert len(seen.train_labels) == 18 and len(seen.test_labels) == 6
    assert unseen_names == ["c1", "c3"]
    np.testing.assert_array_equal(unseen_images[:, 0, 0, 0], np.array([1, 3])[unseen_labels])
    assert (unseen_images[:, 0, 1, 0] >= 100).all()  # test images only
    assert seen.details == {"note": "kept", "unseen_classes_original_ids": [1, 3]}


@pytest.mark.parametrize("unseen", [[], [0, 1, 2, 3, 4], [5], [-1], [1, 1], ["a"], [1.5], 3])
def test_invalid_unseen_classes_raise_naming_the_argument(unseen):
    with pytest.raises(ValueError, match="`unseen_classes`"):
        km.data.assemble_open_set(labelled_source(), unseen)


def test_assemble_open_set_returns_named_pipelines_and_arrays():
    data = km.data.assemble_open_set(labelled_source(), [4], batch_size=4, validation_split=0.25,
                                     samples_per_class=3, seed=2)
    train, validation, test, unseen_images, unseen_labels, info = data  # unpacks too
    assert data.train is train and data.info is info
    assert np.bincount(collect(train)[1]).tolist() == [3, 3, 3, 3]
    assert np.bincount(collect(validation)[1]).tolist() == [2, 2, 2, 2]  # 25% of 6, half up
    assert np.bincount(collect(test)[1]).tolist() == [2, 2, 2, 2]
    assert unseen_images.dtype == np.float32 and unseen_labels.dtype == np.int32
    assert unseen_images.shape == (2, 4, 4, 1) and unseen_labels.tolist() == [0, 0]
    assert isinstance(info, km.data.DatasetInfo)
    assert info.num_classes == 4 and info.unseen_class_names == ["c4"]
    assert info.unseen_class_counts == [2] and info.num_unseen == 2
    assert info.train_class_counts == [3, 3, 3, 3] and info.name == "toy"


@pytest.fixture(scope="module")
def glyph_open_set(font_dir):
    return km.data.load_open_set("glyphs", data_dir=font_dir, batch_size=128, seed=0)


def test_glyphs_no_character_and_no_font_design_is_both_seen_and_unseen(glyph_open_set, font_dir):
    info = glyph_open_set.info
    assert not set(info.class_names) & set(info.unseen_class_names)
    assert len(info.class_names) == 93 and len(info.unseen_class_names) == 32
    assert sorted(info.class_names + info.unseen_class_names) == sorted(
        glyph_characters.CHARACTERS)

    faces = glyph_fonts.find_faces(font_dir)[0]
    train_faces = [f for f in faces if not glyph_fonts.is_test_design(f.design)]
    test_faces = [f for f in faces if glyph_fonts.is_test_design(f.design)]
    assert {f.design for f in train_faces} == {"vera-sans", "helvetica"}
    # Unseen images are exactly the unseen characters in the test fonts, each with the
    # label of its character.
    images, character_index, _ = glyph_render.render(test_faces, info.unseen_class_names)
    character_of = dict(zip(image_keys(images), character_index.tolist()))
    unseen_keys = image_keys(glyph_open_set.unseen_images[..., 0].astype(np.uint8))
    assert sorted(unseen_keys) == sorted(character_of)
    assert [character_of[key] for key in unseen_keys] == glyph_open_set.unseen_labels.tolist()
    # Training and validation images all come from the training fonts and seen characters.
    seen_train = set(image_keys(glyph_render.render(train_faces, info.class_names)[0]))
    for split in (glyph_open_set.train, glyph_open_set.validation):
        keys = image_keys(collect(split)[0][..., 0].astype(np.uint8))
        assert set(keys) <= seen_train
    test_keys = set(image_keys(collect(glyph_open_set.test)[0][..., 0].astype(np.uint8)))
    assert test_keys == set(image_keys(glyph_render.render(test_faces, info.class_names)[0]))


def test_glyphs_counts_and_labels(glyph_open_set, font_dir):
    info = glyph_open_set.info
    _, train_labels = collect(glyph_open_set.train)
    assert sorted(set(train_labels.tolist())) == list(range(93))
    faces = glyph_fonts.find_faces(font_dir)[0]
    train_faces = [f for f in faces if not glyph_fonts.is_test_design(f.design)]
    _, pool_labels, _ = glyph_render.render(train_faces, info.class_names)
    pool_counts = np.bincount(pool_labels, minlength=93)
    # Four training faces have every character, TeX Gyre Heros only Latin and some Greek.
    assert pool_counts.min() == 4 and pool_counts.max() == 5
    assert info.num_train + info.num_validation == len(pool_labels)
    assert (np.asarray(info.train_class_counts) + info.validation_class_counts
            == pool_counts).all()
    assert info.num_test == 2 * 93 and info.num_unseen == 2 * 32
    assert info.unseen_class_counts == [2] * 32
    assert info.details["test_designs"] == ["liberation-mono", "vera-serif"]


def test_glyphs_same_seed_same_data_other_seed_other_subsample(font_dir):
    def train_keys(seed):
        data = km.data.load_open_set("glyphs", data_dir=font_dir, samples_per_class=3, seed=seed)
        return image_keys(collect(data.train)[0]), data.unseen_labels

    first, unseen_first = train_keys(4)
    again, unseen_again = train_keys(4)
    other, unseen_other = train_keys(5)
    assert first == again and set(first) != set(other)
    np.testing.assert_array_equal(unseen_first, unseen_other)  # unseen set ignores the seed


def test_fashion_mnist_open_holds_out_classes_6_to_9(fashion_dir):
    data = km.data.load_open_set("fashion-mnist-open", data_dir=fashion_dir, seed=1)
    info = data.info
    assert info.name == "fashion-mnist-open"
    assert info.class_names == FASHION_CLASSES[:6]
    assert info.unseen_class_names == FASHION_CLASSES[6:]
    for split in (data.train, data.validation, data.test):
        images, labels = collect(split)
        assert labels.max() < 6
        # The fixture writes the original label * 10 into pixel (0, 0).
        np.testing.assert_array_equal(images[:, 0, 0, 0], labels * 10)
    assert info.num_train + info.num_validation == 6 * FASHION_TRAIN_PER_CLASS
    assert info.num_test == 6 * FASHION_TEST_PER_CLASS
    np.testing.assert_array_equal(data.unseen_images[:, 0, 0, 0], (data.unseen_labels + 6) * 10)
    assert info.unseen_class_counts == [FASHION_TEST_PER_CLASS] * 4
    # Unseen images come from the test file (serials from 1000 on), never the training file.
    serials = data.unseen_images[:, 0, 1, 0] * 256 + data.unseen_images[:, 0, 2, 0]
    assert serials.min() >= 1000


def test_mnist_5k_open_holds_out_digits_6_to_9():
    data = km.data.load_open_set("mnist-5k-open", samples_per_class=20, seed=0)
    info = data.info
    assert info.class_names == [str(digit) for digit in range(6)]
    assert info.unseen_class_names == ["6", "7", "8", "9"]
    assert info.train_class_counts == [20] * 6 and info.test_class_counts == [100] * 6
    assert info.unseen_class_counts == [100] * 4 and data.unseen_images.shape == (400, 28, 28, 1)
    assert max(collect(data.train)[1]) < 6
    # The unseen images are the fixed test images of digits 6-9, untouched by training.
    _, _, mnist_test = km.data.load("mnist-5k", validation_split=0)
    test_images, test_labels = collect(mnist_test)
    np.testing.assert_array_equal(data.unseen_images, test_images[test_labels >= 6])


def test_names_are_listed_and_normalised(fashion_dir):
    assert km.data.available_open_sets() == ["fashion-mnist-open", "glyphs", "instruments-open",
                                             "mnist-5k-open"]
    data = km.data.load_open_set("Fashion_MNIST_open", data_dir=fashion_dir, validation_split=0)
    assert data.validation is None and data.info.num_validation == 0


def test_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="'faces'.*fashion-mnist-open, glyphs, instruments-open, mnist-5k-open"):
        km.data.load_open_set("faces")


@pytest.mark.parametrize("kwargs, name", [({"samples_per_class": 0}, "samples_per_class"),
                                          ({"validation_split": 1.0}, "validation_split"),
                                          ({"seed": -1}, "seed"), ({"batch_size": 0}, "batch_size"),
                                          ({"augment": "flip"}, "augment")])
def test_invalid_arguments_are_named_before_any_rendering(kwargs, name, monkeypatch):
    monkeypatch.setattr(glyphs, "read_open_set", lambda *a: pytest.fail("read before checking"))
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.load_open_set("glyphs", **kwargs)


def test_missing_data_raises_dataset_not_found(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError, match="^glyphs: no usable fonts found in"):
        km.data.load_open_set("glyphs", data_dir=tmp_path)
    with pytest.raises(km.data.DatasetNotFoundError, match="^fashion-mnist: files not found"):
        km.data.load_open_set("fashion-mnist-open", data_dir=tmp_path)


def test_validation_identities_are_seen_identities_held_out_of_training_from_the_pool():
    source = labelled_source(num_classes=8)
    data, identities = km.data.assemble_open_set(source, [7], validation_identities=0.3,
                                                 validation_split=0.25, seed=3)
    # round(0.3 * 7 seen) = 2 identities, drawn with the seed, none of them unseen.
    assert len(identities.class_names) == 2 and "c7" not in identities.class_names
    assert data.info.num_classes == 5 and data.info.unseen_class_names == ["c7"]
    assert not set(identities.class_names) & set(data.info.class_names)
    originals = sorted(int(name[1:]) for name in identities.class_names)
    # Every pool image of those identities and no test image (serials >= 100).
    assert len(identities.labels) == 12 and (identities.images[:, 0, 1, 0] < 100).all()
    np.testing.assert_array_equal(identities.images[:, 0, 0, 0], np.array(originals)[identities.labels])
    assert identities.images.dtype == np.float32 and identities.labels.dtype == np.int32
    trained = np.concatenate([np.asarray(images)[:, 0, 0, 0] for split in (data.train, data.validation,
                                                                           data.test) for images, _ in split])
    assert set(trained.astype(int).tolist()) == set(range(7)) - set(originals)
    again, same = km.data.assemble_open_set(source, [7], validation_identities=0.3, seed=3)
    assert same.class_names == identities.class_names
    assert km.data.assemble_open_set(source, [7], seed=3).info.num_classes == 7  # default: none


@pytest.mark.parametrize("fraction", [-0.1, 1.0, "a", float("nan"), 0.8])
def test_invalid_validation_identities_raise_naming_the_argument(fraction):
    # 0.8 of 4 seen identities holds out 3 and leaves 1 to train on.
    with pytest.raises(ValueError, match="`validation_identities`"):
        km.data.assemble_open_set(labelled_source(), [4], validation_identities=fraction)
