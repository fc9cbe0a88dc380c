"""Sign-language identification from language prompts alone.

Each sign language gets one prompt with no concept, e.g. `<en> <ase>`; a pose is assigned the
language whose prompt scores highest against it (the model's own similarity). How far above chance
this lands says how much the pose embeddings carry the language, not only the concept.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def identify_languages(
    scores: np.ndarray, true_languages: Sequence[str], names: Sequence[str]
) -> dict:
    """`scores` [N, L]: pose i against the prompt of language `names[j]`.

    Returns accuracy, two chance levels (uniform 1/L and always guessing the most frequent
    language), per-language recall and the confusion matrix (rows: true, columns: predicted).
    """
    names = list(names)
    if scores.shape != (len(true_languages), len(names)):
        raise ValueError(
            f"scores {list(scores.shape)} do not match {len(true_languages)} poses and "
            f"{len(names)} languages"
        )
    column = {name: j for j, name in enumerate(names)}
    truth = np.array([column[lang] for lang in true_languages], np.int64)
    predicted = np.argmax(scores, axis=1)
    confusion = np.zeros((len(names), len(names)), np.int64)
    np.add.at(confusion, (truth, predicted), 1)
    support = confusion.sum(axis=1)
    recall = {
        name: (float(confusion[j, j] / support[j]) if support[j] else None)
        for j, name in enumerate(names)
    }
    return {
        "languages": names,
        "accuracy": float(np.mean(predicted == truth)),
        "chance_uniform": 1.0 / len(names),
        "chance_majority": float(support.max() / support.sum()),
        "recall": recall,
        "confusion": confusion.tolist(),
    }
