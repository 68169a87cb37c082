"""Hostile text input (issue 18): `RandomSwap` on very long texts.

Before the fix every swap rewrote the whole word order (one `tensor_scatter_nd_update`
per swap), so `RandomSwap(alpha=0.5)` took 35 s on 10,000 words and 9 minutes on
100,000. The swaps are now composed by tracing each position back through the swaps
that touched it; these tests pin that the result is still exactly the sequence of
swaps Wei & Zou define, distributed as theirs, and that the work grows with the length
and not with its square.
"""

import itertools
import time

import numpy as np
import tensorflow as tf

from keras_margin.augment.text import RandomSwap
from keras_margin.augment.text import _ops


def sequential_swaps(length, pairs):
    """The reference: the order after swapping each (a, b) of `pairs` in turn."""
    order = list(range(length))
    for a, b in pairs:
        order[a], order[b] = order[b], order[a]
    return order


def random_swaps(rng, row_lengths, swaps_per_row):
    """Random swaps of two different positions per row: flat (first, second, step)."""
    first, second, step, start = [], [], [], 0
    for length, count in zip(row_lengths, swaps_per_row):
        for k in range(count):
            a, b = rng.choice(length, size=2, replace=False)
            first.append(start + a)
            second.append(start + b)
            step.append(k)
        start += length
    return [tf.constant(np.asarray(v, np.int64).reshape(-1)) for v in (first, second, step)]


def test_composed_swaps_equal_the_swaps_made_one_after_another():
    rng = np.random.default_rng(0)
    row_lengths = [2, 7, 1, 0, 30, 3]
    swaps_per_row = [5, 9, 0, 0, 40, 3]
    first, second, step = random_swaps(rng, row_lengths, swaps_per_row)
    swaps_of_word = tf.constant(np.repeat(swaps_per_row, row_lengths).astype(np.int64))
    order, _ = _ops._compose_swaps(first, second, step, swaps_of_word)
    expected, start = [], 0
    for length, count in zip(row_lengths, swaps_per_row):
        rows = np.flatnonzero((first.numpy() >= start) & (first.numpy() < start + length))
        pairs = [(first.numpy()[i] - start, second.numpy()[i] - start) for i in rows]
        expected += [start + p for p in sequential_swaps(length, pairs)]
        start += length
    assert order.numpy().tolist() == expected


def test_composing_100000_word_swaps_takes_few_rounds():
    # The complexity guard, without a clock: each round is O(words log words), and the
    # rounds are the longest chain of swaps through one position (a handful for random
    # swaps), where one swap at a time took alpha * words = 50,000 rounds of O(words).
    rng = np.random.default_rng(1)
    words, swaps = 100_000, 50_000
    first = rng.integers(0, words, swaps)
    second = (first + 1 + rng.integers(0, words - 1, swaps)) % words
    order, rounds = _ops._compose_swaps(
        tf.constant(first), tf.constant(second), tf.range(swaps, dtype=tf.int64),
        tf.fill([words], tf.constant(swaps, tf.int64)),
    )
    assert int(rounds) <= 20
    assert order.numpy().tolist() == sequential_swaps(words, zip(first, second))


def test_random_swap_on_100000_words_is_fast_and_a_permutation():
    words = [f"w{i}" for i in range(100_000)]
    started = time.perf_counter()
    out = RandomSwap(alpha=0.5)(tf.constant([" ".join(words)]), seed=tf.constant([1, 2]))
    seconds = time.perf_counter() - started
    # A generous guard (it takes well under a second; before the fix, 9 minutes).
    assert seconds < 10.0
    shuffled = out.numpy()[0].decode().split()
    assert sorted(shuffled) == sorted(words) and shuffled != words


def test_each_row_gets_max_1_int_alpha_words_swaps():
    # 3 words at alpha 0.5: n = max(1, int(1.5)) = 1 swap, which moves exactly 2 of
    # them; 10 words: 5 swaps, still a permutation; one word or none: unchanged.
    layer = RandomSwap(alpha=0.5)
    texts = tf.constant(["a b c", "a b c d e f g h i j", "alone", ""])
    seeds = tf.constant([[i, 7] for i in range(4)])
    out = [row.decode().split() for row in layer(texts, seed=seeds).numpy()]
    assert sum(x != y for x, y in zip(out[0], "a b c".split())) == 2
    assert sorted(out[1]) == list("abcdefghij")
    assert out[2:] == [["alone"], []]


def transposition_walk_distribution(length, steps):
    """Exact distribution of the order after `steps` uniformly random swaps of two
    different positions (EDA's definition), by enumerating every sequence."""
    pairs = list(itertools.combinations(range(length), 2))
    counts = {}
    for sequence in itertools.product(pairs, repeat=steps):
        order = tuple(sequential_swaps(length, sequence))
        counts[order] = counts.get(order, 0) + 1
    total = len(pairs) ** steps
    return {order: count / total for order, count in counts.items()}


def test_the_swapped_orders_follow_edas_distribution():
    # 4 words and alpha 0.5: n = 2 swaps. Identity 1/6, each of the 8 3-cycles 1/12,
    # each of the 3 double transpositions 1/18, a single transposition never.
    rows = 6000
    texts = tf.constant(["a b c d"] * rows)
    seeds = tf.stack([tf.range(rows), tf.fill([rows], 11)], axis=1)
    out = RandomSwap(alpha=0.5)(texts, seed=seeds).numpy()
    observed = {}
    for row in out:
        order = tuple("abcd".index(word) for word in row.decode().split())
        observed[order] = observed.get(order, 0) + 1
    expected = transposition_walk_distribution(4, 2)
    assert set(observed) <= set(expected)
    for order, probability in expected.items():
        spread = 5 * np.sqrt(rows * probability * (1 - probability))  # 5 sigma
        assert abs(observed.get(order, 0) - rows * probability) <= spread, order
