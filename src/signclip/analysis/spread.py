"""How differently the sign languages sign each concept, measured in the pose embedding space.

For one concept: the mean (unit) pose embedding per sign language, then the mean pairwise cosine
distance between those means. A concept that every language signs alike (an iconic sign) has a
low spread; one with unrelated forms, a high spread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from signclip.analysis.groups import group_means, unit_rows


def concept_spread(
    pose_emb: np.ndarray, concepts: Sequence[str], languages: Sequence[str]
) -> list[dict]:
    """One row per concept signed in at least two languages, lowest spread first.

    Rows: `concept`, `spread` (mean pairwise cosine distance of the per-language means, in
    [0, 2]), `languages` (how many), `clips`.
    """
    keys, means = group_means(pose_emb, list(zip(concepts, languages, strict=True)))
    clips: dict[str, int] = {}
    for concept in concepts:
        clips[concept] = clips.get(concept, 0) + 1
    by_concept: dict[str, list[int]] = {}
    for row, (concept, _) in enumerate(keys):
        by_concept.setdefault(concept, []).append(row)
    ranking = []
    for concept, rows in by_concept.items():
        if len(rows) < 2:
            continue  # one language: nothing to compare
        units = unit_rows(means[rows])
        similarity = units @ units.T
        upper = np.triu_indices(len(rows), k=1)
        spread = float(np.mean(1.0 - similarity[upper]))
        ranking.append(
            {"concept": concept, "spread": spread, "languages": len(rows), "clips": clips[concept]}
        )
    ranking.sort(key=lambda row: (row["spread"], row["concept"]))
    return ranking
