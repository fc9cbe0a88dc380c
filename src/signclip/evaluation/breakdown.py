"""Where retrieval succeeds and fails, by sign language: per-language recall in the shared ranking
of every language, and what a wrong sign→text answer was instead (the right concept in another
sign language, another concept of the same language, or neither)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from signclip.evaluation.retrieval import first_correct_ranks

Label = tuple[str, str]  # (sign language, concept)
ERROR_KINDS = ("correct", "other_language", "other_concept", "both_wrong")


def language_breakdown(
    scores: np.ndarray,
    clip_labels: Sequence[Label],
    text_labels: Sequence[Label],
) -> dict:
    """`scores` [N, M]: clip i against text j, where a clip matches the text of its own
    (sign language, concept). Returns per-language R@1 in both directions with their chance
    levels, and the share of each kind of sign→text top-1 answer (`ERROR_KINDS`)."""
    column = {label: j for j, label in enumerate(text_labels)}
    target = np.array([column[label] for label in clip_labels], np.int64)
    correct = torch.from_numpy(target[:, None] == np.arange(len(text_labels))[None, :])
    score_t = torch.from_numpy(np.asarray(scores, np.float32))
    p2t_ranks = first_correct_ranks(score_t, correct).numpy()
    queried = correct.any(dim=0).numpy()  # texts with at least one clip
    t2p_ranks = np.zeros(len(text_labels), np.int64)
    t2p_ranks[queried] = first_correct_ranks(score_t.T[queried], correct.T[queried]).numpy()

    clip_language = np.array([language for language, _ in clip_labels])
    text_language = np.array([language for language, _ in text_labels])
    per_language = {}
    for language in sorted(set(clip_language)):
        clips = clip_language == language
        texts = (text_language == language) & queried
        per_language[language] = {
            "clips": int(clips.sum()),
            "texts": int(texts.sum()),
            "pose_to_text_R@1": float(np.mean(p2t_ranks[clips] == 1)),
            "text_to_pose_R@1": float(np.mean(t2p_ranks[texts] == 1)),
        }
    return {
        "languages": per_language,
        "chance_pose_to_text_R@1": 1.0 / len(text_labels),
        "pose_to_text_top1": _answer_kinds(scores, clip_labels, text_labels),
    }


def _answer_kinds(
    scores: np.ndarray, clip_labels: Sequence[Label], text_labels: Sequence[Label]
) -> dict:
    counts = dict.fromkeys(ERROR_KINDS, 0)
    for row, (language, concept) in enumerate(clip_labels):
        answer_language, answer_concept = text_labels[int(np.argmax(scores[row]))]
        same_language, same_concept = answer_language == language, answer_concept == concept
        if same_language and same_concept:
            counts["correct"] += 1
        elif same_concept:
            counts["other_language"] += 1
        elif same_language:
            counts["other_concept"] += 1
        else:
            counts["both_wrong"] += 1
    return {kind: count / len(clip_labels) for kind, count in counts.items()}


def cross_language_similarity(text_emb: np.ndarray, text_labels: Sequence[Label]) -> dict | None:
    """Cosine between the prompts of one concept in two sign languages (`<en> <ase> X` against
    `<en> <gsg> X`): 1.0 means the prompts cannot tell the languages apart. None without such
    pairs."""
    unit = text_emb / np.linalg.norm(text_emb, axis=1, keepdims=True).clip(min=1e-12)
    by_concept: dict[str, list[int]] = {}
    for j, (_, concept) in enumerate(text_labels):
        by_concept.setdefault(concept, []).append(j)
    cosines = [
        float(unit[a] @ unit[b])
        for rows in by_concept.values()
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
    ]
    if not cosines:
        return None
    return {"pairs": len(cosines), "mean": float(np.mean(cosines)), "max": float(np.max(cosines))}
