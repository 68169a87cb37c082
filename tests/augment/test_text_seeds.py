"""Stateless seeds: the same (seed, epoch, element) gives the same text, everywhere."""

import numpy as np
import pytest
import tensorflow as tf

from keras_margin.augment import text

SENTENCES = [
    "A fool and his money are soon parted.",
    "Never eat more than you can lift.",
    "Good coffee, good price, fast delivery -- would buy again!",
    "Computers are useless.  They can only give you answers.",
    "Life is what happens to you while you're busy making other plans.",
    "These are the best tasting gummy fruits I have ever eaten.",
] * 8
SYNONYMS = {"good": ["fine"], "money": ["cash"], "eat": ["consume"], "fast": ["quick"]}


def eda():
    return text.EDA(SYNONYMS, alpha_sr=0.3, alpha_ri=0.3, alpha_rs=0.3, p_rd=0.3)


def test_per_row_seeds_do_not_depend_on_the_rest_of_the_batch():
    layer = eda()
    seeds = tf.stack([tf.range(48), 100 + tf.range(48)], axis=1)
    whole = layer(tf.constant(SENTENCES), seed=seeds).numpy()
    half = layer(tf.constant(SENTENCES[10:30]), seed=seeds[10:30]).numpy()
    assert list(half) == list(whole[10:30])
    again = eda()(tf.constant(SENTENCES), seed=seeds).numpy()  # a fresh layer
    assert list(again) == list(whole)
    other = layer(tf.constant(SENTENCES), seed=seeds + 1).numpy()
    assert np.mean(other != whole) > 0.5


def epochs(layer, seed, num_epochs=2, batch=8, num_parallel_calls=tf.data.AUTOTUNE):
    data = tf.data.Dataset.from_tensor_slices(SENTENCES).batch(batch)
    data = text.seeded_map(data, layer, seed=seed, num_parallel_calls=num_parallel_calls)
    return [np.concatenate([b.numpy() for b in data]) for _ in range(num_epochs)]


def test_seeded_map_is_reproducible_under_autotune_and_differs_between_epochs():
    # The seeds reach every layer the same way; a swap traces fastest.
    layer = text.RandomSwap(alpha=0.3)
    first = epochs(layer, seed=5)
    second = epochs(text.RandomSwap(alpha=0.3), seed=5)
    sequential = epochs(layer, seed=5, num_parallel_calls=None)
    for a, b, c in zip(first, second, sequential):
        assert list(a) == list(b) == list(c)
    assert np.mean(first[0] != first[1]) > 0.5  # epoch 2 differs from epoch 1
    assert np.mean(epochs(layer, seed=6, num_epochs=1)[0] != first[0]) > 0.5


def test_seeded_map_counts_repeat_passes_as_epochs():
    data = tf.data.Dataset.from_tensor_slices(SENTENCES).batch(16)
    data = text.seeded_map(data, text.RandomSwap(0.5), seed=0).repeat(2)
    passes = np.concatenate([b.numpy() for b in data]).reshape(2, -1)
    assert np.mean(passes[0] != passes[1]) > 0.5


def test_seeded_map_num_aug_adds_copies_with_their_own_seeds():
    swap = text.RandomSwap(0.5)
    texts = tf.data.Dataset.from_tensor_slices(SENTENCES[:4])
    labels = tf.data.Dataset.range(4)
    data = tf.data.Dataset.zip(texts, labels).batch(4)
    out_texts, out_labels = next(iter(text.seeded_map(data, swap, seed=1, num_aug=3)))
    assert out_texts.shape == (16,)
    assert out_labels.numpy().tolist() == [0, 1, 2, 3] * 4
    assert [t.decode() for t in out_texts.numpy()[:4]] == SENTENCES[:4]
    copies = out_texts.numpy()[4:].reshape(3, 4)
    assert all(len(set(copies[:, i])) >= 2 for i in range(4))  # copies differ
    without = next(iter(text.seeded_map(data, swap, seed=1, num_aug=3, keep_original=False)))
    assert without[0].shape == (12,) and list(without[0].numpy()) == list(out_texts.numpy()[4:])
    scalar = text.seeded_map(tf.data.Dataset.from_tensors("one two three"), swap, 1, num_aug=2)
    assert next(iter(scalar)).shape == (3,)


def test_layer_seed_makes_sequential_calls_reproducible():
    outputs = []
    for _ in range(2):
        layer = text.RandomSwap(alpha=0.5, seed=42)
        outputs.append([layer(tf.constant(SENTENCES)).numpy() for _ in range(2)])
    assert [list(x) for x in outputs[0]] == [list(x) for x in outputs[1]]
    assert list(outputs[0][0]) != list(outputs[0][1])


@pytest.mark.parametrize("seed", [[0, 0], [2**31 - 1, 5], [-3, 9]])
def test_any_integer_seed_pair_is_accepted(seed):
    out = text.RandomDeletion(0.5)(tf.constant(SENTENCES[:3]), seed=tf.constant(seed, tf.int64))
    assert out.shape == (3,)
