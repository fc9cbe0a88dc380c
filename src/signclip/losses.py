"""Symmetric InfoNCE over in-batch negatives."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from signclip.batch import Output
from signclip.config import LossConfig


def info_nce(
    pose_emb: torch.Tensor,
    text_emb: torch.Tensor,
    logit_scale: torch.Tensor | float,
    text_ids: torch.Tensor | None = None,
    reduction: str = "mean",
    duplicate_texts: str = "mask",
) -> torch.Tensor:
    """Cross entropy pose->text plus text->pose of `logit_scale * pose_emb @ text_emb.T`.

    Pair i's positive is column (row) i. `reduction` combines the two directions: "mean" or
    "sum" (the paper's). With `duplicate_texts="mask"`, a pair j != i whose `text_ids` equals
    pair i's is dropped from i's denominator, since its text is i's text, not a negative;
    "negatives" keeps it (the original's behaviour). Returns a float32 scalar.
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if duplicate_texts not in ("mask", "negatives"):
        raise ValueError(f"duplicate_texts must be 'mask' or 'negatives', got {duplicate_texts!r}")
    if pose_emb.ndim != 2 or pose_emb.shape != text_emb.shape:
        raise ValueError(
            f"expected two [B, E] embeddings, got {list(pose_emb.shape)} and {list(text_emb.shape)}"
        )
    # In float32: half-precision logits lose the small differences the softmax depends on.
    logits = logit_scale * (pose_emb.float() @ text_emb.float().T)
    if text_ids is not None and duplicate_texts == "mask":
        logits = logits.masked_fill(_same_text_elsewhere(text_ids), float("-inf"))
    targets = torch.arange(logits.shape[0], device=logits.device)
    pose_to_text = F.cross_entropy(logits, targets)
    text_to_pose = F.cross_entropy(logits.T, targets)
    total = pose_to_text + text_to_pose
    return total / 2 if reduction == "mean" else total


def _same_text_elsewhere(text_ids: torch.Tensor) -> torch.Tensor:
    """[B, B] bool: True where j != i and text_ids[j] == text_ids[i] (symmetric)."""
    same = text_ids.unsqueeze(0) == text_ids.unsqueeze(1)
    return same & ~torch.eye(len(text_ids), dtype=torch.bool, device=text_ids.device)


class ContrastiveLoss(nn.Module):
    """`info_nce` with the settings of a `LossConfig`, applied to a model's `Output`."""

    def __init__(self, cfg: LossConfig):
        super().__init__()
        self.cfg = cfg

    def forward(self, output: Output, text_ids: torch.Tensor | None = None) -> torch.Tensor:
        return info_nce(
            output.pose_emb,
            output.text_emb,
            output.logit_scale,
            text_ids,
            reduction=self.cfg.reduction,
            duplicate_texts=self.cfg.duplicate_texts,
        )
