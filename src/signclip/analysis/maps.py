"""2-D maps of embeddings: t-SNE (scikit-learn), UMAP (umap-learn) or PCA (numpy only).

Rows are made unit length first, so every method sees the cosine geometry the analysis uses.
"""

from __future__ import annotations

import numpy as np

from signclip.analysis.groups import unit_rows
from signclip.errors import SignclipError

METHODS = ("tsne", "umap", "pca")


class MapError(SignclipError):
    """A 2-D map that cannot be made: a missing optional package or too few points."""


def require_method(method: str) -> None:
    """Fail now, not after the embeddings are computed, when `method` cannot run here."""
    if method not in METHODS:
        raise MapError(f"--method {method!r}: choose one of {', '.join(METHODS)}")
    if method == "tsne":
        _import_tsne()
    elif method == "umap":
        _import_umap()


def project_2d(vectors: np.ndarray, method: str = "tsne", seed: int = 0) -> np.ndarray:
    """[N, E] -> [N, 2] float64."""
    require_method(method)
    units = unit_rows(vectors)
    if len(units) < 3:
        raise MapError(f"a 2-D map needs at least 3 points, got {len(units)}")
    if method == "pca":
        return pca_2d(units)
    if method == "umap":
        return _umap(units, seed)
    return _tsne(units, seed)


def pca_2d(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components (signs fixed so the result is deterministic)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2]
    # An SVD may return either sign of an axis; make the largest loading positive.
    signs = np.sign(axes[np.arange(len(axes)), np.argmax(np.abs(axes), axis=1)])
    points = centred @ (axes * signs[:, None]).T
    if points.shape[1] < 2:  # one-dimensional data: pad the second axis
        points = np.column_stack([points, np.zeros(len(points))])
    return points


def _import_tsne():
    try:
        from sklearn.manifold import TSNE
        from threadpoolctl import threadpool_limits
    except ImportError as exc:
        raise MapError(
            "--method tsne needs scikit-learn: pip install 'signclip[analysis]' "
            "(or use --method pca)"
        ) from exc
    return TSNE, threadpool_limits


def _import_umap():
    try:
        import umap
    except ImportError as exc:
        raise MapError("--method umap needs umap-learn: pip install umap-learn") from exc
    return umap


def _tsne(vectors: np.ndarray, seed: int) -> np.ndarray:
    TSNE, threadpool_limits = _import_tsne()
    # Perplexity must stay below the number of points; 30 is the usual value for larger sets.
    perplexity = float(min(30.0, max(2.0, (len(vectors) - 1) / 3)))
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed)
    # One thread (OpenMP and BLAS): on a busy machine, waiting worker threads slow a small map
    # down many times over, while one core handles a few thousand points well.
    with threadpool_limits(limits=1):
        return np.asarray(tsne.fit_transform(vectors), np.float64)


def _umap(vectors: np.ndarray, seed: int) -> np.ndarray:
    umap = _import_umap()
    neighbours = min(15, len(vectors) - 1)
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, random_state=seed)
    return np.asarray(reducer.fit_transform(vectors), np.float64)
