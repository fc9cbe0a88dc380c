"""The tensors that flow between data, models and losses, and the shape letters used everywhere.

Shape letters: B batch, T frames, K points, D coordinates per point, F features per frame (K * D),
L text tokens, W model width, E embedding size, C classes, N index size.
Mask convention: True marks a real frame or token, everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class PoseBatch:
    features: torch.Tensor  # [B, T, F] float32, zero on padding
    mask: torch.Tensor  # [B, T] bool, True = real frame

    def to(self, device: torch.device | str) -> PoseBatch:
        return PoseBatch(
            self.features.to(device, non_blocking=True), self.mask.to(device, non_blocking=True)
        )

    def __len__(self) -> int:
        return self.features.shape[0]


@dataclass
class TextBatch:
    input_ids: torch.Tensor  # [B, L] int64
    attention_mask: torch.Tensor  # [B, L] int64, 1 = real token

    def to(self, device: torch.device | str) -> TextBatch:
        return TextBatch(
            self.input_ids.to(device, non_blocking=True),
            self.attention_mask.to(device, non_blocking=True),
        )

    def __len__(self) -> int:
        return self.input_ids.shape[0]


@dataclass
class Batch:
    pose: PoseBatch
    text: TextBatch
    # [B] int64: equal values mark clips with the same text, so the loss does not push them apart
    text_ids: torch.Tensor
    clip_ids: list[str]

    def to(self, device: torch.device | str) -> Batch:
        return Batch(
            self.pose.to(device), self.text.to(device), self.text_ids.to(device), self.clip_ids
        )


@dataclass
class Output:
    pose_emb: torch.Tensor  # [B, E]
    text_emb: torch.Tensor  # [B, E]
    logit_scale: torch.Tensor  # [] multiplier of the similarity in the loss
