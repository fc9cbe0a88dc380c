"""Symmetric InfoNCE over in-batch negatives, on one process or gathered from several."""

from __future__ import annotations

import torch
import torch.distributed as dist
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


def gathered_info_nce(
    pose_emb: torch.Tensor,
    text_emb: torch.Tensor,
    logit_scale: torch.Tensor | float,
    text_ids: torch.Tensor | None = None,
    reduction: str = "mean",
    duplicate_texts: str = "mask",
) -> torch.Tensor:
    """`info_nce` over the global batch: the same-sized batches of every process, in rank order.

    Every process gets the same loss, with the clips of all processes as negatives. Its gradient
    reaches only this process's own embeddings (the others' rows are copies): the partial
    derivative of the global loss with respect to them. `logit_scale` gets its full gradient on
    every process. `text_ids` must mean the same text on every process. Without a process group,
    or with a single process, this is `info_nce` itself.
    """
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return info_nce(pose_emb, text_emb, logit_scale, text_ids, reduction, duplicate_texts)
    return info_nce(
        _gather_rows(pose_emb),
        _gather_rows(text_emb),
        logit_scale,
        None if text_ids is None else _gather_rows(text_ids),
        reduction,
        duplicate_texts,
    )


def _gather_rows(local: torch.Tensor) -> torch.Tensor:
    """[B, ...] on each process -> [world * B, ...] in rank order."""
    parts = [torch.empty_like(local) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, local.detach().contiguous())
    # all_gather's outputs are not part of the graph: putting this process's own tensor back in
    # its slot lets the loss differentiate through the local rows.
    parts[dist.get_rank()] = local
    return torch.cat(parts)


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
