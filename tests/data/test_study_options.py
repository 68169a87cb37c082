"""`load(..., imbalance_ratio=, label_noise=)`: the splits the studies train on."""

import numpy as np
import pytest

import keras_margin as km


def _labels_of(dataset):
    return np.concatenate([np.asarray(y) for _, y in dataset])


def test_imbalance_ratio_gives_the_long_tailed_profile_and_keeps_other_splits():
    _, val, test, info = km.data.load("digits", samples_per_class=40, imbalance_ratio=10, seed=3,
                                      with_info=True)
    assert info.train_class_counts == km.data.long_tailed_counts(10, 40, 10)
    assert info.details["imbalance_ratio"] == 10.0
    _, val_balanced, test_balanced, balanced = km.data.load("digits", samples_per_class=40, seed=3,
                                                            with_info=True)
    assert info.validation_class_counts == balanced.validation_class_counts
    np.testing.assert_array_equal(_labels_of(val), _labels_of(val_balanced))
    np.testing.assert_array_equal(_labels_of(test), _labels_of(test_balanced))


def test_long_tailed_split_nests_in_the_balanced_one():
    long_tailed = km.data.load_training_split("digits", samples_per_class=40, imbalance_ratio=10, seed=3)
    balanced = km.data.load_training_split("digits", samples_per_class=40, seed=3)
    as_rows = {row.tobytes() for row in balanced.images}
    assert all(row.tobytes() in as_rows for row in long_tailed.images)


def test_without_samples_per_class_the_head_is_the_smallest_pool():
    info = km.data.load_training_split("digits", imbalance_ratio=5).info
    pool = min(km.data.load("digits", with_info=True)[3].train_class_counts)  # after validation
    assert info.train_class_counts == km.data.long_tailed_counts(10, pool, 5)


def test_label_noise_corrupts_training_labels_only_and_is_reported():
    split = km.data.load_training_split("digits", samples_per_class=60, label_noise=0.4,
                                        label_noise_kind="pairflip", seed=1)
    clean = km.data.load_training_split("digits", samples_per_class=60, seed=1)
    np.testing.assert_array_equal(split.images, clean.images)
    np.testing.assert_array_equal(split.clean_labels, clean.labels)
    assert np.array_equal(split.corrupted, split.labels != split.clean_labels)
    assert 0.3 < split.corrupted.mean() < 0.5
    np.testing.assert_array_equal(split.labels[split.corrupted], (split.clean_labels[split.corrupted] + 1) % 10)
    details = split.info.details["label_noise"]
    assert details == {"rate": 0.4, "kind": "pairflip", "num_corrupted": int(split.corrupted.sum())}
    assert split.info.train_class_counts == np.bincount(split.labels, minlength=10).tolist()
    train, val, _ = km.data.load("digits", samples_per_class=60, label_noise=0.4,
                                 label_noise_kind="pairflip", seed=1)
    assert sorted(_labels_of(train).tolist()) == sorted(split.labels.tolist())
    _, val_clean, _ = km.data.load("digits", samples_per_class=60, seed=1)
    np.testing.assert_array_equal(_labels_of(val), _labels_of(val_clean))


def test_too_long_a_head_names_samples_per_class():
    with pytest.raises(ValueError, match="samples_per_class=1000"):
        km.data.load("digits", samples_per_class=1000, imbalance_ratio=10)


@pytest.mark.parametrize(
    "kwargs, name",
    [({"imbalance_ratio": 0.5}, "imbalance_ratio"), ({"label_noise": 1.5}, "label_noise"),
     ({"label_noise_kind": "asym"}, "label_noise_kind"), ({"balance": "both"}, "balance")],
)
def test_invalid_study_arguments_name_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.load("digits", **kwargs)
