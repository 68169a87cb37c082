import numpy as np
import pytest

from keras_margin.retrieval import identification_metrics, ranked_metrics


def _reference(gallery, labels, queries, query_labels, leave_one_out):
    """float64 loops from Musgrave et al. (2020): rank-1 and MAP@R by brute force."""
    unit = lambda rows: rows / np.linalg.norm(rows, axis=1, keepdims=True)  # noqa: E731
    cosines = unit(np.asarray(queries, np.float64)) @ unit(np.asarray(gallery, np.float64)).T
    hits, precisions = [], []
    for q in range(len(queries)):
        candidates = [i for i in range(len(gallery)) if not (leave_one_out and i == q)]
        r = sum(labels[i] == query_labels[q] for i in candidates)
        if r == 0:
            continue
        ranked = sorted(candidates, key=lambda i: -cosines[q, i])
        hits.append(labels[ranked[0]] == query_labels[q])
        total, correct = 0.0, 0
        for position in range(1, r + 1):
            if labels[ranked[position - 1]] == query_labels[q]:
                correct += 1
                total += correct / position
        precisions.append(total / r)
    return np.mean(hits), np.mean(precisions), len(hits)


def test_ranked_metrics_on_the_papers_kind_of_example():
    # R = 4, relevant at ranks 1, 3, 4: (1/1 + 2/3 + 3/4) / 4.
    hits, average_precision = ranked_metrics([[1, 0, 1, 1, 1]], [1], [4])
    assert hits.tolist() == [True]
    assert average_precision[0] == pytest.approx((1 + 2 / 3 + 3 / 4) / 4)


@pytest.mark.parametrize("index", ["exact", "hnsw"])
def test_leave_one_out_matches_the_reference(index):
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(12, 16))
    labels = rng.integers(0, 12, 240)
    embeddings = centres[labels] + rng.normal(scale=1.2, size=(240, 16))
    labels[0] = 99  # a class with one sample has no query
    metrics = identification_metrics(embeddings, labels, index=index, hnsw_ef_search=500)
    rank_1, map_at_r, count = _reference(embeddings, labels, embeddings, labels, True)
    assert metrics["num_queries"] == count == 239
    assert metrics["rank_1_accuracy"] == pytest.approx(rank_1, abs=1e-12)
    assert metrics["map_at_r"] == pytest.approx(map_at_r, abs=1e-12)
    assert 0.0 < map_at_r < rank_1 < 1.0


def test_separate_queries_match_the_reference_and_skip_unknown_classes():
    rng = np.random.default_rng(4)
    gallery, labels = rng.normal(size=(100, 8)), np.array([f"id{i % 7}" for i in range(100)])
    queries = rng.normal(size=(30, 8))
    query_labels = np.array([f"id{i % 9}" for i in range(30)])  # id7, id8 are not enrolled
    metrics = identification_metrics(gallery, labels, queries, query_labels)
    rank_1, map_at_r, count = _reference(gallery, labels, queries, query_labels, False)
    assert metrics == pytest.approx({"rank_1_accuracy": rank_1, "map_at_r": map_at_r, "num_queries": count})
    assert count == 24


def test_perfect_clusters_score_one():
    embeddings = np.repeat(np.eye(4), 5, axis=0) + 1e-3 * np.arange(20)[:, None]
    metrics = identification_metrics(embeddings, np.repeat(np.arange(4), 5))
    assert metrics["rank_1_accuracy"] == metrics["map_at_r"] == 1.0


def test_no_query_with_references_raises():
    with pytest.raises(ValueError, match="No query"):
        identification_metrics(np.eye(3), [0, 1, 2])
