"""AdamW with warmup and a constant or cosine schedule."""

from __future__ import annotations

import math

import torch

from signclip.config import TrainConfig


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    # Norms, biases, embeddings' position tables and the temperature are not decayed: decaying
    # them pulls scale parameters toward 0, which is never what weight decay is meant for.
    # A matrix of which only some rows learn (tags of a locked text tower) is not decayed either:
    # decay would shrink its locked rows.
    partly_frozen = set(getattr(model, "partly_frozen", ()))
    # (decayed, text tower) -> parameters; the text tower may learn at its own rate.
    sorted_params: dict[tuple[bool, bool], list] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        small = param.ndim < 2 or "logit_scale" in name or "position" in name
        decayed = not (small or name in partly_frozen)
        # Without a rate of its own the text tower shares the groups (the layout of older runs'
        # optimiser states, which a resumed run loads).
        text = cfg.text_lr is not None and name.startswith("text_encoder.")
        sorted_params.setdefault((decayed, text), []).append(param)
    groups = [
        {
            "params": params,
            "weight_decay": cfg.weight_decay if decayed else 0.0,
            "lr": cfg.text_lr if text else cfg.lr,
        }
        for (decayed, text), params in sorted(sorted_params.items())
    ]
    # The fused kernel updates all parameters in one pass: 4-6x faster steps on CPU.
    return torch.optim.AdamW(groups, lr=cfg.lr, betas=cfg.betas, fused=True)


def lr_factor(step: int, cfg: TrainConfig, total_steps: int) -> float:
    """Multiplier of the base learning rate at optimiser step `step` (0-based)."""
    if cfg.warmup_steps > 0 and step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.schedule == "constant":
        return 1.0
    span = max(1, total_steps - cfg.warmup_steps)
    progress = min(1.0, (step - cfg.warmup_steps) / span)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def build_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int
) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, cfg, total_steps)
    )
