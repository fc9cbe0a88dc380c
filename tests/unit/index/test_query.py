from types import SimpleNamespace

import numpy as np
import pytest

from signclip.index import SignIndex
from signclip.index.errors import QueryError
from signclip.index.query import language_pairs, search_pose, search_text
from tests.unit.index.helpers import records, unit_rows

DIM = 12


class PromptEncoder:
    """Stands in for SignCLIPEncoder: each prompt's embedding is a fixed random unit vector."""

    contract = SimpleNamespace(prompt="<{spoken_language}> <{sign_language}> {text}")

    def __init__(self):
        self.prompts: list[str] = []

    def embed_texts(self, prompts):
        self.prompts += prompts
        return np.stack([self.vector(p) for p in prompts])

    @staticmethod
    def vector(prompt: str) -> np.ndarray:
        seed = sum(prompt.encode()) * 7919 + len(prompt)
        return unit_rows(np.random.default_rng(seed), 1, DIM)[0]

    def embed_poses(self, poses):
        return np.stack([p for p in poses])


def make_index() -> SignIndex:
    rows = records(30, languages=("ase", "gsg", "swl"))
    return SignIndex(DIM, {"path": "m"}, unit_rows(np.random.default_rng(0), 30, DIM), rows)


def reference(index, encoder, text, pairs, k):
    """Every clip scored against the prompt of its own language pair, fully sorted."""
    scored = []
    for i, r in enumerate(index.records):
        if (r.spoken_language, r.sign_language) in pairs:
            prompt = f"<{r.spoken_language}> <{r.sign_language}> {text}"
            scored.append((-float(index.vectors[i] @ encoder.vector(prompt)), i))
    return [index.records[i].clip_id for _, i in sorted(scored)[:k]]


def test_one_prompt_per_language_pair_merged_by_score():
    index = make_index()
    encoder = PromptEncoder()
    hits = search_text(encoder, index, "house", k=8)
    assert encoder.prompts == ["<de> <gsg> house", "<en> <ase> house", "<en> <swl> house"]
    pairs = set(language_pairs(index))
    assert [h.clip_id for h in hits] == reference(index, encoder, "house", pairs, 8)
    assert [h.rank for h in hits] == list(range(1, 9))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_sign_language_picks_its_prompt_and_clips():
    index = make_index()
    encoder = PromptEncoder()
    hits = search_text(encoder, index, "tree", k=20, sign_language="swl")
    assert encoder.prompts == ["<en> <swl> tree"]
    assert len(hits) == 10 and {h.sign_language for h in hits} == {"swl"}
    assert [h.clip_id for h in hits] == reference(index, encoder, "tree", {("en", "swl")}, 20)


def test_custom_template_and_unknown_language():
    index = make_index()
    encoder = PromptEncoder()
    search_text(
        encoder, index, "tree", k=3, sign_language="ase", template="{text} in {sign_language}"
    )
    assert encoder.prompts == ["tree in ase"]
    assert search_text(encoder, index, "tree", k=3, sign_language="xyz") == []


def test_pose_query_searches_its_embedding():
    index = make_index()
    hits = search_pose(PromptEncoder(), index, index.vectors[4], k=2)
    assert hits[0].clip_id == "clip-4"


def test_a_text_with_its_own_tags_is_searched_once_as_written():
    index, encoder = make_index(), PromptEncoder()
    hits = search_text(encoder, index, "<en> <swl> house", k=5)
    assert encoder.prompts == ["<en> <swl> house"]  # not wrapped in the template again
    scores = index.vectors @ encoder.vector("<en> <swl> house")
    expected = [index.records[i].clip_id for i in np.argsort(-scores, kind="stable")[:5]]
    assert [h.clip_id for h in hits] == expected


def test_an_empty_text_is_refused():
    with pytest.raises(QueryError, match="empty"):
        search_text(PromptEncoder(), make_index(), "   ")
