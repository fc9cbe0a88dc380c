"""Search latency of the sign index: exact and FAISS (IVF-Flat), one query at a time.

For each index size, the vectors are unit vectors of the default model's dimension (384: MiniLM's
width, `projection_dim: null` in presets/default.yaml; the demo preset projects to 256), drawn
around `--clusters` centres like embeddings of signs that share a gloss (or `--data random` for
uniform directions, the worst case for an inverted file). Queries are drawn the same way.

Printed per size and backend: index build time, p50 and p99 milliseconds per query (each query a
separate `SignIndex.search` call, hits included), the index's own memory, and FAISS's recall@10
against exact search over the same queries. The filter rows search one language of five (FAISS
at the default nprobe, which the index scales by the filtered fraction). The peak resident memory
of the process is printed at the end.

    python benchmarks/search_latency.py                      # 10K, 100K and 1M vectors
    python benchmarks/search_latency.py --sizes 10000 --nprobe 16 64
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np

from signclip.data.manifest import ClipRecord
from signclip.index import SignIndex
from signclip.index.approximate import DEFAULT_NPROBE, ApproximateIndex

LANGUAGES = ("ase", "gsg", "ise", "ssp", "swl")
CHUNK = 100_000  # vectors generated at a time, to keep float64 temporaries small


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--data", choices=("clustered", "random"), default="clustered")
    parser.add_argument("--clusters", type=int, default=10_000, help="centres (clustered data)")
    parser.add_argument("--spread", type=float, default=0.8, help="noise norm around a centre")
    parser.add_argument("--queries", type=int, default=500, help="queries per measurement")
    parser.add_argument("--exact-queries", type=int, default=100, help="timed exact queries")
    parser.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, DEFAULT_NPROBE, 64])
    parser.add_argument("--filter", action="store_true", help="also time a 1-in-5 language filter")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def make_vectors(rng, count: int, args: argparse.Namespace, centres) -> np.ndarray:
    out = np.empty((count, args.dim), np.float32)
    for first in range(0, count, CHUNK):
        n = min(CHUNK, count - first)
        noise = unit(rng.standard_normal((n, args.dim), dtype=np.float32))
        if centres is None:
            out[first : first + n] = noise
        else:
            picked = centres[rng.integers(0, len(centres), n)]
            out[first : first + n] = unit(picked + args.spread * noise)
    return out


def make_records(count: int) -> list[ClipRecord]:
    path = Path("/benchmark/clip.pose")  # one shared object: metadata is not what is measured
    return [
        ClipRecord(f"c{i}", path, "word", "en", LANGUAGES[i % len(LANGUAGES)], "train")
        for i in range(count)
    ]


def time_queries(search, queries: np.ndarray) -> tuple[float, float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        search(query[None])
        times.append(time.perf_counter() - started)
    ms = 1000 * np.array(times)
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def recall_at_10(approximate, exact) -> float:
    found = sum(
        len({h.clip_id for h in a} & {h.clip_id for h in e})
        for a, e in zip(approximate, exact, strict=True)
    )
    return found / sum(len(e) for e in exact)


def faiss_bytes(approximate: ApproximateIndex) -> int:
    index = approximate.index
    # Inverted lists: every vector's floats and its 8-byte id; plus the centroids.
    return index.ntotal * (4 * index.d + 8) + approximate.nlist * 4 * index.d


def row(size, backend, setting, build_s, p50, p99, megabytes, recall) -> str:
    recall_text = "-" if recall is None else f"{recall:.3f}"
    build_text = "-" if build_s is None else f"{build_s:.1f}"
    memory_text = "-" if megabytes is None else f"{megabytes:.0f}"
    return (
        f"{size:>9,}  {backend:<6} {setting:<22} {build_text:>8} {p50:>8.2f} {p99:>8.2f} "
        f"{memory_text:>8} {recall_text:>10}"
    )


def bench_size(size: int, args: argparse.Namespace) -> list[str]:
    rng = np.random.default_rng(args.seed)
    centres = (
        None if args.data == "random" else unit(rng.standard_normal((args.clusters, args.dim)))
    )
    vectors = make_vectors(rng, size, args, centres)
    queries = make_vectors(rng, args.queries, args, centres)
    index = SignIndex(args.dim, {"path": None}, vectors, make_records(size))
    del vectors
    lines = []
    exact_queries = queries[: args.exact_queries]
    p50, p99 = time_queries(lambda q: index.search(q, k=10), exact_queries)
    lines.append(row(size, "exact", "", None, p50, p99, index.vectors.nbytes / 2**20, None))
    exact = index.search(queries, k=10)
    started = time.perf_counter()
    approximate = ApproximateIndex(index.vectors)
    build_s = time.perf_counter() - started
    index._approximate = approximate  # the index would build the same one on first use
    megabytes = faiss_bytes(approximate) / 2**20
    for nprobe in args.nprobe:
        approximate.nprobe = min(nprobe, approximate.nlist)
        found = index.search(queries, k=10, backend="faiss")
        p50, p99 = time_queries(lambda q: index.search(q, k=10, backend="faiss"), queries)
        setting = f"nlist {approximate.nlist} nprobe {approximate.nprobe}"
        lines.append(
            row(size, "faiss", setting, build_s, p50, p99, megabytes, recall_at_10(found, exact))
        )
        build_s = None
    if args.filter:
        approximate.nprobe = min(DEFAULT_NPROBE, approximate.nlist)
        language = LANGUAGES[0]
        exact = index.search(queries, k=10, sign_language=language)
        p50, p99 = time_queries(
            lambda q: index.search(q, k=10, sign_language=language), exact_queries
        )
        lines.append(row(size, "exact", f"filter {language} (1/5)", None, p50, p99, None, None))
        found = index.search(queries, k=10, sign_language=language, backend="faiss")
        p50, p99 = time_queries(
            lambda q: index.search(q, k=10, sign_language=language, backend="faiss"), queries
        )
        setting = f"filter {language} (1/5)"
        lines.append(row(size, "faiss", setting, None, p50, p99, None, recall_at_10(found, exact)))
    print("\n".join(lines), flush=True)
    return lines


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    args = parse_args()
    import faiss

    print(
        f"machine: {cpu_name()}, {os.cpu_count()} cores, "
        f"faiss {faiss.__version__}, numpy {np.__version__}; load average "
        f"{os.getloadavg()[0]:.1f} at start (other jobs share the CPU when above 0)"
    )
    print(
        f"data: {args.data}"
        + (f" ({args.clusters} centres, spread {args.spread})" if args.data == "clustered" else "")
        + f", dim {args.dim}, {args.queries} queries ({args.exact_queries} timed exact), k=10"
    )
    print(
        f"{'vectors':>9}  {'search':<6} {'setting':<22} {'build s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'index MB':>8} {'recall@10':>10}"
    )
    for size in args.sizes:
        bench_size(size, args)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"peak resident memory: {peak:.0f} MB; load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
