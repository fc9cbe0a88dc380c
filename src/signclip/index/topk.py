"""Exact top-k of score vectors, with ties broken by row so results never depend on the BLAS."""

from __future__ import annotations

import numpy as np


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Rows of the `k` highest `scores` [N], best first; equal scores keep the lower row first.

    A full sort costs O(N log N) per query; `argpartition` finds the k best in O(N). Ties at the
    k-th score are taken by row order, so the result equals a stable sort of all N scores.
    """
    n = len(scores)
    if k >= n:
        return np.argsort(-scores, kind="stable")
    threshold = scores[np.argpartition(-scores, k - 1)[k - 1]]
    above = np.flatnonzero(scores > threshold)
    tied = np.flatnonzero(scores == threshold)[: k - len(above)]
    chosen = np.concatenate([above, tied])
    # lexsort's last key is the primary one: score descending, then row ascending.
    return chosen[np.lexsort((chosen, -scores[chosen]))]
