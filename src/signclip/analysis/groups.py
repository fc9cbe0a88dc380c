"""Unit vectors and per-group means, the building blocks of every measure here."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (an all-zero row stays zero)."""
    vectors = np.asarray(vectors, np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def group_means(vectors: np.ndarray, keys: Sequence[Hashable]) -> tuple[list, np.ndarray]:
    """The distinct keys (in order of first appearance) and the mean of the unit rows of each.

    Rows are made unit length first so that a clip with a large norm does not outweigh the others
    of its group; every measure built on these means compares directions (cosine).
    """
    if len(keys) != len(vectors):
        raise ValueError(f"{len(keys)} keys for {len(vectors)} vectors")
    units = unit_rows(vectors)
    order: dict[Hashable, int] = {}
    index = np.array([order.setdefault(key, len(order)) for key in keys], np.int64)
    sums = np.zeros((len(order), units.shape[1]))
    np.add.at(sums, index, units)
    counts = np.bincount(index, minlength=len(order))[:, None]
    return list(order), sums / counts
