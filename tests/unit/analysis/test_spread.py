"""Concept spread across sign languages, against a loop-by-loop reference."""

import itertools
import math

import numpy as np

from signclip.analysis.groups import group_means
from signclip.analysis.spread import concept_spread


def naive_spread(emb, concepts, languages):
    """Per concept: plain-Python per-language means of unit vectors, pairwise cosine distances."""
    result = {}
    for concept in sorted(set(concepts)):
        means = {}
        for lang in sorted(set(languages)):
            rows = [
                [x / math.sqrt(sum(v * v for v in e)) for x in e]
                for e, c, g in zip(emb.tolist(), concepts, languages, strict=True)
                if c == concept and g == lang
            ]
            if rows:
                means[lang] = [sum(col) / len(rows) for col in zip(*rows, strict=True)]
        if len(means) < 2:
            continue
        distances = []
        for a, b in itertools.combinations(means.values(), 2):
            dot = sum(x * y for x, y in zip(a, b, strict=True))
            na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
            distances.append(1 - dot / (na * nb))
        result[concept] = sum(distances) / len(distances)
    return result


def synthetic(seed=0, iconic=("sun", "eat"), arbitrary=("house", "tree", "water", "friend")):
    """Iconic concepts look alike in every language; the others get a large per-language part."""
    rng = np.random.default_rng(seed)
    emb, concepts, languages = [], [], []
    for concept in (*iconic, *arbitrary):
        base = rng.normal(size=16)
        for lang in ("ase", "bfi", "gsg"):
            form = base if concept in iconic else base + 2.0 * rng.normal(size=16)
            for _ in range(3):
                emb.append(form + 0.05 * rng.normal(size=16))
                concepts.append(concept)
                languages.append(lang)
    return np.array(emb), concepts, languages


def test_matches_the_naive_reference():
    emb, concepts, languages = synthetic(seed=1)
    ranking = concept_spread(emb, concepts, languages)
    expected = naive_spread(emb, concepts, languages)
    assert {row["concept"] for row in ranking} == set(expected)
    np.testing.assert_allclose(
        [r["spread"] for r in ranking], [expected[r["concept"]] for r in ranking], atol=1e-12
    )
    assert [r["spread"] for r in ranking] == sorted(r["spread"] for r in ranking)
    assert all(r["languages"] == 3 and r["clips"] == 9 for r in ranking)


def test_iconic_concepts_rank_lowest():
    emb, concepts, languages = synthetic(seed=2)
    ranking = concept_spread(emb, concepts, languages)
    assert {r["concept"] for r in ranking[:2]} == {"sun", "eat"}
    assert ranking[1]["spread"] < 0.1 < ranking[2]["spread"]


def test_concepts_of_one_language_are_left_out():
    emb, concepts, languages = synthetic(seed=3)
    emb = np.vstack([emb, np.ones((2, 16))])
    ranking = concept_spread(emb, [*concepts, "only", "only"], [*languages, "ase", "ase"])
    assert "only" not in {r["concept"] for r in ranking}


def test_group_means_are_means_of_unit_rows():
    emb = np.array([[3.0, 4.0], [0.0, 2.0], [10.0, 0.0]])
    keys, means = group_means(emb, ["a", "b", "a"])
    assert keys == ["a", "b"]
    np.testing.assert_allclose(means, [[0.8, 0.4], [0.0, 1.0]])
