"""`Gallery`: enrolled embeddings with identity labels, searched with FAISS."""

import json
import os
from typing import NamedTuple

import numpy as np

from keras_margin.retrieval import _index
from keras_margin.retrieval import _snapshots
from keras_margin.utils import validation

_FORMAT_VERSION = 1


class SearchResult(NamedTuple):
    """The `k` nearest enrolled embeddings of each query, most similar first.

    All arrays have shape (num_queries, k). `similarities` are cosine similarities
    (float32). `positions` index the gallery's rows (`gallery.metadata[position]`).
    An approximate index may find fewer than `k` neighbours: the missing places have
    position -1, similarity -inf, label -1 (or "" for string labels) and id likewise.
    """

    ids: np.ndarray
    labels: np.ndarray
    similarities: np.ndarray
    positions: np.ndarray


class Gallery:
    """Embeddings of known identities, searched by cosine similarity.

    Embeddings are L2-normalised on enrolment and for every query (a zero vector stays
    zero, similar to nothing), so the inner product FAISS computes is the cosine.
    Enrolment appends; `remove` drops every embedding of an identity. `save` writes a
    folder atomically (see `keras_margin/retrieval/_snapshots.py`): a crash mid-save
    leaves the previous gallery loadable.

    Args:
        dim: embedding size.
        index: `"exact"` (FAISS `IndexFlatIP`, brute force, the default), `"hnsw"`
            (`IndexHNSWFlat`, a navigable small-world graph) or `"ivf"` (`IndexIVFFlat`,
            inverted lists learnt from the first enrolment). The approximate indexes
            trade recall for speed on large galleries; see docs/benchmarks.md.
        hnsw_neighbors: graph degree `M` of `"hnsw"`.
        hnsw_ef_search: candidates kept while searching `"hnsw"`; more is slower and
            finds more true neighbours.
        ivf_lists: inverted lists of `"ivf"`; by default about 4 * sqrt(n) of the first
            enrolment (at least 39 embeddings per list).
        ivf_probe: lists visited per query by `"ivf"`.

    Example:

    >>> import numpy as np
    >>> gallery = Gallery(dim=4)
    >>> gallery.enroll(np.eye(4), labels=["ann", "bob", "bob", "cy"])
    >>> result = gallery.search([[0.9, 0.1, 0.0, 0.0]], k=2)
    >>> result.labels.tolist(), result.ids.tolist()
    ([['ann', 'bob']], [[0, 1]])

    References:
        Johnson, Douze and Jegou, "Billion-scale similarity search with GPUs", 2017
        (FAISS). Malkov and Yashunin, "Efficient and robust approximate nearest neighbor
        search using Hierarchical Navigable Small World graphs", 2018.
    """

    def __init__(self, dim, index="exact", hnsw_neighbors=32, hnsw_ef_search=128, ivf_lists=None,
                 ivf_probe=16):
        self.dim = validation.integer_at_least(dim, 1, "dim")
        if index not in _index.INDEX_KINDS:
            raise ValueError(f"`index` must be one of {', '.join(_index.INDEX_KINDS)}; received {index!r}.")
        self.index_kind = index
        self.hnsw_neighbors = validation.integer_at_least(hnsw_neighbors, 2, "hnsw_neighbors")
        self.hnsw_ef_search = validation.integer_at_least(hnsw_ef_search, 1, "hnsw_ef_search")
        self.ivf_lists = None if ivf_lists is None else validation.integer_at_least(ivf_lists, 1, "ivf_lists")
        self.ivf_probe = validation.integer_at_least(ivf_probe, 1, "ivf_probe")
        self._embeddings = np.zeros((0, self.dim), np.float32)
        self._labels = None
        self._ids = None
        self.metadata = []
        # FAISS ids: increasing int64 keys, so a search hit maps back to a row by bisection.
        self._keys = np.zeros(0, np.int64)
        self._index = None

    def __len__(self):
        return len(self._keys)

    @property
    def embeddings(self):
        """(n, dim) float32 unit rows, in enrolment order."""
        return self._embeddings

    @property
    def labels(self):
        return self._labels if self._labels is not None else np.zeros(0, np.int64)

    @property
    def ids(self):
        return self._ids if self._ids is not None else np.zeros(0, np.int64)

    @property
    def identities(self):
        """The distinct enrolled labels, sorted."""
        return np.unique(self.labels)

    def enroll(self, embeddings, labels, ids=None, metadata=None):
        """Adds embeddings with their identity labels.

        Args:
            embeddings: (n, dim) array.
            labels: (n,) identity labels, all integers or all strings (the same kind as
                earlier enrolments).
            ids: optional (n,) item ids (integers or strings); by default a running
                number.
            metadata: optional list of n JSON-serialisable values kept per item.
        """
        embeddings = _index.as_float32_rows(embeddings, self.dim, "embeddings")
        count = len(embeddings)
        labels = _column(labels, count, "labels", self._labels)
        keys = np.arange(count, dtype=np.int64) + (self._keys[-1] + 1 if len(self) else 0)
        ids = keys.copy() if ids is None else ids
        ids = _column(ids, count, "ids", self._ids)
        if metadata is None:
            metadata = [None] * count
        elif len(metadata) != count:
            raise ValueError(f"`metadata` must hold one value per embedding ({count}); "
                             f"received {len(metadata)}.")
        else:
            metadata = list(metadata)
            _check_json(metadata)
        if count == 0:
            return
        if self._index is None:
            self._index = _index.new_index(self.index_kind, self.dim, embeddings, self.hnsw_neighbors,
                                           self.ivf_lists)
            _index.set_search_effort(self._index, self.index_kind, self.hnsw_ef_search, self.ivf_probe)
        self._index.add_with_ids(embeddings, keys)
        self._embeddings = np.concatenate([self._embeddings, embeddings])
        self._labels = labels if self._labels is None else np.concatenate([self._labels, labels])
        self._ids = ids if self._ids is None else np.concatenate([self._ids, ids])
        self._keys = np.concatenate([self._keys, keys])
        self.metadata.extend(metadata)

    def remove(self, label):
        """Drops every embedding of identity `label`; returns how many were removed."""
        if len(self) == 0 or np.asarray(label).dtype.kind != self._labels.dtype.kind:
            raise ValueError(f"`label` {label!r} is not enrolled.")
        removed = self._labels == label
        count = int(removed.sum())
        if count == 0:
            raise ValueError(f"`label` {label!r} is not enrolled.")
        keep = ~removed
        if _index.supports_removal(self.index_kind):
            self._index.remove_ids(self._keys[removed])
        self._embeddings = self._embeddings[keep]
        self._labels = self._labels[keep]
        self._ids = self._ids[keep]
        self._keys = self._keys[keep]
        self.metadata = [value for value, kept in zip(self.metadata, keep) if kept]
        if not _index.supports_removal(self.index_kind):
            self._rebuild()
        return count

    def search(self, queries, k=5):
        """The `k` most similar enrolled embeddings of each query (a `SearchResult`).

        `k` larger than the gallery is cut to its size.
        """
        k = validation.integer_at_least(k, 1, "k")
        queries = _index.as_float32_rows(queries, self.dim, "queries")
        if len(self) == 0:
            raise ValueError("The gallery is empty; enroll embeddings before searching.")
        k = min(k, len(self))
        similarities, keys = self._index.search(queries, k)
        found = keys >= 0
        positions = np.where(found, np.searchsorted(self._keys, np.where(found, keys, 0)), -1)
        safe = np.where(found, positions, 0)
        return SearchResult(
            ids=np.where(found, self._ids[safe], _missing(self._ids)),
            labels=np.where(found, self._labels[safe], _missing(self._labels)),
            similarities=np.where(found, similarities, -np.inf).astype(np.float32),
            positions=positions.astype(np.int64),
        )

    def save(self, directory):
        """Writes the gallery to `directory` atomically (see the class docstring)."""
        _snapshots.save(directory, self._write)

    @staticmethod
    def lock(directory):
        """A file lock on the gallery folder, for load-change-save by several processes:

        >>> with Gallery.lock(folder):  # doctest: +SKIP
        ...     gallery = Gallery.load(folder)
        ...     gallery.enroll(embeddings, labels)
        ...     gallery.save(folder)
        """
        return _snapshots.lock(directory)

    @classmethod
    def load(cls, directory):
        """The gallery last saved to `directory`."""
        import faiss

        folder = _snapshots.current(directory)
        with open(os.path.join(folder, "gallery.json")) as handle:
            config = json.load(handle)
        if config.pop("format_version", None) != _FORMAT_VERSION:
            raise ValueError(f"{directory!r} was written by an incompatible version of keras_margin")
        gallery = cls(**config)
        with np.load(os.path.join(folder, "arrays.npz"), allow_pickle=False) as arrays:
            gallery._embeddings = arrays["embeddings"]
            gallery._keys = arrays["keys"]
            if len(gallery._keys):
                gallery._labels = arrays["labels"]
                gallery._ids = arrays["ids"]
        with open(os.path.join(folder, "metadata.jsonl")) as handle:
            gallery.metadata = [json.loads(line) for line in handle]
        index_path = os.path.join(folder, "index.faiss")
        if os.path.exists(index_path):
            gallery._index = faiss.read_index(index_path)
            _index.set_search_effort(gallery._index, gallery.index_kind, gallery.hnsw_ef_search,
                                     gallery.ivf_probe)
        return gallery

    def get_config(self):
        return {"dim": self.dim, "index": self.index_kind, "hnsw_neighbors": self.hnsw_neighbors,
                "hnsw_ef_search": self.hnsw_ef_search, "ivf_lists": self.ivf_lists,
                "ivf_probe": self.ivf_probe}

    def _write(self, folder):
        import faiss

        with open(os.path.join(folder, "gallery.json"), "w") as handle:
            json.dump({"format_version": _FORMAT_VERSION, **self.get_config()}, handle, indent=2)
        np.savez(os.path.join(folder, "arrays.npz"), embeddings=self._embeddings, keys=self._keys,
                 labels=self.labels, ids=self.ids)
        with open(os.path.join(folder, "metadata.jsonl"), "w") as handle:
            handle.writelines(json.dumps(value) + "\n" for value in self.metadata)
        if self._index is not None:
            faiss.write_index(self._index, os.path.join(folder, "index.faiss"))

    def _rebuild(self):
        self._index = None
        if len(self):
            self._index = _index.new_index(self.index_kind, self.dim, self._embeddings,
                                           self.hnsw_neighbors, self.ivf_lists)
            _index.set_search_effort(self._index, self.index_kind, self.hnsw_ef_search, self.ivf_probe)
            self._index.add_with_ids(self._embeddings, self._keys)


def _column(values, count, name, existing):
    """`values` as a 1-D int64 or str array of length `count`, of `existing`'s kind."""
    array = np.asarray(values)
    if array.ndim != 1 or len(array) != count:
        raise ValueError(f"`{name}` must have shape ({count},); received {array.shape}.")
    if array.dtype.kind in "iu":
        array = array.astype(np.int64)
    elif array.dtype.kind == "U":
        pass
    elif count:
        raise ValueError(f"`{name}` must hold integers or strings; received dtype {array.dtype}.")
    else:
        array = array.astype(np.int64)
    if existing is not None and count and array.dtype.kind != existing.dtype.kind:
        kind = "strings" if existing.dtype.kind == "U" else "integers"
        raise ValueError(f"`{name}` must hold {kind}, like the gallery's earlier enrolments.")
    return array


def _missing(column):
    return "" if column.dtype.kind == "U" else -1


def _check_json(values):
    try:
        json.dumps(values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`metadata` must be JSON-serialisable; {error}") from None
