"""`load_text` on the Debian text data: splits, sizes, nesting, missing files."""

import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km
from keras_margin.data.sources import fortunes


def all_examples(dataset):
    texts, labels = [], []
    for batch_texts, batch_labels in dataset:
        texts.extend(t.decode() for t in batch_texts.numpy())
        labels.extend(batch_labels.numpy().tolist())
    return texts, labels


def test_fortunes_sizes_fixed_test_split_and_nested_num_train():
    train, val, test, info = km.data.load_text("fortunes", num_train=500, with_info=True)
    assert info.num_classes == 15 and info.input_shape == ()
    assert info.num_train == 500 and sum(info.train_class_counts) == 500
    assert info.num_test == sum(info.test_class_counts) > 1100
    texts, labels = all_examples(train)
    assert len(texts) == 500 and min(info.train_class_counts) >= 5
    small, _ = all_examples(km.data.load_text("fortunes", num_train=200)[0])
    assert set(small) <= set(texts)  # nested subsamples for one seed
    test_texts, _ = all_examples(test)
    other_seed_test, _ = all_examples(km.data.load_text("fortunes", seed=3)[2])
    assert test_texts == other_seed_test  # the test split ignores the seed
    assert not set(test_texts) & set(texts)
    batch_texts, batch_labels = next(iter(train))
    assert batch_texts.dtype == tf.string and batch_labels.dtype == tf.int32


def test_fortunes_total_and_parsing(tmp_path):
    _, _, _, info = km.data.load_text("fortunes", validation_split=0.0, with_info=True)
    assert 6000 < info.num_train + info.num_test < 6100
    assert fortunes.parse("one\n%\n\n%\nt_\bw_\bo\nlines\n%\n") == ["one", "two\nlines"]


def test_food_reviews_official_split_and_samples_per_class():
    train, val, test, info = km.data.load_text(
        "food_reviews", samples_per_class=50, with_info=True
    )
    assert info.class_names == ["great", "other"]
    assert info.train_class_counts == [50, 50] and info.num_test == 1000
    assert info.num_validation == 400 and "r-cran-modeldata" in info.source
    texts, _ = all_examples(train)
    assert all(len(t.split()) >= 1 for t in texts)


def test_text_augmentation_layer_is_applied_with_the_loader_seed():
    eda = km.augment.text.RandomSwap(alpha=0.5)
    first = all_examples(km.data.load_text("food-reviews", num_train=64, augment=eda, seed=4)[0])
    again = all_examples(km.data.load_text("food-reviews", num_train=64, augment=eda, seed=4)[0])
    plain = all_examples(km.data.load_text("food-reviews", num_train=64, seed=4)[0])
    assert first == again and first[1] == plain[1]
    changed = [a != b for a, b in zip(first[0], plain[0])]
    assert np.mean(changed) > 0.9
    assert [sorted(a.split()) for a in first[0]] == [sorted(b.split()) for b in plain[0]]


def test_missing_files_and_bad_arguments(tmp_path):
    with pytest.raises(km.data.DatasetNotFoundError, match="Debian package fortunes"):
        km.data.load_text("fortunes", data_dir=tmp_path)
    with pytest.raises(km.data.DatasetNotFoundError, match="r-cran-modeldata"):
        km.data.load_text("food-reviews", data_dir=tmp_path)
    for bad in (0, 2.5, True, "500"):
        with pytest.raises(ValueError, match="`num_train` must be an integer >= 1"):
            km.data.load_text("fortunes", num_train=bad)
    with pytest.raises(ValueError, match="at most one of `num_train`"):
        km.data.load_text("fortunes", num_train=10, samples_per_class=2)
    with pytest.raises(ValueError, match="Unknown text dataset"):
        km.data.load_text("imdb")


def test_proportional_indices_are_nested_and_proportional():
    labels = np.repeat([0, 1, 2], [600, 300, 100])
    big = km.data.proportional_indices(labels, 500, seed=1)
    small = km.data.proportional_indices(labels, 100, seed=1)
    assert set(small) <= set(big)
    assert np.abs(np.bincount(labels[big]) - [300, 150, 50]).max() <= 1


def test_the_split_is_drawn_by_assemble_like_every_other_source():
    # One mechanism: the rows load_text trains and validates on are split_indices' rows.
    source = fortunes.read()
    train_index, validation_index = km.data.assemble.split_indices(source, None, 0.1, 4, num_train=300)
    train, validation, _ = km.data.load_text("fortunes", num_train=300, seed=4)
    assert sorted(all_examples(train)[0]) == sorted(source.train_inputs[train_index])
    assert sorted(all_examples(validation)[0]) == sorted(source.train_inputs[validation_index])
    with pytest.raises(ValueError, match="`balance` applies to image and audio sources"):
        km.data.assemble.assemble(source, num_train=300, balance="oversample")
    with pytest.raises(ValueError, match="`num_train=9999` is more than fortunes can give"):
        km.data.assemble_text(source, num_train=9999)
