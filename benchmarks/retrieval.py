"""Gallery search: throughput, recall@1 of the approximate indexes against exact NumPy
search, build time and memory, at n embeddings of size d.

Data: clustered synthetic unit vectors, used for every measurement (throughput and
recall): `n / 100` random unit centres, each point a centre plus isotropic Gaussian
noise (per-coordinate sigma 1.2 / sqrt(d), so a point's nearest centre is its own but its
nearest *point* is not trivially found), then L2-normalised. Queries are fresh points of
the same clusters. Random unit vectors in high dimension would make every point nearly
equidistant, the worst case for an approximate index and unlike trained embeddings.

Recall@1: the fraction of queries whose top-1 from the index is the exact top-1 of a
float32 NumPy brute-force search (matrix product in blocks). Throughput: queries per
second, one batched `Gallery.search(queries, k)` call, median of `--repeats`; the
exact FAISS index (`IndexFlatIP`) is the baseline the speed-ups are taken against, in the
same run. Memory: growth of the process' resident set while the gallery is built (the
gallery keeps its own float32 copy of the embeddings besides the index, for saving and
rebuilding).

Usage:
    python benchmarks/retrieval.py                                  # 100k, d = 128 and 512
    python benchmarks/retrieval.py --sizes 1000000 --dims 128 512 --indexes exact ivf --queries 200
"""

import argparse
import gc
import statistics
import time

import numpy as np


def resident_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def clustered(n, dim, seed, centres=None):
    rng = np.random.default_rng(seed)
    if centres is None:
        centres = rng.standard_normal((max(1, n // 100), dim), dtype=np.float32)
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    points = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):  # in blocks: no float64 temporaries of the whole set
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, len(centres), stop - start)]
        block += rng.standard_normal(block.shape, dtype=np.float32) * np.float32(1.2 / np.sqrt(dim))
        points[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return points, centres


def exact_top1(points, queries):
    best = np.full(len(queries), -np.inf, np.float32)
    where = np.zeros(len(queries), np.int64)
    for start in range(0, len(points), 200_000):
        scores = queries @ points[start:start + 200_000].T
        top = scores.argmax(axis=1)
        better = scores[np.arange(len(queries)), top] > best
        best[better] = scores[np.arange(len(queries)), top][better]
        where[better] = top[better] + start
    return where


def measure(kind, points, queries, truth, args):
    from keras_margin.retrieval import Gallery

    gc.collect()
    before = resident_mb()
    started = time.perf_counter()
    options = {"hnsw": {"hnsw_neighbors": 32, "hnsw_ef_search": args.ef_search},
               "ivf": {"ivf_lists": args.ivf_lists, "ivf_probe": args.ivf_probe}}.get(kind, {})
    gallery = Gallery(points.shape[1], index=kind, **options)
    gallery.enroll(points, np.zeros(len(points), np.int64))
    build = time.perf_counter() - started
    memory = resident_mb() - before
    gallery.search(queries[:10], k=args.k)  # warm-up
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = gallery.search(queries, k=args.k)
        times.append(time.perf_counter() - started)
    recall = float(np.mean(result.positions[:, 0] == truth))
    del gallery
    return {"build_s": build, "qps": len(queries) / statistics.median(times), "recall": recall,
            "memory_mb": memory}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[128, 512])
    parser.add_argument("--indexes", nargs="+", default=["exact", "hnsw", "ivf"])
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ef-search", type=int, default=128)
    parser.add_argument("--ivf-lists", type=int, default=None, help="default: the Gallery's rule")
    parser.add_argument("--ivf-probe", type=int, default=16)
    parser.add_argument("--threads", type=int, default=None, help="FAISS OpenMP threads (default: all)")
    args = parser.parse_args()
    import faiss

    if args.threads:
        faiss.omp_set_num_threads(args.threads)
    print(f"faiss {faiss.__version__}, {faiss.omp_get_max_threads()} threads, k = {args.k}, "
          f"{args.queries} queries, median of {args.repeats}")
    print("| n | d | index | build s | queries/s | speed-up vs exact | recall@1 | memory MB |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in args.sizes:
        for dim in args.dims:
            points, centres = clustered(n, dim, seed=0)
            queries, _ = clustered(args.queries, dim, seed=1, centres=centres)
            truth = exact_top1(points, queries)
            baseline = None
            for kind in args.indexes:
                row = measure(kind, points, queries, truth, args)
                baseline = baseline or (row["qps"] if kind == "exact" else None)
                ratio = f"{row['qps'] / baseline:.1f}x" if baseline else "-"
                print(f"| {n:,} | {dim} | {kind} | {row['build_s']:.1f} | {row['qps']:,.0f} | {ratio} | "
                      f"{row['recall']:.3f} | {row['memory_mb']:,.0f} |", flush=True)
            del points


if __name__ == "__main__":
    main()
