import os
import subprocess
import sys

import numpy as np
import pytest

from keras_margin.retrieval import Gallery
from keras_margin.retrieval import _snapshots


def _unit(rows):
    rows = np.asarray(rows, np.float64)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _exact_top_k(gallery_rows, queries, k):
    """float64 brute force: (positions, cosines) of the k most similar rows."""
    cosines = _unit(queries) @ _unit(gallery_rows).T
    order = np.argsort(-cosines, axis=1, kind="stable")[:, :k]
    return order, np.take_along_axis(cosines, order, axis=1)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(400, 16)), rng.integers(0, 20, 400), rng.normal(size=(25, 16))


def test_exact_search_matches_a_float64_brute_force(data):
    embeddings, labels, queries = data
    gallery = Gallery(16)
    gallery.enroll(embeddings, labels)
    result = gallery.search(queries, k=7)
    positions, cosines = _exact_top_k(embeddings, queries, 7)
    np.testing.assert_array_equal(result.positions, positions)
    np.testing.assert_array_equal(result.ids, positions)
    np.testing.assert_array_equal(result.labels, labels[positions])
    np.testing.assert_allclose(result.similarities, cosines, atol=1e-6)
    assert result.similarities.dtype == np.float32


@pytest.mark.parametrize("index", ["hnsw", "ivf"])
def test_approximate_indexes_find_the_exact_neighbours_on_a_small_gallery(data, index):
    embeddings, labels, queries = data
    # Every list probed / a wide beam: the approximate search is then exhaustive.
    gallery = Gallery(16, index=index, ivf_lists=4, ivf_probe=4, hnsw_ef_search=400)
    gallery.enroll(embeddings, labels)
    positions, _ = _exact_top_k(embeddings, queries, 5)
    np.testing.assert_array_equal(gallery.search(queries, k=5).positions, positions)


def test_appending_enrolments_equals_one_enrolment(data):
    embeddings, labels, queries = data
    whole, parts = Gallery(16), Gallery(16)
    whole.enroll(embeddings, labels)
    parts.enroll(embeddings[:150], labels[:150])
    parts.enroll(embeddings[150:], labels[150:])
    for got, expected in zip(parts.search(queries, 6), whole.search(queries, 6)):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("index", ["exact", "hnsw", "ivf"])
def test_removing_an_identity(data, index):
    embeddings, labels, queries = data
    gallery = Gallery(16, index=index, ivf_lists=4, ivf_probe=4, hnsw_ef_search=400)
    gallery.enroll(embeddings, labels, ids=[f"item{i}" for i in range(len(labels))],
                   metadata=[{"row": i} for i in range(len(labels))])
    assert gallery.remove(3) == int(np.sum(labels == 3))
    kept = np.flatnonzero(labels != 3)
    result = gallery.search(queries, k=10)
    positions, _ = _exact_top_k(embeddings[kept], queries, 10)
    np.testing.assert_array_equal(result.positions, positions)
    np.testing.assert_array_equal(result.ids, np.array([f"item{i}" for i in kept])[positions])
    assert not np.any(result.labels == 3)
    assert [gallery.metadata[p]["row"] for p in result.positions[0]] == kept[positions[0]].tolist()
    with pytest.raises(ValueError, match="not enrolled"):
        gallery.remove(3)


def test_k_beyond_the_gallery_is_cut_to_its_size():
    gallery = Gallery(3)
    gallery.enroll(np.eye(3), ["a", "b", "c"])
    result = gallery.search(np.eye(3)[:1], k=10)
    assert result.labels[0, 0] == "a" and sorted(result.labels[0]) == ["a", "b", "c"]
    assert result.positions.shape == (1, 3)


@pytest.mark.parametrize("index", ["exact", "hnsw", "ivf"])
def test_save_and_load_round_trip(tmp_path, data, index):
    embeddings, labels, queries = data
    gallery = Gallery(16, index=index, ivf_lists=4)
    gallery.enroll(embeddings, np.array([f"person{label}" for label in labels]),
                   metadata=[{"row": i} for i in range(len(labels))])
    gallery.save(tmp_path / "gallery")
    loaded = Gallery.load(tmp_path / "gallery")
    assert loaded.get_config() == gallery.get_config()
    assert loaded.metadata == gallery.metadata
    for got, expected in zip(loaded.search(queries, 5), gallery.search(queries, 5)):
        np.testing.assert_array_equal(got, expected)
    # Appending to a loaded gallery continues the running ids.
    loaded.enroll(embeddings[:2], ["new", "new"])
    assert loaded.ids[-2:].tolist() == [400, 401]


def test_a_failure_mid_save_leaves_the_previous_gallery(tmp_path, monkeypatch):
    first = Gallery(2)
    first.enroll([[1.0, 0.0]], ["first"])
    first.save(tmp_path / "g")
    second = Gallery(2)
    second.enroll([[0.0, 1.0]], ["second"])

    import faiss

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash)
    with pytest.raises(OSError, match="disk full"):
        second.save(tmp_path / "g")
    assert Gallery.load(tmp_path / "g").labels.tolist() == ["first"]
    monkeypatch.undo()
    second.save(tmp_path / "g")
    assert Gallery.load(tmp_path / "g").labels.tolist() == ["second"]


def test_a_process_killed_mid_save_leaves_the_previous_gallery(tmp_path):
    first = Gallery(2)
    first.enroll([[1.0, 0.0]], ["first"])
    first.save(tmp_path / "g")
    # The child dies (no cleanup, no exception handlers) after writing half a snapshot.
    script = f"""
import os, faiss
from keras_margin.retrieval import Gallery
def die(*args):
    os._exit(9)
faiss.write_index = die
gallery = Gallery(2)
gallery.enroll([[0.0, 1.0]], ["second"])
gallery.save({str(tmp_path / "g")!r})
"""
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert killed.returncode == 9, killed.stderr.decode()[-2000:]
    assert any(name.startswith(".incomplete-") for name in os.listdir(tmp_path / "g"))
    assert Gallery.load(tmp_path / "g").labels.tolist() == ["first"]
    # The next save clears the debris and keeps two snapshots at most.
    for label in ("third", "fourth"):
        gallery = Gallery(2)
        gallery.enroll([[1.0, 1.0]], [label])
        gallery.save(tmp_path / "g")
    names = sorted(os.listdir(tmp_path / "g"))
    assert not any(name.startswith(".incomplete-") for name in names)
    assert len([name for name in names if name.startswith("snapshot-")]) == 2
    assert Gallery.load(tmp_path / "g").labels.tolist() == ["fourth"]


def test_refuses_to_save_into_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    gallery = Gallery(2)
    gallery.enroll([[1.0, 0.0]], [0])
    with pytest.raises(ValueError, match="holds other files"):
        gallery.save(tmp_path)
    with pytest.raises(ValueError, match="not a saved gallery"):
        Gallery.load(tmp_path)


@pytest.mark.parametrize("kwargs, match", [
    ({"dim": 0}, "dim"), ({"dim": 4, "index": "lsh"}, "index"),
    ({"dim": 4, "hnsw_neighbors": 1}, "hnsw_neighbors"), ({"dim": 4, "ivf_probe": 0}, "ivf_probe"),
])
def test_invalid_construction_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Gallery(**kwargs)


def test_invalid_enrolments_and_queries():
    gallery = Gallery(3)
    with pytest.raises(ValueError, match="empty"):
        gallery.search([[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"`embeddings` must have shape \(n, 3\)"):
        gallery.enroll(np.ones((2, 4)), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        gallery.enroll([[np.nan, 0, 0]], [0])
    with pytest.raises(ValueError, match="labels"):
        gallery.enroll(np.ones((2, 3)), [0])
    with pytest.raises(ValueError, match="metadata"):
        gallery.enroll(np.ones((2, 3)), [0, 1], metadata=[{}])
    with pytest.raises(ValueError, match="JSON"):
        gallery.enroll(np.ones((1, 3)), [0], metadata=[object()])
    gallery.enroll(np.eye(3), [0, 1, 2])
    with pytest.raises(ValueError, match="integers"):
        gallery.enroll(np.eye(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="not enrolled"):
        gallery.remove("a")
    with pytest.raises(ValueError, match="queries"):
        gallery.search(np.ones((1, 2)))
    with pytest.raises(ValueError, match="`k`"):
        gallery.search(np.ones((1, 3)), k=0)
    with pytest.raises(ValueError, match="ivf_lists"):
        Gallery(3, index="ivf", ivf_lists=5).enroll(np.eye(3), [0, 1, 2])


def test_snapshot_pointer_names_only_complete_snapshots(tmp_path):
    _snapshots.save(tmp_path / "s", lambda folder: open(os.path.join(folder, "x"), "w").close())
    assert os.path.isfile(os.path.join(_snapshots.current(tmp_path / "s"), "x"))


def test_appends_under_the_lock_from_two_threads_keep_both(tmp_path):
    import threading

    folder = tmp_path / "g"
    start = Gallery(2)
    start.enroll([[1.0, 0.0]], ["first"])
    start.save(folder)

    def append(label):
        with Gallery.lock(folder):
            gallery = Gallery.load(folder)
            gallery.enroll([[0.0, 1.0]], [label])
            gallery.save(folder)

    threads = [threading.Thread(target=append, args=(f"t{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(Gallery.load(folder).labels.tolist()) == ["first", "t0", "t1", "t2", "t3"]
