"""Identification metrics through a `Gallery`: rank-1 accuracy and MAP@R."""

import numpy as np

from keras_margin.metrics import _checks
from keras_margin.retrieval.gallery import Gallery


def ranked_metrics(retrieved_labels, query_labels, num_relevant, found=None):
    """Per-query rank-1 hits and average precision at R, from ranked search results.

    MAP@R (Musgrave, Belongie and Lim, 2020) of one query with R references of its own
    class is `(1 / R) * sum_{i=1..R} P(i) * rel(i)`, where rel(i) says whether the i-th
    retrieved item shares the query's label and P(i) is the precision of the first i.
    It is 1 only when the R nearest items are exactly the query's class.

    Args:
        retrieved_labels: (num_queries, k) labels of the retrieved items, nearest first,
            with k >= max(num_relevant).
        query_labels: (num_queries,) labels of the queries.
        num_relevant: (num_queries,) R of each query, >= 1.
        found: optional (num_queries, k) bool, False where the search found nothing.

    Returns:
        `(rank_1_hits, average_precision_at_r)`: a bool and a float64 array per query.
    """
    retrieved_labels = np.asarray(retrieved_labels)
    query_labels = np.asarray(query_labels)
    num_relevant = np.asarray(num_relevant, dtype=np.int64)
    if num_relevant.min() < 1 or num_relevant.max() > retrieved_labels.shape[1]:
        raise ValueError("`num_relevant` must lie in [1, k] for k retrieved items per query.")
    relevant = retrieved_labels == query_labels[:, None]
    if found is not None:
        relevant &= found
    ranks = np.arange(1, retrieved_labels.shape[1] + 1)
    within_r = ranks[None, :] <= num_relevant[:, None]
    relevant &= within_r
    precision = np.cumsum(relevant, axis=1) / ranks
    average_precision = np.sum(precision * relevant, axis=1) / num_relevant
    return relevant[:, 0], average_precision


def identification_metrics(embeddings, labels, queries=None, query_labels=None, index="exact",
                           **index_options):
    """Rank-1 accuracy and MAP@R of queries searched in a gallery of `embeddings`.

    Without `queries` every embedding queries the others (leave-one-out, as in Musgrave
    et al.): R is the number of other embeddings of its class, and a class with a
    single sample has no query. With `queries`, R is the number of gallery embeddings
    of the query's class; queries of classes absent from the gallery are skipped.

    Args:
        embeddings: (n, dim) gallery embeddings.
        labels: (n,) their identity labels (integers or strings).
        queries, query_labels: optional separate queries.
        index: the `Gallery` index (`"exact"`, `"hnsw"`, `"ivf"`) and its options.

    Returns:
        A dict: `rank_1_accuracy`, `map_at_r` (means over the queries, floats) and
        `num_queries` (int).
    """
    embeddings = _checks.finite_matrix(embeddings, "embeddings")
    labels = np.asarray(labels)
    _checks.same_length(embeddings, "embeddings", labels, "labels")
    gallery = Gallery(embeddings.shape[1], index=index, **index_options)
    gallery.enroll(embeddings, labels)
    leave_one_out = queries is None
    if leave_one_out:
        queries, query_labels = embeddings, labels
    else:
        queries = _checks.finite_matrix(queries, "queries")
        query_labels = np.asarray(query_labels)
        _checks.same_length(queries, "queries", query_labels, "query_labels")
    classes, counts = np.unique(labels, return_counts=True)
    where = np.searchsorted(classes, query_labels)
    known = (where < classes.size) & (classes[np.minimum(where, classes.size - 1)] == query_labels)
    num_relevant = np.where(known, counts[np.minimum(where, classes.size - 1)], 0) - leave_one_out
    chosen = np.flatnonzero(num_relevant >= 1)
    if chosen.size == 0:
        raise ValueError("No query has a reference of its class in the gallery.")
    k = int(num_relevant[chosen].max())
    result = gallery.search(queries[chosen], k + leave_one_out)
    positions, retrieved = result.positions, result.labels
    if leave_one_out:
        # Drop each query's own entry (wherever ties put it), keeping the others in order.
        is_self = positions == chosen[:, None]
        order = np.argsort(is_self, axis=1, kind="stable")[:, :k]
        positions = np.take_along_axis(positions, order, axis=1)
        retrieved = np.take_along_axis(retrieved, order, axis=1)
    hits, average_precision = ranked_metrics(retrieved, query_labels[chosen], num_relevant[chosen],
                                             found=positions >= 0)
    return {"rank_1_accuracy": float(hits.mean()), "map_at_r": float(average_precision.mean()),
            "num_queries": int(chosen.size)}
