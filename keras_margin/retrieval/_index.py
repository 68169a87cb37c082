"""The FAISS indexes behind `Gallery`: exact inner product, HNSW or IVF, keyed by int64."""

import math

import numpy as np

INDEX_KINDS = ("exact", "hnsw", "ivf")


def new_index(kind, dim, embeddings, hnsw_neighbors, ivf_lists):
    """An empty FAISS index of `kind` that accepts `add_with_ids`.

    IVF learns its coarse centroids from `embeddings` (the first enrolment) here;
    later additions are assigned to those lists.
    """
    import faiss

    if kind == "exact":
        return faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
    if kind == "hnsw":
        return faiss.IndexIDMap2(faiss.IndexHNSWFlat(dim, hnsw_neighbors, faiss.METRIC_INNER_PRODUCT))
    num_lists = ivf_lists or default_ivf_lists(len(embeddings))
    if num_lists > len(embeddings):
        raise ValueError(
            f"`ivf_lists` is {num_lists}, but the first enrolment holds only {len(embeddings)} "
            "embeddings to learn the lists from; enrol more first or pass fewer lists."
        )
    quantizer = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFFlat(quantizer, dim, num_lists, faiss.METRIC_INNER_PRODUCT)
    index.train(embeddings)
    return index


def default_ivf_lists(num_embeddings):
    """About 4 * sqrt(n) lists, FAISS' rule of thumb, and at least 39 points per list
    (below that FAISS warns that k-means has too few points)."""
    return int(max(1, min(round(4 * math.sqrt(num_embeddings)), num_embeddings // 39)))


def set_search_effort(index, kind, hnsw_ef_search, ivf_probe):
    import faiss

    if kind == "hnsw":
        faiss.downcast_index(index.index).hnsw.efSearch = hnsw_ef_search
    elif kind == "ivf":
        index.nprobe = ivf_probe


def supports_removal(kind):
    # FAISS' HNSW graph cannot drop nodes; the gallery rebuilds it instead.
    return kind != "hnsw"


def as_float32_rows(values, dim, name):
    """`values` as C-contiguous float32 (n, dim) unit rows; zero rows stay zero."""
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{name}` must be a numeric array; {error}") from None
    if array.ndim == 1 and dim is not None and array.size == dim:
        array = array[None, :]
    if array.ndim != 2 or (dim is not None and array.shape[1] != dim) or array.shape[1] == 0:
        expected = f"(n, {dim})" if dim is not None else "(n, dim)"
        raise ValueError(f"`{name}` must have shape {expected}; received {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must not contain NaN or infinity.")
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    array = np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)
    return np.ascontiguousarray(array)
