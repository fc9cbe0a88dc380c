"""Analogy probes against a brute-force reference, on vectors with a known additive structure."""

import numpy as np
import pytest

from signclip.analysis.analogy import (
    AnalogyError,
    Probe,
    answer_probes,
    answer_text_probe,
    default_probes,
    parse_probe,
)

LANGUAGES = ("ase", "bfi", "gsg")
CONCEPTS = ("house", "tree", "water", "friend", "sun")


def additive(seed=0, noise=0.02):
    """v(language, concept) = language part + concept part: every language swap holds."""
    rng = np.random.default_rng(seed)
    lang = {g: rng.normal(size=24) for g in LANGUAGES}
    concept = {c: rng.normal(size=24) for c in CONCEPTS}
    labels = [(g, c) for g in LANGUAGES for c in CONCEPTS]
    vectors = np.array([lang[g] + concept[c] + noise * rng.normal(size=24) for g, c in labels])
    return vectors, labels


def brute_force(vectors, labels, probe, k):
    unit = [v / np.linalg.norm(v) for v in vectors]
    row = {label: i for i, label in enumerate(labels)}
    query = unit[row[probe.a]] - unit[row[probe.b]] + unit[row[probe.c]]
    scored = []
    for i, v in enumerate(unit):
        if labels[i] in (probe.a, probe.b, probe.c):
            continue
        scored.append((-float(v @ query), i))
    return [f"{labels[i][0]}:{labels[i][1]}" for _, i in sorted(scored)[:k]]


def test_language_swaps_hold_in_an_additive_space():
    vectors, labels = additive()
    probes = default_probes(labels, limit=40)
    result = answer_probes(vectors, labels, probes, k=3)
    assert result["summary"]["top1"] == 1.0
    assert result["summary"]["mrr"] == 1.0
    assert result["summary"]["top1_chance"] == pytest.approx(1 / (len(labels) - 3))
    for probe, row in zip(probes, result["probes"], strict=True):
        assert row["neighbours"] == brute_force(vectors, labels, probe, 3)
        assert row["neighbours"][0] == row["expected"]


def test_random_space_matches_brute_force_and_ranks_are_right():
    rng = np.random.default_rng(5)
    labels = [(g, c) for g in LANGUAGES for c in CONCEPTS]
    vectors = rng.normal(size=(len(labels), 8))
    probes = default_probes(labels, limit=25, seed=1)
    result = answer_probes(vectors, labels, probes, k=len(labels) - 3)
    for probe, row in zip(probes, result["probes"], strict=True):
        full = brute_force(vectors, labels, probe, len(labels) - 3)
        assert row["neighbours"] == full
        assert row["rank"] == full.index(row["expected"]) + 1
    assert result["summary"]["top1"] < 1.0  # no structure: swaps mostly fail


def test_default_probes_are_swaps_of_present_labels():
    labels = [(g, c) for g in LANGUAGES for c in CONCEPTS[:4]]
    everything = default_probes(labels, limit=10_000)
    assert len(everything) == 3 * 2 * 4 * 3  # ordered language pairs × ordered concept pairs
    for probe in everything:
        (la, x), (lb, x2), (lb2, y) = probe.a, probe.b, probe.c
        assert x == x2 and lb == lb2 and la != lb and x != y
        assert probe.expected == (la, y)
    some = default_probes(labels, limit=10, seed=3)
    assert len(some) == 10 and len(set(some)) == 10
    assert some == default_probes(labels, limit=10, seed=3)
    # A label absent in one language removes the probes that would need it.
    partial = [label for label in labels if label != ("gsg", "tree")]
    assert all(
        ("gsg", "tree") not in (p.a, p.b, p.c, p.expected)
        for p in default_probes(partial, limit=10_000)
    )


def test_parse_probe():
    assert parse_probe("ase:house, bfi:house, bfi:tree") == Probe(
        ("ase", "house"), ("bfi", "house"), ("bfi", "tree"), ("ase", "tree")
    )
    assert parse_probe("ase:king,ase:man,ase:woman").expected is None
    with pytest.raises(AnalogyError, match="three language:concept terms"):
        parse_probe("ase:house,bfi:house")


def test_unknown_term_is_named():
    vectors, labels = additive()
    probe = parse_probe("ase:house,bfi:house,bfi:moon")
    with pytest.raises(AnalogyError, match="bfi:moon has no clips"):
        answer_probes(vectors, labels, [probe])


def test_free_text_probe():
    vectors, labels = additive(noise=0.0)
    row = {label: i for i, label in enumerate(labels)}
    query = vectors[[row[("ase", "tree")], row[("ase", "house")], row[("gsg", "house")]]]
    assert answer_text_probe(query, vectors, labels, k=2)[0] == "gsg:tree"
