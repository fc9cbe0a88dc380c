"""2-D maps: PCA against an eigen-decomposition, t-SNE keeps clusters, missing extras named."""

import sys

import numpy as np
import pytest

from signclip.analysis.groups import unit_rows
from signclip.analysis.maps import MapError, pca_2d, project_2d


def clusters(seed=0, per=15, dims=12):
    rng = np.random.default_rng(seed)
    centres = 5 * rng.normal(size=(3, dims))
    labels = np.repeat(np.arange(3), per)
    return centres[labels] + 0.3 * rng.normal(size=(3 * per, dims)), labels


def test_pca_matches_the_covariance_eigenvectors():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(40, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
    points = pca_2d(data)
    values, vectors = np.linalg.eigh(np.cov(data.T))
    top = vectors[:, np.argsort(values)[::-1][:2]]
    expected = (data - data.mean(axis=0)) @ top
    # An eigenvector's sign is arbitrary: compare each axis up to sign.
    for axis in range(2):
        a, b = points[:, axis], expected[:, axis]
        assert np.allclose(a, b, atol=1e-8) or np.allclose(a, -b, atol=1e-8)


@pytest.mark.parametrize("method", ["pca", "tsne"])
def test_separated_clusters_stay_separated(method):
    data, labels = clusters()
    points = project_2d(data, method)
    assert points.shape == (len(data), 2)
    distances = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distances, np.inf)
    assert np.all(labels[np.argmin(distances, axis=1)] == labels)


def test_maps_see_directions_only():
    data, _ = clusters(seed=1)
    scaled = data * np.linspace(1, 9, len(data))[:, None]
    np.testing.assert_allclose(project_2d(scaled, "pca"), pca_2d(unit_rows(data)), atol=1e-9)


def test_missing_packages_are_named(monkeypatch):
    data, _ = clusters()
    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    monkeypatch.setitem(sys.modules, "umap", None)
    with pytest.raises(MapError, match=r"signclip\[analysis\]"):
        project_2d(data, "tsne")
    with pytest.raises(MapError, match="pip install umap-learn"):
        project_2d(data, "umap")


def test_bad_requests():
    with pytest.raises(MapError, match="choose one of"):
        project_2d(np.zeros((5, 2)), "mds")
    with pytest.raises(MapError, match="at least 3 points"):
        project_2d(np.ones((2, 4)), "pca")
