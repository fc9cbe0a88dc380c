"""Training checkpoints: a loadable model folder plus the optimiser and progress on top of it."""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from signclip.errors import SignclipError
from signclip.models.io import save_model

TRAINER_STATE = "trainer_state.pt"


@dataclass
class Progress:
    step: int = 0  # optimiser steps done
    epoch: int = 0  # epoch in progress
    batch_in_epoch: int = 0  # batches of that epoch already done
    best_val_loss: float | None = None
    # Processes that trained it: each draws its own crops, augmentation and dropout, so only a
    # run resumed with as many processes continues exactly.
    world_size: int = 1


def save_checkpoint(folder: Path, model, tokenizer, optimizer, scheduler, scaler, progress) -> None:
    """Write atomically: a crash while saving leaves the previous checkpoint intact."""
    tmp = folder.with_name(folder.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    save_model(tmp, model, tokenizer)
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "progress": asdict(progress),
        },
        tmp / TRAINER_STATE,
    )
    old = folder.with_name(folder.name + ".old")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    if old.exists():
        shutil.rmtree(old)


def load_trainer_state(folder: Path, optimizer, scheduler, scaler) -> Progress:
    path = folder / TRAINER_STATE
    if not path.is_file():
        raise SignclipError(f"{folder}: not a training checkpoint (no {TRAINER_STATE})")
    state = torch.load(path, map_location="cpu", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    return Progress(**state["progress"])
