"""Analogy probes: a − b + c, answered by the nearest other vectors (cosine).

Vectors are labelled by (sign language, concept). The default probes swap languages: concept X in
language A − X in language B + concept Y in language B should land on Y in language A, which holds
when the space separates "which language" from "which concept".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations

import numpy as np

from signclip.analysis.groups import unit_rows
from signclip.errors import SignclipError

Label = tuple[str, str]  # (sign language, concept)


class AnalogyError(SignclipError):
    """An analogy probe that is malformed or names something absent from the manifest."""


@dataclass(frozen=True)
class Probe:
    a: Label
    b: Label
    c: Label
    expected: Label | None

    def describe(self) -> str:
        return f"{_name(self.a)} − {_name(self.b)} + {_name(self.c)}"


def _name(label: Label) -> str:
    return f"{label[0]}:{label[1]}"


def parse_probe(text: str) -> Probe:
    """`"A:X,B:X,B:Y"` (language:concept terms); the expected answer is A:Y when the terms have
    that shape (a and b share a concept, b and c a language)."""
    terms = [t.strip() for t in text.split(",")]
    if len(terms) != 3 or not all(":" in t for t in terms):
        raise AnalogyError(
            f"--analogy {text!r}: expected three language:concept terms, e.g. 'ase:house,"
            "bfi:house,bfi:tree'"
        )
    a, b, c = (tuple(t.split(":", 1)) for t in terms)
    expected = (a[0], c[1]) if a[1] == b[1] and b[0] == c[0] else None
    return Probe(a, b, c, expected)  # type: ignore[arg-type]


def check_terms(probes: Sequence[Probe], present: set[Label]) -> None:
    """Refuse a probe that names a (language, concept) without clips."""
    for probe in probes:
        for term in (probe.a, probe.b, probe.c):
            if term not in present:
                raise AnalogyError(
                    f"analogy {probe.describe()}: {_name(term)} has no clips in the manifest"
                )


def default_probes(labels: Sequence[Label], limit: int, seed: int = 0) -> list[Probe]:
    """Up to `limit` language swaps A:X − B:X + B:Y → A:Y among labels that all exist."""
    present = set(labels)
    concepts_of: dict[str, set[str]] = {}
    for language, concept in labels:
        concepts_of.setdefault(language, set()).add(concept)
    candidates = []
    for lang_a, lang_b in permutations(sorted(concepts_of), 2):
        shared = sorted(concepts_of[lang_a] & concepts_of[lang_b])
        for x, y in permutations(shared, 2):
            if (lang_a, y) in present:
                candidates.append(Probe((lang_a, x), (lang_b, x), (lang_b, y), (lang_a, y)))
    if len(candidates) <= limit:
        return candidates
    chosen = np.random.default_rng(seed).choice(len(candidates), size=limit, replace=False)
    return [candidates[i] for i in sorted(chosen)]


def answer_probes(
    vectors: np.ndarray, labels: Sequence[Label], probes: Sequence[Probe], k: int = 5
) -> dict:
    """Top-k neighbours of each probe (its three terms excluded) and, where an answer is expected,
    its rank; the summary has top-1 accuracy, mean reciprocal rank and the top-1 chance level."""
    units = unit_rows(vectors)
    row_of = {label: i for i, label in enumerate(labels)}
    check_terms(probes, set(row_of))
    results = []
    for probe in probes:
        query = units[row_of[probe.a]] - units[row_of[probe.b]] + units[row_of[probe.c]]
        scores = units @ query
        for term in (probe.a, probe.b, probe.c):
            scores[row_of[term]] = -np.inf
        order = np.argsort(-scores, kind="stable")
        row = {
            "probe": probe.describe(),
            "neighbours": [_name(labels[i]) for i in order[:k]],
            "expected": None if probe.expected is None else _name(probe.expected),
        }
        if probe.expected is not None and probe.expected in row_of:
            row["rank"] = int(np.nonzero(order == row_of[probe.expected])[0][0]) + 1
        results.append(row)
    ranks = [r["rank"] for r in results if "rank" in r]
    summary = {
        "probes": len(results),
        "with_answer": len(ranks),
        "top1": float(np.mean([r == 1 for r in ranks])) if ranks else None,
        "mrr": float(np.mean([1.0 / r for r in ranks])) if ranks else None,
        "top1_chance": 1.0 / (len(labels) - 3) if len(labels) > 3 else None,
    }
    return {"summary": summary, "probes": results}


def answer_text_probe(
    query_vectors: np.ndarray, vectors: np.ndarray, labels: Sequence[Label], k: int = 5
) -> list[str]:
    """Neighbours of a − b + c for three free texts' embeddings [3, E] among labelled vectors."""
    a, b, c = unit_rows(query_vectors)
    scores = unit_rows(vectors) @ (a - b + c)
    return [_name(labels[i]) for i in np.argsort(-scores, kind="stable")[:k]]
