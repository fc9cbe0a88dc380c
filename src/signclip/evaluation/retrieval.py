"""Retrieval metrics of the paper, text→pose and pose→text, computed on the full score matrix.

Ranks are pessimistic: a wrong candidate that ties with the best correct one counts as ranked
above it, so a model that gives every candidate the same score is scored at chance, never at 1.0.

Definitions, for a query with c correct among N candidates (text→pose: c clips of the text among
N clips; pose→text: c = 1 among M distinct texts):

- rank: the 1-based rank of the best-ranked correct candidate.
- R@k: the share of queries whose rank is at most k (1.0 for every query when k >= N).
- P@k: correct candidates in the top k, divided by the length of that list, min(k, N): with fewer
  than k candidates the list holds all N of them, so a perfect model still scores 1 if c = N.
- median_rank: the ordinary median of the queries' ranks, the mean of the two middle values for
  an even count. For a distribution it is the mean of the lowest rank r with P(rank <= r) >= 1/2
  and the lowest with P(rank <= r) > 1/2: both are the middle rank unless some rank reaches
  exactly 1/2, as the sample's two middle values do.

Chance levels are those of a ranking drawn uniformly at random, averaged over the same queries:
R@k = 1 - C(N - c, k) / C(N, k); P@k = c / N at every k (a random list of min(k, N) candidates
holds c * min(k, N) / N correct ones on average); median_rank is the median, in the convention
above, of the ranks of all queries pooled, each query's rank following
P(rank > r) = C(N - r, c) / C(N, c).
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


def _median(values: torch.Tensor) -> float:
    # torch's median is the lower middle value for an even count; numpy's is the ordinary one.
    return float(np.median(values.numpy()))


def _chance_median(num_candidates: int, num_correct: np.ndarray) -> float:
    """Median rank of a random ranking, pooled over queries with `num_correct` correct each."""
    kinds, queries = np.unique(num_correct, return_counts=True)
    ranks = np.arange(1, num_candidates + 1)
    below = np.zeros(num_candidates)  # P(rank <= r) for r = 1..N, pooled over the queries
    for c, count in zip(kinds, queries, strict=True):
        # P(rank > r) = C(N - r, c) / C(N, c), built as a running product so N can be large:
        # each step multiplies by C(N - r, c) / C(N - r + 1, c) = (N - r + 1 - c) / (N - r + 1).
        step = np.clip(num_candidates - ranks + 1 - c, 0, None) / (num_candidates - ranks + 1)
        below += count * (1.0 - np.cumprod(step))
    below /= queries.sum()
    # The running products are rounded: a rank whose cumulative share is within this of 1/2
    # counts as reaching exactly 1/2.
    tolerance = 1e-9
    lower = ranks[np.argmax(below >= 0.5 - tolerance)]
    upper = ranks[np.argmax(below > 0.5 + tolerance)]
    return float(lower + upper) / 2


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
        t2p[f"P@{k}"] = float((hits.float() / min(k, num_clips)).mean())
        t2p[f"R@{k}"] = float((t2p_ranks <= k).float().mean())
    t2p["median_rank"] = _median(t2p_ranks) if len(t2p_ranks) else 0.0
    t2p["mean_rank"] = float(t2p_ranks.float().mean())

    p2t_correct = torch.zeros(num_clips, num_texts, dtype=torch.bool)
    p2t_correct[torch.arange(num_clips), target] = True
    p2t_ranks = first_correct_ranks(pose @ text.T, p2t_correct)
    p2t: dict[str, float | int] = {"queries": num_clips, "candidates": num_texts}
    for k in ks:
        p2t[f"R@{k}"] = float((p2t_ranks <= k).float().mean())
    p2t["median_rank"] = _median(p2t_ranks)
    p2t["mean_rank"] = float(p2t_ranks.float().mean())

    counts = per_text.numpy()
    chance = {
        "text_to_pose": {
            **{f"P@{k}": float(np.mean(counts / num_clips)) for k in ks},
            **{f"R@{k}": _chance_recall(num_clips, counts, k) for k in ks},
            "median_rank": _chance_median(num_clips, counts),
        },
        "pose_to_text": {
            **{f"R@{k}": min(1.0, k / num_texts) for k in ks},
            "median_rank": _chance_median(num_texts, np.ones(1, dtype=np.int64)),
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
