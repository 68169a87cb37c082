import collections
import itertools

import numpy as np
import pytest

import keras_margin as km

LABELS = np.array([3, 3, 1, 2, 2, 2, 1, 5, 3, 7])


def _all_pairs(labels, same):
    return {
        (i, j)
        for i, j in itertools.combinations(range(len(labels)), 2)
        if (labels[i] == labels[j]) == same
    }


def test_pairs_are_balanced_distinct_and_of_the_right_kind():
    pairs, is_same = km.metrics.verification_pairs(LABELS, num_pairs=6, seed=3)
    assert pairs.shape == (12, 2) and pairs.dtype == np.int64
    np.testing.assert_array_equal(is_same, [True] * 6 + [False] * 6)
    assert np.all(pairs[:, 0] < pairs[:, 1])
    assert len({tuple(p) for p in pairs}) == 12
    np.testing.assert_array_equal(LABELS[pairs[:, 0]] == LABELS[pairs[:, 1]], is_same)


def test_asking_for_every_pair_returns_every_pair():
    genuine = _all_pairs(LABELS, same=True)
    impostor = _all_pairs(LABELS, same=False)
    pairs, _ = km.metrics.verification_pairs(LABELS, num_pairs=len(genuine), seed=0)
    assert {tuple(p) for p in pairs[: len(genuine)]} == genuine
    assert {tuple(p) for p in pairs[len(genuine):]} <= impostor
    with pytest.raises(ValueError, match=f"`num_pairs`.*only {len(genuine)} distinct genuine"):
        km.metrics.verification_pairs(LABELS, num_pairs=len(genuine) + 1)


def test_asking_for_every_impostor_pair_returns_every_impostor_pair():
    labels = np.array([0, 1, 0, 0, 0])  # 6 genuine pairs, 4 impostor pairs
    pairs, _ = km.metrics.verification_pairs(labels, num_pairs=4, seed=1)
    assert {tuple(p) for p in pairs[4:]} == _all_pairs(labels, same=False)
    with pytest.raises(ValueError, match="`num_pairs`.*only 4 distinct impostor"):
        km.metrics.verification_pairs(labels, num_pairs=5)


def test_draws_are_uniform_over_pairs():
    labels = np.array([0, 0, 0, 1, 1, 2])  # 4 genuine and 11 impostor pairs
    counts = {True: collections.Counter(), False: collections.Counter()}
    for seed in range(2000):
        pairs, is_same = km.metrics.verification_pairs(labels, num_pairs=1, seed=seed)
        for pair, same in zip(pairs, is_same):
            counts[bool(same)][tuple(pair)] += 1
    assert set(counts[True]) == _all_pairs(labels, same=True)
    assert set(counts[False]) == _all_pairs(labels, same=False)
    # Expected 500 and about 182 per pair; the bounds are over 5 standard deviations wide.
    assert all(400 < n < 600 for n in counts[True].values())
    assert all(120 < n < 250 for n in counts[False].values())


def test_same_seed_same_pairs_and_another_seed_other_pairs():
    labels = np.random.default_rng(0).integers(0, 20, 500)
    first = km.metrics.verification_pairs(labels, num_pairs=200, seed=5)
    again = km.metrics.verification_pairs(labels, num_pairs=200, seed=5)
    other = km.metrics.verification_pairs(labels, num_pairs=200, seed=6)
    np.testing.assert_array_equal(first.pairs, again.pairs)
    assert not np.array_equal(first.pairs, other.pairs)


def test_string_and_column_labels():
    names = np.array(["ann", "bob", "ann", "cy", "bob"])
    pairs, is_same = km.metrics.verification_pairs(names, num_pairs=2, seed=0)
    np.testing.assert_array_equal(names[pairs[:, 0]] == names[pairs[:, 1]], is_same)
    column = km.metrics.verification_pairs(LABELS[:, None], num_pairs=3, seed=2)
    flat = km.metrics.verification_pairs(LABELS, num_pairs=3, seed=2)
    np.testing.assert_array_equal(column.pairs, flat.pairs)


@pytest.mark.parametrize(
    "labels, kwargs, message",
    [
        ([4, 4, 4], {}, "`labels`.*at least 2 identities"),
        ([0, 1, 2, 3], {}, "`labels`.*2 or more samples"),
        ([], {}, "`labels`"),
        (np.ones((2, 2)), {}, "`labels`"),
        ([0, 0, 1], {"num_pairs": 0}, "`num_pairs`"),
        ([0, 0, 1], {"num_pairs": 3}, "`num_pairs`.*only 1 distinct genuine"),
        ([0, 0, 1], {"num_pairs": 1, "seed": -1}, "`seed`"),
    ],
)
def test_invalid_arguments(labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        km.metrics.verification_pairs(labels, **kwargs)


def test_pair_scores_are_cosines_on_hand_built_vectors():
    embeddings = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 3.0], [1.0, 1.0], [-5.0, 0.0], [0.0, 0.0]])
    pairs = np.array([[0, 1], [2, 3], [0, 4], [0, 2], [5, 2]])
    np.testing.assert_allclose(
        km.metrics.pair_scores(embeddings, pairs), [0.0, 1.0, -1.0, np.sqrt(0.5), 0.0], atol=1e-15
    )


@pytest.mark.parametrize(
    "pairs, name",
    [
        (np.array([[0, 2]]), "pairs"),
        (np.array([[-1, 0]]), "pairs"),
        (np.array([[0.0, 1.0]]), "pairs"),
        (np.array([0, 1]), "pairs"),
        (np.zeros((0, 2), int), "pairs"),
    ],
)
def test_pair_scores_invalid_pairs(pairs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.metrics.pair_scores(np.eye(2), pairs)


def test_pair_scores_invalid_embeddings():
    with pytest.raises(ValueError, match="`embeddings`"):
        km.metrics.pair_scores(np.array([[np.nan, 1.0], [1.0, 0.0]]), np.array([[0, 1]]))
