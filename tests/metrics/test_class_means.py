"""`class_means` and `nearest_class_mean_accuracy` against a float64 loop."""

import numpy as np
import pytest

from keras_margin.metrics import class_means
from keras_margin.metrics import nearest_class_mean_accuracy


def reference_means(embeddings, labels, num_classes):
    means = []
    for c in range(num_classes):
        rows = [e / np.linalg.norm(e) if np.linalg.norm(e) > 0 else e * 0 for e, y in zip(embeddings, labels)
                if y == c]
        total = np.sum(rows, axis=0)
        norm = np.linalg.norm(total)
        means.append(total / norm if norm > 0 else total)
    return np.array(means)


def test_means_of_normalised_rows_and_the_nearest_one():
    rng = np.random.default_rng(0)
    embeddings = rng.normal(size=(40, 5)) * rng.uniform(0.1, 100, size=(40, 1))
    embeddings[3] = 0.0  # a dead embedding counts as no direction, as in the heads
    labels = np.arange(40) % 4
    np.testing.assert_allclose(class_means(embeddings, labels, 4), reference_means(embeddings, labels, 4),
                               rtol=1e-12, atol=1e-15)
    queries = rng.normal(size=(25, 5))
    query_labels = rng.integers(0, 4, size=25)
    means = reference_means(embeddings, labels, 4)
    expected = np.mean([np.argmax(means @ (q / np.linalg.norm(q))) == y
                        for q, y in zip(queries, query_labels)])
    assert nearest_class_mean_accuracy(embeddings, labels, queries, query_labels, 4) == expected
    # Opposite rows cancel: the class keeps a zero row instead of a NaN.
    assert np.array_equal(class_means([[1.0, 0.0], [-2.0, 0.0], [0.0, 1.0]], [0, 0, 1], 2),
                          [[0.0, 0.0], [0.0, 1.0]])


@pytest.mark.parametrize("embeddings, labels, num_classes, message", [
    ([[1.0, 0.0]], [0], 2, "class 1 has no embedding"),
    ([[1.0, 0.0]], [2], 2, "`labels`"),
    ([[1.0, 0.0], [0.0, 1.0]], [0], 1, "same length"),
    ([[np.nan, 0.0]], [0], 1, "`embeddings`"),
])
def test_bad_input_names_the_argument(embeddings, labels, num_classes, message):
    with pytest.raises(ValueError, match=message):
        class_means(embeddings, labels, num_classes)
