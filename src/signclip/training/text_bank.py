"""A loss against the prompts of every training text, not only those in the batch.

With few distinct texts per batch (a few hundred glosses, batches of 64), in-batch InfoNCE sees
each pose next to a handful of wrong texts. The bank adds pose->text cross-entropy over all of
the training split's prompts. Their text-tower outputs are computed without gradient at the
start of every epoch (a locked tower barely changes; a trained one drifts a little within an
epoch), and pass through the text projection with gradient at every step, so the projection
and the pose tower both learn from all negatives for the cost of one matrix product.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


class TextBank:
    """The training prompts' pooled text-tower outputs, refreshed by `refresh`."""

    def __init__(self, prompt_rows: np.ndarray, num_prompts: int):
        """`prompt_rows`: the rows of the run's prompt table used by training clips."""
        self.prompt_rows = torch.as_tensor(np.unique(prompt_rows), dtype=torch.long)
        # Prompt-table row -> bank row; -1 for prompts no training clip uses.
        self.bank_row = torch.full((num_prompts,), -1, dtype=torch.long)
        self.bank_row[self.prompt_rows] = torch.arange(len(self.prompt_rows))
        self.pooled: torch.Tensor | None = None

    @torch.no_grad()
    def refresh(self, model, token_ids: torch.Tensor, token_mask: torch.Tensor, chunk: int) -> None:
        """Recompute the pooled outputs of the bank's prompts with the text tower as it is now,
        in eval mode (no dropout), `chunk` prompts at a time."""
        encoder = model.text_encoder
        was_training = encoder.training
        encoder.eval()
        device = next(model.parameters()).device
        parts = []
        for start in range(0, len(self.prompt_rows), chunk):
            rows = self.prompt_rows[start : start + chunk]
            mask = token_mask[rows]
            length = int(mask.sum(dim=1).max())
            parts.append(
                encoder(token_ids[rows, :length].to(device), mask[:, :length].to(device)).float()
            )
        encoder.train(was_training)
        self.pooled = torch.cat(parts)

    def loss(self, model, pose_emb: torch.Tensor, text_ids: torch.Tensor) -> torch.Tensor:
        """Mean pose->text cross-entropy of `pose_emb` [B, E] over the whole bank; `text_ids` are
        the clips' rows of the prompt table, all of them training prompts (`__init__`)."""
        if self.pooled is None:
            raise RuntimeError("the text bank is used before its first refresh")
        # `.to` is free once they are there (a bank loaded from a checkpoint starts on the CPU). No
        # check of the targets here: reading one back would stall a GPU step, and the trainer
        # draws batches from the training split only, whose prompts are all in the bank.
        self.pooled = self.pooled.to(pose_emb.device)
        self.bank_row = self.bank_row.to(pose_emb.device)
        targets = self.bank_row[text_ids.to(pose_emb.device)]
        bank = model.project_text(self.pooled)
        logits = model.logit_scale.float() * (pose_emb.float() @ bank.float().T)
        return F.cross_entropy(logits, targets)

    def state(self) -> dict[str, torch.Tensor]:
        return {} if self.pooled is None else {"text_bank": self.pooled.cpu()}

    def load(self, state: dict[str, torch.Tensor]) -> None:
        if "text_bank" in state:
            self.pooled = state["text_bank"]
