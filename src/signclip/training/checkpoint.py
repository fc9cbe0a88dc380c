"""Training checkpoints: a loadable model folder plus the optimiser and progress on top of it.

A save of checkpoint X goes through these steps, each of which a killed process may stop:

1. `recover_checkpoint(X)` clears what an earlier interrupted save left behind;
2. the model folder and trainer state are written into X.tmp, then the marker X.tmp/COMPLETE;
3. X is renamed to X.old, then X.tmp to X;
4. X.old is removed, its marker first.

Whatever step was interrupted, `recover_checkpoint(X)` leaves one complete X, the old state or the
new one: an X.tmp with its marker is whole (the marker is written last), one without is discarded.
Anything that reads X must call it first.
"""

from __future__ import annotations

import pickle
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from signclip.errors import SignclipError
from signclip.models.io import save_model
from signclip.models.text_encoder import first_line

TRAINER_STATE = "trainer_state.pt"
COMPLETE_MARKER = "COMPLETE"


@dataclass
class Progress:
    step: int = 0  # optimiser steps done
    epoch: int = 0  # epoch in progress
    batch_in_epoch: int = 0  # batches of that epoch already done
    # The highest dev retrieval score so far (evaluation.evaluate.selection_score).
    best_score: float | None = None
    # Processes that trained it: each draws its own crops, augmentation and dropout, so only a
    # run resumed with as many processes continues exactly.
    world_size: int = 1


def save_checkpoint(
    folder: Path,
    model,
    tokenizer,
    optimizer,
    scheduler,
    scaler,
    progress,
    *,
    prompt: str,
    extra: dict[str, torch.Tensor] | None = None,
) -> None:
    """Replace `folder` so that a process killed at any moment leaves, after
    `recover_checkpoint`, either the previous checkpoint or this one. `prompt` is the template
    the model is trained with (saved in its model folder); `extra` holds tensors of the trainer
    that a resumed run needs back (`load_trainer_extra`)."""
    recover_checkpoint(folder)
    tmp, old = _partner(folder, "tmp"), _partner(folder, "old")
    save_model(tmp, model, tokenizer, prompt=prompt)
    torch.save(
        {
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "scaler": scaler.state_dict() if scaler is not None else None,
            "progress": asdict(progress),
            "extra": extra or {},
        },
        tmp / TRAINER_STATE,
    )
    (tmp / COMPLETE_MARKER).write_text("")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    _discard(old)


def recover_checkpoint(folder: Path) -> None:
    """Put a checkpoint whose save was interrupted back into one complete `folder`.

    Safe to call at any time, also on a folder that was never saved, and itself safe to
    interrupt: calling it again finishes the job."""
    tmp, old = _partner(folder, "tmp"), _partner(folder, "old")
    if not folder.exists():
        # Killed between the two renames (or, under an older scheme without the marker, with
        # X.old left as the only whole copy).
        if (tmp / COMPLETE_MARKER).is_file():
            tmp.rename(folder)
        elif old.is_dir():
            old.rename(folder)
    _discard(tmp)
    _discard(old)


def load_trainer_state(folder: Path, optimizer, scheduler, scaler) -> Progress:
    state = _read_state(folder)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state["scaler"] is not None:
        scaler.load_state_dict(state["scaler"])
    return _progress(state["progress"])


def load_trainer_extra(folder: Path) -> dict[str, torch.Tensor]:
    """The `extra` tensors saved with the checkpoint (none for checkpoints saved without)."""
    return _read_state(folder).get("extra", {})


def _read_state(folder: Path) -> dict:
    path = folder / TRAINER_STATE
    if not path.is_file():
        raise SignclipError(f"{folder}: not a training checkpoint (no {TRAINER_STATE})")
    # Model folders travel between people: only tensors and plain values are read back, never
    # objects whose unpickling could run code.
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise SignclipError(
            f"{path}: refused: not a trainer state of tensors and plain values only (a damaged "
            "file, or one holding Python objects, whose loading could run code)"
        ) from None
    except Exception as exc:
        raise SignclipError(
            f"{path}: cannot read the trainer state ({type(exc).__name__}: {first_line(exc)})"
        ) from None
    return state


def _partner(folder: Path, suffix: str) -> Path:
    return folder.with_name(f"{folder.name}.{suffix}")


def _discard(path: Path) -> None:
    if not path.exists():
        return
    # The marker goes first: a removal cut short must not leave a half-empty folder that still
    # claims to be complete.
    (path / COMPLETE_MARKER).unlink(missing_ok=True)
    shutil.rmtree(path)


def _progress(saved: dict) -> Progress:
    """Progress from a saved state; runs that picked `best` by validation loss kept no score,
    so their first validation after resuming sets the bar again."""
    saved = {k: v for k, v in saved.items() if k != "best_val_loss"}
    return Progress(**saved)
