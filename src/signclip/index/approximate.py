"""Approximate search with FAISS: an inverted-file index (IVF-Flat) under the inner product.

The vectors are clustered into `nlist` cells by k-means; a query scans only the `nprobe` cells
whose centroids score best against it. Stored vectors are kept uncompressed ("Flat"), so a found
row's score is its exact similarity and only rows in unscanned cells can be missed. With the
defaults (4·√N cells, 32 probed) a query scans under 1% of a million vectors; recall@10 against
exact search is measured by benchmarks/search_latency.py.

Whenever fewer than k rows come back although enough match (cells too small, or a rare language
filtered out of the scanned cells), the query is answered exactly instead, so a search returns k
hits whenever k rows match its filter.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from signclip.index.errors import SignIndexError
from signclip.index.topk import top_k

# k-means needs a few dozen points per cell to place its centroids (FAISS warns below 39): 40
# per cell are sampled, and 10 iterations suffice for a coarse partition, which keeps the training
# of a million-vector index well under the time it takes to assign all vectors to their cells.
TRAIN_POINTS_PER_CELL = 40
MIN_POINTS_PER_CELL = 39
KMEANS_ITERATIONS = 10
DEFAULT_NPROBE = 32
# A filter this selective is answered by scanning its rows: about as fast as probing (the rows
# are gathered per query, so the bound stays small), and exact.
EXACT_SUBSET_ROWS = 5_000


def default_nlist(num_vectors: int) -> int:
    """About 4·√N cells, but never fewer than MIN_POINTS_PER_CELL points per cell."""
    return max(1, min(int(4 * math.sqrt(num_vectors)), num_vectors // MIN_POINTS_PER_CELL))


def import_faiss():
    try:
        import faiss
    except ImportError:
        raise SignIndexError(
            "the faiss backend needs the faiss-cpu package: pip install 'signclip[faiss]'"
        ) from None
    return faiss


class ApproximateIndex:
    """An IVF-Flat index over `vectors` [N, E] (row numbers are the FAISS ids)."""

    def __init__(
        self,
        vectors: np.ndarray,
        nlist: int | None = None,
        nprobe: int = DEFAULT_NPROBE,
        seed: int = 0,
        exact_subset_rows: int = EXACT_SUBSET_ROWS,
        trained=None,
    ):
        """Builds the FAISS index of `vectors`, or wraps `trained`, one already built of them."""
        faiss = import_faiss()
        self.vectors = vectors
        self.exact_subset_rows = exact_subset_rows
        self._selectors: dict[int, tuple] = {}
        self._faiss = faiss
        if trained is not None:
            self.index = trained
            self.nlist = int(getattr(trained, "nlist", 1))
        else:
            self.nlist = nlist or default_nlist(len(vectors))
            self.index = _built(faiss, vectors, self.nlist, seed)
        self.nprobe = min(nprobe, self.nlist)

    def write(self, path: Path) -> None:
        self._faiss.write_index(self.index, str(path))

    @classmethod
    def read(cls, path: Path, vectors: np.ndarray, **settings) -> ApproximateIndex:
        """The index saved at `path`, refused unless it was built of exactly these vectors."""
        faiss = import_faiss()
        try:
            trained = faiss.read_index(str(path))
        except RuntimeError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
            raise SignIndexError(f"{path}: not a readable FAISS index ({first})") from None
        if (trained.ntotal, trained.d) != vectors.shape:
            raise SignIndexError(
                f"{path}: holds [{trained.ntotal}, {trained.d}] vectors, the index "
                f"{list(vectors.shape)}; rebuild it (signclip index build --faiss)"
            )
        return cls(vectors, trained=trained, **settings)

    def search(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """(rows best first, scores) per query; `rows` restricts the search to those rows."""
        wanted = min(k, len(self.vectors) if rows is None else len(rows))
        if rows is not None and len(rows) <= max(self.exact_subset_rows, k):
            return [self._exact(query, k, rows) for query in queries]
        if self.nlist == 1:
            params = self._faiss.SearchParameters()
        else:
            params = self._faiss.SearchParametersIVF(nprobe=self._probes(rows))
        if rows is not None:
            params.sel = self._selector(rows)
        _, ids = self.index.search(np.ascontiguousarray(queries), k, params=params)
        found = []
        for query, candidates in zip(queries, ids, strict=True):
            candidates = candidates[candidates >= 0]
            if len(candidates) < wanted:
                found.append(self._exact(query, k, rows))
            else:
                found.append(self._rescored(query, candidates))
        return found

    def _probes(self, rows: np.ndarray | None) -> int:
        """Cells to scan. A filter keeping a fraction f of the rows keeps about f of each cell,
        so nprobe / f cells hold as many matching rows as nprobe cells do without a filter."""
        if rows is None:
            return self.nprobe
        return min(self.nlist, math.ceil(self.nprobe * len(self.vectors) / len(rows)))

    def _selector(self, rows: np.ndarray):
        """A FAISS id selector of `rows`, kept while the same array is passed again (the index
        caches one array per filter): building one costs O(N), a query far less."""
        cached = self._selectors.get(id(rows))
        if cached is None or cached[0] is not rows:
            mask = np.zeros(len(self.vectors), bool)
            mask[rows] = True
            bitmap = np.packbits(mask, bitorder="little")
            selector = self._faiss.IDSelectorBitmap(len(mask), self._faiss.swig_ptr(bitmap))
            # The selector points into `bitmap`, and the key is the id of `rows`: all three are
            # kept together, so neither the memory nor the id can be reused while cached.
            cached = (rows, selector, bitmap)
            self._selectors[id(rows)] = cached
        return cached[1]

    def _rescored(self, query: np.ndarray, candidates: np.ndarray):
        # Rescored with numpy: both backends then report the same similarity (up to float
        # rounding) and order ties by row.
        scores = self.vectors[candidates] @ query
        order = np.lexsort((candidates, -scores))
        return candidates[order], scores[order]

    def _exact(self, query: np.ndarray, k: int, rows: np.ndarray | None):
        vectors = self.vectors if rows is None else self.vectors[rows]
        scores = vectors @ query
        best = top_k(scores, k)
        return (best if rows is None else rows[best]), scores[best]


def _built(faiss, vectors: np.ndarray, nlist: int, seed: int):
    dim = vectors.shape[1]
    if nlist == 1:
        # Too few vectors to cluster: one cell is a plain scan of them all.
        index = faiss.IndexFlatIP(dim)
    else:
        # IndexIVFFlat keeps the quantizer it is given; own_fields makes it free it too.
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        quantizer.this.disown()
        index.own_fields = True
        index.cp.seed = seed
        index.cp.niter = KMEANS_ITERATIONS
        index.train(_training_sample(vectors, nlist, seed))
    index.add(vectors)
    return index


def _training_sample(vectors: np.ndarray, nlist: int, seed: int) -> np.ndarray:
    wanted = nlist * TRAIN_POINTS_PER_CELL
    if len(vectors) <= wanted:
        return np.ascontiguousarray(vectors)
    chosen = np.sort(np.random.default_rng(seed).choice(len(vectors), wanted, replace=False))
    return np.ascontiguousarray(vectors[chosen])
