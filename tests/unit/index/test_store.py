import json
from dataclasses import replace

import numpy as np
import pytest

from signclip.errors import SignclipError
from signclip.index import ClipNotFoundError, QueryError, SignIndex, SignIndexError
from tests.unit.index.helpers import records, unit_rows

MODEL = {"path": "/models/m", "config_sha256": "c1", "weights_sha256": "w1", "normalize": True}


def make_index(count=60, dim=16, seed=0) -> SignIndex:
    rng = np.random.default_rng(seed)
    return SignIndex(dim, MODEL, unit_rows(rng, count, dim), records(count))


def reference_search(index: SignIndex, query: np.ndarray, k: int, sign_language=None):
    """Every row scored like SignCLIPEncoder.similarity, fully sorted, ties by row."""
    scores = (index.vectors @ query[:, None])[:, 0]
    rows = [
        i
        for i in range(len(index))
        if sign_language is None or index.records[i].sign_language == sign_language
    ]
    rows.sort(key=lambda i: (-scores[i], i))
    return [(index.records[i].clip_id, scores[i]) for i in rows[:k]]


def test_exact_search_equals_a_full_sort():
    index = make_index()
    queries = unit_rows(np.random.default_rng(1), 5, index.dim)
    results = index.search(queries, k=7)
    for query, hits in zip(queries, results, strict=True):
        expected = reference_search(index, query, 7)
        assert [h.clip_id for h in hits] == [clip_id for clip_id, _ in expected]
        np.testing.assert_allclose([h.score for h in hits], [s for _, s in expected], rtol=1e-6)
        assert [h.rank for h in hits] == list(range(1, 8))


def test_scores_are_the_encoders_similarity():
    # Paper-model vectors are not normalised: the score is the raw dot product, not a cosine.
    rng = np.random.default_rng(2)
    vectors = 3.0 * rng.standard_normal((20, 8)).astype(np.float32)
    index = SignIndex(8, {**MODEL, "normalize": False}, vectors, records(20))
    query = rng.standard_normal(8).astype(np.float32)
    hit = index.search(query, k=1)[0][0]
    similarity = vectors @ query[None, :].T  # SignCLIPEncoder.similarity(poses, texts)
    row = int(np.argmax(similarity[:, 0]))
    assert hit.clip_id == f"clip-{row}"
    assert hit.score == pytest.approx(float(similarity[row, 0]), rel=1e-6)


def test_ties_come_back_in_row_order():
    vectors = np.tile(np.eye(4, dtype=np.float32)[:1], (6, 1))  # six identical rows
    index = SignIndex(4, MODEL, vectors, records(6))
    hits = index.search(np.eye(4, dtype=np.float32)[0], k=4)[0]
    assert [h.clip_id for h in hits] == ["clip-0", "clip-1", "clip-2", "clip-3"]


# 31 ase rows of 61 are scored with the whole matrix, the 30 gsg rows gathered first.
@pytest.mark.parametrize("language", ["ase", "gsg"])
def test_sign_language_filter_returns_k_of_that_language(language):
    index = make_index(count=61)
    query = unit_rows(np.random.default_rng(3), 1, index.dim)[0]
    hits = index.search(query, k=10, sign_language=language)[0]
    assert len(hits) == 10
    assert {h.sign_language for h in hits} == {language}
    expected = reference_search(index, query, 10, sign_language=language)
    assert [h.clip_id for h in hits] == [clip_id for clip_id, _ in expected]


def test_unknown_sign_language_gives_empty_results():
    index = make_index()
    assert index.search(np.ones((2, index.dim), np.float32), k=3, sign_language="xyz") == [[], []]


def test_fewer_rows_than_k_returns_them_all():
    index = make_index(count=5)
    assert len(index.search(np.ones(index.dim, np.float32), k=50)[0]) == 5


def test_add_appends_and_is_searchable():
    index = make_index(count=10)
    new = replace(records(1)[0], clip_id="new-clip", text="house")
    vector = np.zeros((1, index.dim), np.float32)
    vector[0, 0] = 1.0
    index.add(vector, [new])
    assert len(index) == 11
    hit = index.search(vector, k=1)[0][0]
    assert (hit.clip_id, hit.text) == ("new-clip", "house")
    assert index.get("new-clip").text == "house"


def test_add_refuses_duplicate_ids_and_adds_nothing():
    index = make_index(count=10)
    before = index.vectors.copy()
    again = [replace(records(1)[0], clip_id="fresh"), records(3)[2]]
    with pytest.raises(SignIndexError, match="clip-2"):
        index.add(np.ones((2, index.dim), np.float32), again)
    with pytest.raises(SignIndexError, match="'twice'"):
        twice = [replace(records(1)[0], clip_id="twice")] * 2
        index.add(np.ones((2, index.dim), np.float32), twice)
    assert len(index) == 10 and np.array_equal(index.vectors, before)


@pytest.mark.parametrize(
    "vectors", [np.ones((2, 5), np.float32), np.ones((3, 16), np.float32), np.full((2, 16), np.nan)]
)
def test_add_refuses_bad_vectors(vectors):
    index = make_index(count=4)
    with pytest.raises(SignIndexError):
        index.add(vectors, [replace(r, clip_id=f"n{i}") for i, r in enumerate(records(2))])


def test_save_load_round_trips_exactly(tmp_path):
    index = make_index(count=33)
    index.save(tmp_path / "idx")
    loaded = SignIndex.load(tmp_path / "idx")
    assert np.array_equal(loaded.vectors, index.vectors)
    assert loaded.vectors.dtype == np.float32
    assert loaded.records == index.records
    assert (loaded.dim, loaded.model) == (index.dim, index.model)
    query = np.ones(index.dim, np.float32)
    assert loaded.search(query, k=5) == index.search(query, k=5)


def test_save_replaces_an_index_and_leaves_no_temporary_folders(tmp_path):
    make_index(count=5).save(tmp_path / "idx")
    make_index(count=9, seed=4).save(tmp_path / "idx")
    assert len(SignIndex.load(tmp_path / "idx")) == 9
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_save_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notes.txt").write_text("keep me")
    with pytest.raises(SignIndexError, match="not a sign index"):
        make_index(count=3).save(tmp_path / "work")
    assert (tmp_path / "work" / "notes.txt").read_text() == "keep me"


def test_get_unknown_id():
    with pytest.raises(ClipNotFoundError, match="'nope'"):
        make_index(count=3).get("nope")


def test_missing_index_is_a_one_line_error(tmp_path):
    with pytest.raises(SignclipError, match="no such index"):
        SignIndex.load(tmp_path / "absent")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "index.json").write_text("{"), "not readable JSON"),
        (lambda p: (p / "vectors.npy").write_bytes(b"garbage"), "not a readable .npy"),
        (lambda p: np.save(p / "vectors.npy", np.ones((4, 16), np.float32)), "shape"),
        (lambda p: np.save(p / "vectors.npy", np.ones((6, 16))), "float32"),
        (lambda p: (p / "metadata.jsonl").write_text('{"id": 1}\n' * 6), "line 1"),
        (lambda p: (p / "metadata.jsonl").write_text("not json\n"), "line 1"),
        (
            lambda p: (p / "index.json").write_text(json.dumps({"format_version": 99})),
            "format_version 99",
        ),
    ],
)
def test_damaged_files_are_one_line_errors(tmp_path, damage, message):
    make_index(count=6).save(tmp_path / "idx")
    damage(tmp_path / "idx")
    with pytest.raises(SignIndexError, match=message) as caught:
        SignIndex.load(tmp_path / "idx")
    assert "\n" not in str(caught.value)


def test_nan_vectors_on_disk_are_refused(tmp_path):
    index = make_index(count=6)
    index.save(tmp_path / "idx")
    vectors = index.vectors.copy()
    vectors[2, 3] = np.nan
    np.save(tmp_path / "idx" / "vectors.npy", vectors)
    with pytest.raises(SignIndexError, match="NaN"):
        SignIndex.load(tmp_path / "idx")


@pytest.mark.parametrize(
    ("query", "k", "message"),
    [
        (np.ones(5, np.float32), 3, "dimension 16"),
        (np.ones((2, 3, 16), np.float32), 3, "dimension 16"),
        (np.full(16, np.nan, np.float32), 3, "NaN"),
        (np.ones(16, np.float32), 0, "k must be"),
        (np.ones(16, np.float32), -2, "k must be"),
        (np.ones(16, np.float32), 2.5, "k must be"),
    ],
)
def test_bad_queries(query, k, message):
    with pytest.raises(QueryError, match=message):
        make_index().search(query, k=k)


def test_unknown_backend():
    with pytest.raises(QueryError, match="backend"):
        make_index().search(np.ones(16, np.float32), backend="annoy")


def test_check_model_refuses_other_weights():
    index = make_index(count=3)
    index.check_model(dict(MODEL))
    with pytest.raises(SignIndexError, match="weights differ"):
        index.check_model({**MODEL, "weights_sha256": "other"})
