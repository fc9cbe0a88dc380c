"""Retrieval metrics of the paper, text→pose and pose→text, computed on the full score matrix.

Ranks are pessimistic: a wrong candidate that ties with the best correct one counts as ranked
above it, so a model that gives every candidate the same score is scored at chance, never at 1.0.
"""

from __future__ import annotations

import math

import numpy as np
import torch

DEFAULT_KS = (1, 5, 10)


def unique_texts(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in first-seen order, and for each clip the index of its text."""
    order: dict[str, int] = {}
    index = np.array([order.setdefault(t, len(order)) for t in texts], dtype=np.int64)
    return list(order), index


def first_correct_ranks(scores: torch.Tensor, correct: torch.Tensor) -> torch.Tensor:
    """1-based rank of the best-scoring correct candidate in each row.

    scores [Q, N]; correct [Q, N] bool with at least one True per row. A NaN score ranks last:
    every comparison with NaN is false, which would otherwise rank a broken model first.
    """
    scores = scores.nan_to_num(nan=float("-inf"))
    best_correct = scores.masked_fill(~correct, float("-inf")).amax(dim=1, keepdim=True)
    wrong_ahead = ((scores >= best_correct) & ~correct).sum(dim=1)
    return wrong_ahead + 1


def _hits_in_top_k(scores: torch.Tensor, correct: torch.Tensor, k: int) -> torch.Tensor:
    """How many correct candidates fall in each row's top k, ties ranked against correct ones."""
    k = min(k, scores.shape[1])
    scores = scores.nan_to_num(nan=float("-inf"))  # as in first_correct_ranks
    # Two stable sorts: wrong candidates first, then by descending score, so among equal scores
    # the wrong ones come first (the same pessimism as first_correct_ranks).
    by_label = torch.sort(correct.to(torch.int8), dim=1, stable=True).indices
    by_score = torch.sort(-scores.gather(1, by_label), dim=1, stable=True).indices
    top = by_label.gather(1, by_score[:, :k])
    return correct.gather(1, top).sum(dim=1)


def _chance_recall(num_candidates: int, num_correct: np.ndarray, k: int) -> float:
    """Expected R@k of a random ranking: 1 - C(N - c, k) / C(N, k), averaged over queries."""
    values = [
        1.0 - math.comb(num_candidates - c, k) / math.comb(num_candidates, k)
        if k <= num_candidates
        else 1.0
        for c in num_correct
    ]
    return float(np.mean(values))


def retrieval_metrics(
    pose_emb: torch.Tensor | np.ndarray,
    text_emb: torch.Tensor | np.ndarray,
    clip_text_index: np.ndarray,
    ks: tuple[int, ...] = DEFAULT_KS,
) -> dict:
    """All retrieval numbers for N clips and M distinct texts.

    pose_emb [N, E]; text_emb [M, E] (one row per distinct text); clip_text_index [N] gives the
    row of each clip's text. Text→pose: one query per distinct text, every clip with that text is
    correct. Pose→text: one query per clip against the M distinct texts.
    """
    pose = torch.as_tensor(pose_emb, dtype=torch.float32)
    text = torch.as_tensor(text_emb, dtype=torch.float32)
    target = torch.as_tensor(np.asarray(clip_text_index), dtype=torch.long)
    num_clips, num_texts = pose.shape[0], text.shape[0]
    if num_clips == 0 or num_texts == 0:
        raise ValueError("retrieval needs at least one clip and one text")
    scores = text @ pose.T  # [M, N]
    correct = target.unsqueeze(0) == torch.arange(num_texts).unsqueeze(1)  # [M, N]
    queried = correct.any(dim=1)
    scores, correct = scores[queried], correct[queried]
    per_text = correct.sum(dim=1)

    t2p_ranks = first_correct_ranks(scores, correct)
    t2p: dict[str, float | int] = {"queries": int(scores.shape[0]), "candidates": num_clips}
    for k in ks:
        hits = _hits_in_top_k(scores, correct, k)
        t2p[f"P@{k}"] = float((hits.float() / k).mean())
        t2p[f"R@{k}"] = float((t2p_ranks <= k).float().mean())
    t2p["median_rank"] = float(t2p_ranks.float().median(dim=0).values) if len(t2p_ranks) else 0.0
    t2p["mean_rank"] = float(t2p_ranks.float().mean())

    p2t_correct = torch.zeros(num_clips, num_texts, dtype=torch.bool)
    p2t_correct[torch.arange(num_clips), target] = True
    p2t_ranks = first_correct_ranks(pose @ text.T, p2t_correct)
    p2t: dict[str, float | int] = {"queries": num_clips, "candidates": num_texts}
    for k in ks:
        p2t[f"R@{k}"] = float((p2t_ranks <= k).float().mean())
    p2t["median_rank"] = float(p2t_ranks.float().median())
    p2t["mean_rank"] = float(p2t_ranks.float().mean())

    counts = per_text.numpy()
    chance = {
        "text_to_pose": {
            **{f"P@{k}": float(np.mean(counts / num_clips)) for k in ks},
            **{f"R@{k}": _chance_recall(num_clips, counts, k) for k in ks},
            "median_rank": float(np.median((num_clips - counts) / (counts + 1) + 1)),
        },
        "pose_to_text": {
            **{f"R@{k}": min(1.0, k / num_texts) for k in ks},
            "median_rank": (num_texts + 1) / 2,
        },
    }
    return {"text_to_pose": t2p, "pose_to_text": p2t, "chance": chance}


def format_table(metrics: dict, ks: tuple[int, ...] = DEFAULT_KS) -> str:
    """A plain-text table of the metrics with the chance level beside each number."""
    rows = [("direction", "metric", "value", "chance")]
    for direction, label in (("text_to_pose", "text→pose"), ("pose_to_text", "pose→text")):
        part, chance = metrics[direction], metrics["chance"][direction]
        names = [f"P@{k}" for k in ks] if direction == "text_to_pose" else []
        names += [f"R@{k}" for k in ks] + ["median_rank"]
        for name in names:
            rows.append((label, name, _fmt(part[name]), _fmt(chance[name])))
        rows.append(
            (label, "queries × candidates", f"{part['queries']} × {part['candidates']}", "")
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"
