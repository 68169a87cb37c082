import numpy as np
import pytest
import tensorflow as tf

import keras_margin as km


def _labels_of(dataset):
    return np.concatenate([np.asarray(y).reshape(-1) for _, y in dataset])


def test_class_weights_inverse_frequency_and_effective_number():
    counts = [100, 20, 5]
    inverse = km.data.class_weights(counts, kind="inverse_frequency")
    np.testing.assert_allclose(inverse, (1 / np.array(counts)) / (1 / np.array(counts)).sum() * 3, rtol=1e-6)
    # Each class then weighs the same in total: w_c * n_c is constant.
    np.testing.assert_allclose(inverse * counts, np.full(3, inverse[0] * 100), rtol=1e-6)
    effective = km.data.class_weights(counts, kind="effective_number", beta=0.9)
    raw = (1 - 0.9) / (1 - 0.9 ** np.array(counts, float))
    np.testing.assert_allclose(effective, raw / raw.sum() * 3, rtol=1e-6)
    assert km.data.class_weights(counts, kind="effective_number", beta=0.0).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "kwargs, name",
    [({"class_counts": [5]}, "class_counts"), ({"kind": "sqrt"}, "kind"), ({"beta": 1.0}, "beta")],
)
def test_class_weights_invalid_arguments_name_them(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        km.data.class_weights(**{"class_counts": [3, 4], **kwargs})


def test_long_tailed_counts_follow_the_exponential_profile():
    counts = km.data.long_tailed_counts(10, 500, imbalance_ratio=100)
    expected = [int(np.floor(500 * 100 ** (-c / 9) + 1e-9)) for c in range(10)]
    assert counts == expected and counts[0] == 500 and counts[-1] == 5
    assert km.data.long_tailed_counts(3, 7, imbalance_ratio=1) == [7, 7, 7]
    with pytest.raises(ValueError, match="`imbalance_ratio`"):
        km.data.long_tailed_counts(3, 7, imbalance_ratio=0.5)


@pytest.mark.parametrize("mode, per_class", [("oversample", 9), ("undersample", 2)])
def test_balanced_arrays_give_exact_counts_per_epoch(mode, per_class):
    labels = np.array([0] * 9 + [1] * 4 + [2] * 2)
    images = np.arange(15, dtype="float32").reshape(15, 1)  # image i holds i: traceable
    stream = km.data.balanced((images, labels), mode=mode, seed=0)
    for _ in range(2):
        pairs = [(float(x[0]), int(y)) for x, y in stream]
        assert np.bincount([y for _, y in pairs]).tolist() == [per_class] * 3
        assert all(labels[int(x)] == y for x, y in pairs)  # images travel with their labels
    if mode == "undersample":
        # Over epochs the frequent class shows more than a fixed subset of itself.
        seen = {float(x[0]) for _ in range(8) for x, y in stream if int(y) == 0}
        assert len(seen) > 2


def test_balanced_dataset_input_matches_array_counts():
    labels = np.array([0] * 6 + [1] * 2, "int64")
    dataset = tf.data.Dataset.from_tensor_slices((np.arange(8, dtype="float32"), labels))
    stream = km.data.balanced(dataset, mode="oversample", seed=1)
    assert np.bincount(_labels_of(stream)).tolist() == [6, 6]
    with pytest.raises(ValueError, match="unbatched"):
        km.data.balanced(dataset.batch(2))
    with pytest.raises(ValueError, match="`mode`"):
        km.data.balanced(dataset, mode="smote")


def test_load_balance_oversamples_a_long_tailed_split():
    train, _, _, info = km.data.load("digits", samples_per_class=20, imbalance_ratio=10,
                                     balance="oversample", batch_size=50, with_info=True)
    assert info.train_class_counts[0] == 20 and info.train_class_counts[-1] == 2
    assert int(train.cardinality()) == 4  # 10 classes x 20 per epoch, in batches of 50
    assert np.bincount(_labels_of(train), minlength=10).tolist() == [20] * 10
