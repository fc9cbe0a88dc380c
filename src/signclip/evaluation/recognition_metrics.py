"""Accuracy of a classifier that scores every clip against every class.

A method hands over scores [Q, C] (Q test clips, C classes) and the true class of each clip; the
numbers are the same for every method, so zero-shot, few-shot and probe results line up. Ranks are
pessimistic as in `retrieval.py`: a wrong class that ties with the true one is ranked above it, and
a class a method cannot score at all (-inf) ties with every other such class.
"""

from __future__ import annotations

import numpy as np
import torch

from signclip.evaluation.retrieval import first_correct_ranks

DEFAULT_TOPK = (1, 5, 10)


def true_class_ranks(scores: torch.Tensor | np.ndarray, target: np.ndarray) -> np.ndarray:
    """1-based rank [Q] of each clip's true class among the C classes of its row of scores."""
    scores = torch.as_tensor(np.asarray(scores, dtype=np.float64))
    target_t = torch.as_tensor(np.asarray(target), dtype=torch.long)
    correct = torch.zeros(scores.shape, dtype=torch.bool)
    correct[torch.arange(len(target_t)), target_t] = True
    return first_correct_ranks(scores, correct).numpy()


def classification_metrics(
    scores: torch.Tensor | np.ndarray,
    target: np.ndarray,
    class_names: list[str],
    ks: tuple[int, ...] = DEFAULT_TOPK,
) -> dict:
    """Top-k accuracy, rank of the true class, per-class top-1 accuracy and the chance levels."""
    num_clips, num_classes = np.shape(scores)
    if num_clips == 0 or num_classes == 0:
        raise ValueError("recognition needs at least one test clip and one class")
    if num_classes != len(class_names):
        raise ValueError(f"{num_classes} score columns for {len(class_names)} class names")
    target = np.asarray(target)
    ranks = true_class_ranks(scores, target)
    per_class = {
        name: float(np.mean(ranks[target == c] == 1))
        for c, name in enumerate(class_names)
        if np.any(target == c)
    }
    return {
        **{f"top{k}": float(np.mean(ranks <= k)) for k in ks},
        "median_rank": float(np.median(ranks)),
        "mean_rank": float(np.mean(ranks)),
        "classes": num_classes,
        "test_clips": num_clips,
        # Mean over classes of per-class accuracy: not dominated by the most frequent classes.
        "balanced_top1": float(np.mean(list(per_class.values()))),
        "per_class_top1": per_class,
        "chance": {
            **{f"top{k}": min(1.0, k / num_classes) for k in ks},
            "median_rank": (num_classes + 1) / 2,
        },
    }


def format_recognition_table(results: dict[str, dict], ks: tuple[int, ...] = DEFAULT_TOPK) -> str:
    """One row per method: top-k accuracy, median rank, and chance at top-1 and top-k."""
    header = ("method", *[f"top-{k}" for k in ks], "median rank", "chance top-1", "chance top-k")
    rows = [header]
    for method, m in results.items():
        chance_k = "/".join(f"{m['chance'][f'top{k}']:.3f}" for k in ks[1:])
        rows.append(
            (
                method,
                *[f"{m[f'top{k}']:.3f}" for k in ks],
                f"{m['median_rank']:.1f}",
                f"{m['chance']['top1']:.3f}",
                chance_k,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
