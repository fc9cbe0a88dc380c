"""Retrieval evaluation of a model on cached clips of a manifest."""

from __future__ import annotations

import numpy as np

from signclip.data.prepared import PreparedData
from signclip.evaluation.retrieval import retrieval_metrics
from signclip.inference import SignCLIPEncoder


def evaluate_clips(encoder: SignCLIPEncoder, data: PreparedData, indices: np.ndarray) -> dict:
    """Embed the clips at `indices` (whole clips, long ones windowed) and their distinct prompts,
    then score both retrieval directions."""
    clip_prompts = data.prompt_index[indices]
    used, clip_text_index = np.unique(clip_prompts, return_inverse=True)
    pose_emb = encoder.embed_features([data.cache.get(i) for i in indices])
    text_emb = encoder.embed_texts([data.prompts[p] for p in used])
    metrics = retrieval_metrics(pose_emb, text_emb, clip_text_index)
    metrics["clips"] = len(indices)
    metrics["texts"] = len(used)
    return metrics


# The recalls that pick the best checkpoint: R@1 alone moves in steps of 1/N on a small dev split,
# R@5 and R@10 still see a correct answer climbing towards the top.
SELECTION_KS = (1, 5, 10)


def selection_score(metrics: dict) -> float:
    """The number `checkpoints/best` maximises: the mean of R@1, R@5 and R@10 of text→pose and of
    pose→text over the whole dev split (`evaluate_clips`' metrics)."""
    recalls = [
        metrics[direction][f"R@{k}"]
        for direction in ("text_to_pose", "pose_to_text")
        for k in SELECTION_KS
    ]
    return float(sum(recalls) / len(recalls))
