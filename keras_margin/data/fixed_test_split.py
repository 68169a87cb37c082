"""The fixed, seed-independent test split of datasets that ship without one."""

import numpy as np

from keras_margin.data.stratified import stratified_indices
from keras_margin.data.stratified import stratified_split

# Deliberately not the user's seed: the test split of a built-in dataset must be the
# same in every run, so that results of different seeds are measured on the same
# images. Changing this constant changes every reported test number.
TEST_SPLIT_SEED = 20240101


def by_count(labels, per_class):
    """Returns `(test_index, pool_index)` with exactly `per_class` test examples per class."""
    test_index = stratified_indices(labels, per_class, seed=TEST_SPLIT_SEED)
    in_pool = np.ones(len(labels), dtype=bool)
    in_pool[test_index] = False
    return test_index, np.flatnonzero(in_pool).astype(np.int64)


def by_fraction(labels, fraction):
    """Returns `(test_index, pool_index)` holding out `fraction` of every class."""
    return stratified_split(labels, fraction, seed=TEST_SPLIT_SEED)
