import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def test_symmetric_noise_flips_to_every_other_class_uniformly():
    labels = np.zeros(20000, "int64")
    noisy, corrupted = km.data.with_label_noise(labels, 0.5, seed=0, num_classes=5)
    assert abs(corrupted.mean() - 0.5) < 0.02
    assert np.all(noisy[corrupted] != 0) and np.all(noisy[~corrupted] == 0)
    shares = np.bincount(noisy[corrupted], minlength=5)[1:] / corrupted.sum()
    np.testing.assert_allclose(shares, 0.25, atol=0.02)
    assert noisy.dtype == labels.dtype


def test_pairflip_moves_to_the_next_class_and_the_seed_fixes_the_draw():
    labels = np.arange(300) % 3
    noisy, corrupted = km.data.with_label_noise(labels, 0.3, kind="pairflip", seed=4)
    np.testing.assert_array_equal(noisy[corrupted], (labels[corrupted] + 1) % 3)
    again, _ = km.data.with_label_noise(labels, 0.3, kind="pairflip", seed=4)
    np.testing.assert_array_equal(noisy, again)
    assert km.data.with_label_noise(labels, 0.0, seed=0)[1].sum() == 0


def test_dataset_noise_is_the_same_every_epoch_and_flags_align():
    labels = np.arange(200) % 4
    dataset = tf.data.Dataset.from_tensor_slices((np.arange(200), labels))
    noisy, corrupted = km.data.with_label_noise(dataset, 0.5, seed=2, num_classes=4)
    first = [(int(x), int(y)) for x, y in noisy]
    assert first == [(int(x), int(y)) for x, y in noisy]
    flags = np.array([bool(c) for c in corrupted])
    changed = np.array([y != labels[x] for x, y in first])
    np.testing.assert_array_equal(flags, changed)
    assert 0.35 < flags.mean() < 0.65


@pytest.mark.parametrize(
    "kwargs, name",
    [({"rate": 1.2}, "rate"), ({"kind": "open"}, "kind"), ({"seed": -1}, "seed")],
)
def test_invalid_arguments_name_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.with_label_noise(**{"labels_or_dataset": np.arange(4) % 2, "rate": 0.1, **kwargs})


def test_a_dataset_needs_num_classes():
    dataset = tf.data.Dataset.from_tensor_slices((np.arange(4), np.arange(4) % 2))
    with pytest.raises(ValueError, match="`num_classes`"):
        km.data.with_label_noise(dataset, 0.1)


def test_smooth_labels_gives_the_rows_a_margin_head_accepts():
    smooth = km.data.smooth_labels(4, epsilon=0.2)
    images = np.zeros((2, 3), "float32")
    _, soft = smooth(images, np.array([1, 3]))
    np.testing.assert_allclose(soft, [[0.05, 0.85, 0.05, 0.05], [0.05, 0.05, 0.05, 0.85]], rtol=1e-6)
    head = km.heads.CosFace(4, scale=10.0, margin=0.4)
    embeddings = np.random.default_rng(0).normal(size=(2, 5)).astype("float32")
    logits = head(embeddings, labels=soft, training=True)
    plain = head(embeddings)
    # The margin lands on every class in proportion to its label mass.
    np.testing.assert_allclose(plain - logits, 10.0 * 0.4 * np.asarray(soft), rtol=1e-5, atol=1e-5)
