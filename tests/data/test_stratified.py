"""Tests for keras_margin.data.stratified."""

import numpy as np
import pytest

from keras_margin.data import stratified_indices, stratified_split

# Imbalanced on purpose: 30, 20 and 7 examples, shuffled.
LABELS = np.random.default_rng(5).permutation(np.repeat([0, 1, 2], [30, 20, 7]))


def test_takes_exactly_samples_per_class_of_every_class():
    picked = stratified_indices(LABELS, samples_per_class=5, seed=0)
    assert np.bincount(LABELS[picked]).tolist() == [5, 5, 5]
    assert len(np.unique(picked)) == len(picked)
    assert picked.dtype == np.int64 and np.all(np.diff(picked) > 0)


def test_same_seed_same_indices_different_seed_different_indices():
    first = stratified_indices(LABELS, 5, seed=3)
    np.testing.assert_array_equal(first, stratified_indices(LABELS, 5, seed=3))
    assert not np.array_equal(first, stratified_indices(LABELS, 5, seed=4))


def test_smaller_requests_are_subsets_of_larger_ones():
    small = stratified_indices(LABELS, 3, seed=9)
    large = stratified_indices(LABELS, 6, seed=9)
    assert set(small) < set(large)


def test_all_of_the_smallest_class_is_allowed():
    picked = stratified_indices(LABELS, 7, seed=0)
    assert np.bincount(LABELS[picked]).tolist() == [7, 7, 7]


def test_too_many_per_class_names_the_argument_and_class():
    with pytest.raises(ValueError, match=r"samples_per_class=8.*class 2 has \(7"):
        stratified_indices(LABELS, 8, seed=0)


@pytest.mark.parametrize("bad", [-1, 2.5, "3", True, None])
def test_invalid_samples_per_class(bad):
    with pytest.raises(ValueError, match="samples_per_class"):
        stratified_indices(LABELS, bad, seed=0)


def test_accepts_a_generator_as_seed():
    first = stratified_indices(LABELS, 4, seed=np.random.default_rng(1))
    second = stratified_indices(LABELS, 4, seed=np.random.default_rng(1))
    np.testing.assert_array_equal(first, second)


def test_rejects_non_integer_or_2d_labels():
    with pytest.raises(ValueError, match="labels"):
        stratified_indices(np.array([0.0, 1.0]), 1)
    with pytest.raises(ValueError, match="labels"):
        stratified_indices(np.zeros((2, 2), dtype=int), 1)


def test_split_holds_out_the_rounded_fraction_per_class():
    held_out, kept = stratified_split(LABELS, 0.25, seed=0)
    # 30 * .25 = 7.5 -> 8 (half up), 20 * .25 = 5, 7 * .25 = 1.75 -> 2.
    assert np.bincount(LABELS[held_out]).tolist() == [8, 5, 2]
    assert np.bincount(LABELS[kept]).tolist() == [22, 15, 5]
    np.testing.assert_array_equal(np.sort(np.concatenate([held_out, kept])), np.arange(57))


def test_split_keeps_every_class_on_both_sides():
    labels = np.array([0, 0, 1, 1, 1, 2])
    held_out, kept = stratified_split(labels, 0.01, seed=0)
    # Tiny fraction still holds out one of each class that has two or more...
    assert np.bincount(labels[held_out], minlength=3).tolist() == [1, 1, 0]
    held_out, kept = stratified_split(labels, 0.99, seed=0)
    # ...and a huge one still keeps one of each.
    assert np.bincount(labels[kept], minlength=3).tolist() == [1, 1, 1]


def test_split_with_zero_fraction_holds_out_nothing():
    held_out, kept = stratified_split(LABELS, 0.0, seed=0)
    assert len(held_out) == 0
    np.testing.assert_array_equal(kept, np.arange(len(LABELS)))


def test_split_is_seeded():
    first, _ = stratified_split(LABELS, 0.3, seed=1)
    np.testing.assert_array_equal(first, stratified_split(LABELS, 0.3, seed=1)[0])
    assert not np.array_equal(first, stratified_split(LABELS, 0.3, seed=2)[0])


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, "0.1", True])
def test_split_rejects_fractions_outside_zero_one(bad):
    with pytest.raises(ValueError, match="fraction"):
        stratified_split(LABELS, bad, seed=0)
