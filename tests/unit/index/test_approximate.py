import numpy as np
import pytest

from signclip.index import SignIndex, SignIndexError
from signclip.index.approximate import ApproximateIndex, default_nlist
from tests.unit.index.helpers import clustered_rows, records, unit_rows

pytest.importorskip("faiss", reason="the faiss backend is optional (pip install signclip[faiss])")

MODEL = {"path": "/models/m", "normalize": True}


def recall_at_k(approximate: list, exact: list) -> float:
    found = [
        len({h.clip_id for h in a} & {h.clip_id for h in e})
        for a, e in zip(approximate, exact, strict=True)
    ]
    return sum(found) / sum(len(e) for e in exact)


@pytest.fixture(scope="module")
def clustered_index() -> SignIndex:
    rng = np.random.default_rng(0)
    count = 20_000
    return SignIndex(32, MODEL, clustered_rows(rng, count, 32, 200), records(count))


def test_recall_at_10_against_exact(clustered_index):
    queries = clustered_rows(np.random.default_rng(1), 100, 32, 200)
    exact = clustered_index.search(queries, k=10)
    approximate = clustered_index.search(queries, k=10, backend="faiss")
    assert recall_at_k(approximate, exact) >= 0.95


def test_hits_are_exactly_scored_and_ordered(clustered_index):
    queries = clustered_rows(np.random.default_rng(2), 20, 32, 200)
    exact = clustered_index.search(queries, k=10)
    approximate = clustered_index.search(queries, k=10, backend="faiss")
    for query, found, reference in zip(queries, approximate, exact, strict=True):
        scores = [h.score for h in found]
        assert scores == sorted(scores, reverse=True)
        own_scores = {h.clip_id: h.score for h in reference}
        for hit in found:
            expected = float(clustered_index.vector(hit.clip_id) @ query)
            assert hit.score == pytest.approx(expected, abs=1e-6)
            if hit.clip_id in own_scores:
                assert hit.score == pytest.approx(own_scores[hit.clip_id], abs=1e-6)


def test_filter_returns_k_hits_of_a_rare_language():
    rng = np.random.default_rng(3)
    count = 6000
    vectors = clustered_rows(rng, count, 16, 100)
    rows = records(count, languages=("ase",) * 199 + ("swl",))  # 30 swl clips
    index = SignIndex(16, MODEL, vectors, rows, backend="faiss")
    query = vectors[5]
    hits = index.search(query, k=25, sign_language="swl")[0]
    assert len(hits) == 25 and {h.sign_language for h in hits} == {"swl"}
    exact = index.search(query, k=25, sign_language="swl", backend="exact")[0]
    assert [h.clip_id for h in hits] == [h.clip_id for h in exact]


def test_filtered_faiss_search_returns_k_rows_of_the_filter(clustered_index):
    # exact_subset_rows=0 sends every filtered query through FAISS's id selector.
    approximate = ApproximateIndex(clustered_index.vectors, exact_subset_rows=0)
    queries = clustered_rows(np.random.default_rng(4), 30, 32, 200)
    for rows in (np.arange(0, 20_000, 2), np.arange(0, 20_000, 997)):  # 10 000 rows, then 21
        allowed = set(rows.tolist())
        for query in queries:
            found, _ = approximate.search(query[None], k=10, rows=rows)[0]
            assert len(found) == 10 and set(found.tolist()) <= allowed


def test_filter_on_a_common_language_keeps_recall(clustered_index):
    queries = clustered_rows(np.random.default_rng(4), 30, 32, 200)
    approximate = clustered_index.search(queries, k=10, sign_language="ase", backend="faiss")
    exact = clustered_index.search(queries, k=10, sign_language="ase")
    assert all(len(h) == 10 and {x.sign_language for x in h} == {"ase"} for h in approximate)
    assert recall_at_k(approximate, exact) >= 0.95


def test_small_indexes_are_searched_exhaustively():
    rng = np.random.default_rng(5)
    vectors = unit_rows(rng, 30, 8)
    index = SignIndex(8, MODEL, vectors, records(30))
    queries = unit_rows(rng, 10, 8)
    exact = index.search(queries, k=30)
    approximate = index.search(queries, k=30, backend="faiss")
    for found, reference in zip(approximate, exact, strict=True):
        assert [h.clip_id for h in found] == [h.clip_id for h in reference]
        np.testing.assert_allclose(
            [h.score for h in found], [h.score for h in reference], atol=1e-6
        )


def test_too_few_candidates_falls_back_to_exact():
    # One probed cell of ~40 rows cannot hold 100 results: the query is answered exactly.
    vectors = unit_rows(np.random.default_rng(6), 4000, 8)
    approximate = ApproximateIndex(vectors, nprobe=1)
    ((rows, _),) = approximate.search(vectors[:1], k=100, rows=None)
    assert len(rows) == 100
    assert np.array_equal(rows, np.argsort(-(vectors @ vectors[0]), kind="stable")[:100])


def test_default_nlist_keeps_enough_points_per_cell():
    assert default_nlist(10) == 1
    assert default_nlist(1_000_000) == 4000
    assert all(n // default_nlist(n) >= 39 for n in (39, 100, 5000, 20_000))


def test_add_rebuilds_the_approximate_index():
    rng = np.random.default_rng(7)
    index = SignIndex(8, MODEL, unit_rows(rng, 100, 8), records(100), backend="faiss")
    index.search(np.ones(8, np.float32), k=1)
    new = unit_rows(rng, 1, 8)
    index.add(new, [records(101)[100]])
    assert index.search(new, k=1)[0][0].clip_id == "clip-100"


def test_the_faiss_index_is_saved_and_loaded_with_the_index(tmp_path, clustered_index):
    clustered_index.approximate_index()
    clustered_index.save(tmp_path / "idx")
    assert (tmp_path / "idx" / "faiss.index").is_file()
    loaded = SignIndex.load(tmp_path / "idx", backend="faiss")
    assert loaded._approximate is not None  # opened, not rebuilt
    queries = clustered_rows(np.random.default_rng(8), 20, 32, 200)
    assert loaded.search(queries, k=10) == clustered_index.search(queries, k=10, backend="faiss")


def test_a_faiss_file_of_other_vectors_or_damaged_is_refused(tmp_path):
    rng = np.random.default_rng(9)
    small = SignIndex(8, MODEL, unit_rows(rng, 200, 8), records(200))
    small.approximate_index()
    small.save(tmp_path / "small")
    other = SignIndex(8, MODEL, unit_rows(rng, 300, 8), records(300))
    other.save(tmp_path / "other")
    (tmp_path / "other" / "faiss.index").write_bytes(
        (tmp_path / "small" / "faiss.index").read_bytes()
    )
    with pytest.raises(SignIndexError, match="rebuild it"):
        SignIndex.load(tmp_path / "other", backend="faiss")
    (tmp_path / "small" / "faiss.index").write_bytes(b"broken")
    with pytest.raises(SignIndexError, match="not a readable FAISS index"):
        SignIndex.load(tmp_path / "small", backend="faiss")
    assert len(SignIndex.load(tmp_path / "small")) == 200  # the exact backend never opens it


def test_a_filter_scales_the_probed_cells_by_its_fraction():
    vectors = unit_rows(np.random.default_rng(10), 8000, 8)
    approximate = ApproximateIndex(vectors, nlist=100, nprobe=4)
    assert approximate._probes(None) == 4
    assert approximate._probes(np.arange(0, 8000, 5)) == 20
    assert approximate._probes(np.arange(10)) == 100
