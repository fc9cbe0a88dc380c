"""`SignIndex`: clip embeddings with their metadata, searchable by the model's own similarity.

Vectors are stored exactly as the encoder returns them (L2-normalised for the default model, raw
for the paper model), and a query scores against them with the same dot product as
`SignCLIPEncoder.similarity`: cosine for the one, dot product for the other, with no extra step.

Search is exact by default (one matrix product and a top-k). `backend="faiss"` answers from an
inverted-file index instead (see `signclip.index.approximate`), for indexes of a million clips.
A sign-language filter that matches no row gives empty results, not an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.data.manifest import ClipRecord
from signclip.index.errors import ClipNotFoundError, QueryError, SignIndexError
from signclip.index.files import FAISS_FILE, read_folder, write_folder
from signclip.index.topk import top_k

BACKENDS = ("exact", "faiss")
# Score matrices of a query batch stay under this many floats (256 MB), whatever N is.
_SCORE_BUDGET = 64 * 1024 * 1024
# Rows of one query's hits, best first, and their scores.
Found = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    clip_id: str
    score: float  # the model's similarity (higher = closer)
    text: str
    sign_language: str
    spoken_language: str
    pose_path: str  # absolute path of the stored clip's .pose file


class SignIndex:
    """Rows of (vector, clip record); ids unique. `model` names the model that made the vectors."""

    def __init__(
        self,
        dim: int,
        model: dict,
        vectors: np.ndarray | None = None,
        records: Sequence[ClipRecord] = (),
        backend: str = "exact",
    ):
        if not isinstance(dim, int) or dim <= 0:
            raise SignIndexError(f"index dimension must be a positive integer, got {dim!r}")
        self.dim = dim
        self.model = dict(model)
        self.vectors = np.zeros((0, dim), np.float32)
        self.records: list[ClipRecord] = []
        self._row_of: dict[str, int] = {}
        self._language_rows: dict[tuple[str | None, str | None], np.ndarray] = {}
        self._approximate = None
        self.backend = _check_backend(backend)
        if vectors is not None or records:
            self.add(np.zeros((0, dim), np.float32) if vectors is None else vectors, records)

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, clip_id: object) -> bool:
        return clip_id in self._row_of

    @classmethod
    def load(cls, path: str | Path, backend: str = "exact") -> SignIndex:
        """The index saved at `path`; with `backend="faiss"` its saved FAISS index is opened too
        (when there is none, one is built on the first search)."""
        path = Path(path)
        dim, model, vectors, records = read_folder(path)
        try:
            index = cls(dim, model, vectors, records, backend=backend)
        except SignIndexError as exc:
            raise SignIndexError(f"index {path}: {exc}") from None
        if backend == "faiss" and (path / FAISS_FILE).is_file():
            from signclip.index.approximate import ApproximateIndex

            index._approximate = ApproximateIndex.read(path / FAISS_FILE, index.vectors)
        return index

    def save(self, path: str | Path) -> None:
        """Write the index (and its FAISS index, if one was built) atomically."""
        write_folder(
            Path(path), self.dim, self.model, self.vectors, self.records, self._approximate
        )

    @property
    def sign_languages(self) -> list[str]:
        return sorted({r.sign_language for r in self.records})

    @property
    def spoken_languages(self) -> list[str]:
        return sorted({r.spoken_language for r in self.records})

    def add(self, vectors: np.ndarray, records: Sequence[ClipRecord]) -> None:
        """Append rows; refuses (and adds nothing) on a duplicate id, a bad shape or NaN."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or len(vectors) != len(records):
            raise SignIndexError(
                f"add: expected vectors [{len(records)}, {self.dim}] for {len(records)} records, "
                f"got {list(vectors.shape)}"
            )
        if not np.isfinite(vectors).all():
            raise SignIndexError("add: vectors hold NaN or infinite values")
        self._check_new_ids(records)
        self.vectors = np.concatenate([self.vectors, vectors.astype(np.float32, copy=False)])
        for record in records:
            self._row_of[record.clip_id] = len(self.records)
            self.records.append(record)
        self._language_rows.clear()
        self._approximate = None

    def _check_new_ids(self, records: Sequence[ClipRecord]) -> None:
        seen: set[str] = set()
        duplicates = []
        for record in records:
            if record.clip_id in self._row_of or record.clip_id in seen:
                duplicates.append(record.clip_id)
            seen.add(record.clip_id)
        if duplicates:
            shown = ", ".join(repr(d) for d in duplicates[:5])
            more = f" and {len(duplicates) - 5} more" if len(duplicates) > 5 else ""
            raise SignIndexError(
                f"add: ids already in the index or repeated: {shown}{more}; nothing added"
            )

    def get(self, clip_id: str) -> ClipRecord:
        """The stored record of one clip (its `pose_path` is absolute)."""
        try:
            return self.records[self._row_of[clip_id]]
        except KeyError:
            raise ClipNotFoundError(f"clip {clip_id!r} is not in the index") from None

    def vector(self, clip_id: str) -> np.ndarray:
        """The stored embedding of one clip (a copy)."""
        self.get(clip_id)
        return self.vectors[self._row_of[clip_id]].copy()

    def check_model(self, identity: dict) -> None:
        """Refuse a query model other than the one that embedded the clips."""
        for key, what in (
            ("config_sha256", "config differs"),
            ("weights_sha256", "weights differ"),
        ):
            if key in self.model and key in identity and self.model[key] != identity[key]:
                raise SignIndexError(
                    f"the model {identity.get('path')} is not the one this index was built with "
                    f"({self.model.get('path')}): its {what}"
                )

    def search(
        self,
        queries: np.ndarray,
        k: int = 10,
        sign_language: str | None = None,
        spoken_language: str | None = None,
        backend: str | None = None,
    ) -> list[list[Hit]]:
        """The `k` best rows for each query [Q, E] (or one [E]), restricted to a language if given.

        Fewer than k hits come back only when fewer rows match the filter.
        """
        queries = self._check_queries(queries, k)
        rows = self._rows_for(sign_language, spoken_language)
        if rows is not None and len(rows) == 0:
            return [[] for _ in queries]
        if _check_backend(backend or self.backend) == "faiss":
            found = self.approximate_index().search(queries, k, rows)
        else:
            found = self._exact(queries, k, rows)
        return [self._hits(chosen, scores) for chosen, scores in found]

    def _check_queries(self, queries: np.ndarray, k: int) -> np.ndarray:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise QueryError(f"k must be a positive integer, got {k!r}")
        queries = np.asarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        if queries.ndim != 2 or queries.shape[1] != self.dim:
            raise QueryError(
                f"query of shape {list(queries.shape)} does not match "
                f"the index dimension {self.dim}"
            )
        if not np.isfinite(queries).all():
            raise QueryError("query holds NaN or infinite values")
        return queries

    def _rows_for(self, sign_language: str | None, spoken_language: str | None):
        """Rows matching the filters (cached per filter), or None when there is no filter."""
        if sign_language is None and spoken_language is None:
            return None
        key = (sign_language, spoken_language)
        if key not in self._language_rows:
            self._language_rows[key] = np.array(
                [
                    i
                    for i, r in enumerate(self.records)
                    if sign_language in (None, r.sign_language)
                    and spoken_language in (None, r.spoken_language)
                ],
                dtype=np.int64,
            )
        return self._language_rows[key]

    def _exact(self, queries: np.ndarray, k: int, rows: np.ndarray | None) -> list[Found]:
        # A small filtered set is gathered and scored alone; for a large one, gathering would
        # copy most of the matrix per query, so every row is scored and the set picked after.
        gather = rows is not None and 2 * len(rows) < len(self.vectors)
        vectors = self.vectors[rows] if gather else self.vectors
        found = []
        per_batch = max(1, _SCORE_BUDGET // max(1, len(vectors)))
        for first in range(0, len(queries), per_batch):
            # Same operand order as SignCLIPEncoder.similarity(poses, texts): [N, E] @ [E, Q].
            scores = vectors @ queries[first : first + per_batch].T
            for column in scores.T:
                if rows is None:
                    best = top_k(column, k)
                    found.append((best, column[best]))
                    continue
                column = column if gather else column[rows]
                best = top_k(column, k)
                found.append((rows[best], column[best]))
        return found

    def approximate_index(self):
        """The FAISS index of the vectors, built on first use (and again after `add`)."""
        if self._approximate is None:
            from signclip.index.approximate import ApproximateIndex

            self._approximate = ApproximateIndex(self.vectors)
        return self._approximate

    def _hits(self, chosen: np.ndarray, scores: np.ndarray) -> list[Hit]:
        hits = []
        for rank, (row, score) in enumerate(zip(chosen, scores, strict=True), start=1):
            record = self.records[row]
            hits.append(
                Hit(
                    rank=rank,
                    clip_id=record.clip_id,
                    score=float(score),
                    text=record.text,
                    sign_language=record.sign_language,
                    spoken_language=record.spoken_language,
                    pose_path=str(record.pose_path),
                )
            )
        return hits


def _check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise QueryError(f"unknown search backend {name!r} (use one of: {', '.join(BACKENDS)})")
    return name
