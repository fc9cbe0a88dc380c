"""The training loop: contrastive steps over cached clips, evaluation, checkpoints, resumption.

Every random draw of step s (batch order, crops, augmentation, dropout) is a pure function of
(seed, epoch) or (seed, s, rank), so a run resumed from a checkpoint continues exactly as an
uninterrupted one would have.

Under torchrun each process trains on an equal slice of every global batch of `train.batch_size`
clips inside DistributedDataParallel; the loss is computed over the whole global batch (see
`losses.gathered_info_nce`). Rank 0 alone writes files and validates.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from signclip.batch import Batch, PoseBatch
from signclip.config import Config
from signclip.data.prepared import BatchMaker, PreparedData, prepare_data, require_split
from signclip.data.sampler import epoch_batches
from signclip.distributed import (
    DistState,
    barrier,
    cleanup,
    init_distributed,
    main_first,
    scale_gradient,
)
from signclip.errors import ConfigError, SignclipError
from signclip.evaluation.evaluate import evaluate_clips, selection_score
from signclip.inference import SignCLIPEncoder, resolve_device
from signclip.losses import gathered_info_nce
from signclip.models.contract import ModelContract
from signclip.pose.augment import augment_batch
from signclip.pose.features import feature_layout
from signclip.training.checkpoint import (
    Progress,
    load_trainer_extra,
    load_trainer_state,
    save_checkpoint,
)
from signclip.training.logs import MetricsLog
from signclip.training.optim import build_optimizer, build_scheduler
from signclip.training.run import RunFolder, build_run_model, report_bad_clips
from signclip.training.text_bank import TextBank

# 2^64 / golden ratio: rank r's seeds are offset by r times this, far beyond any step count, so no
# two (step, rank) pairs share a seed.
RANK_SEED_STRIDE = 0x9E3779B97F4A7C15


def step_seed(seed: int, step: int, rank: int = 0) -> int:
    """The seed of every random draw of optimiser step `step` on process `rank`.

    Rank 0 keeps the single-process seed, so one process trains as it always did; the other ranks
    draw different crops, augmentations and dropout masks for their different clips.
    """
    return (seed * 1_000_003 + step + rank * RANK_SEED_STRIDE) % (2**63)


def global_batch_size(requested: int, num_clips: int, world_size: int) -> int:
    """The sampler's batch, which the processes split evenly.

    A split smaller than `requested` trains on all of it, rounded down to equal shares.
    """
    if requested % world_size:
        raise ConfigError(
            f"config key train.batch_size: {requested} is the global batch and must split evenly "
            f"over the {world_size} processes"
        )
    size = min(requested, num_clips) // world_size * world_size
    if size == 0:
        raise ConfigError(
            f"the training split has {num_clips} clips, fewer than the {world_size} processes"
        )
    return size


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "fp16":
        return torch.float16
    if precision == "bf16" or torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


class Trainer:
    """Trains `run`'s model on `data`; `dist` is this process's place in a torchrun job (a single
    process on `train.device` when left out)."""

    def __init__(
        self,
        cfg: Config,
        run: RunFolder,
        data: PreparedData,
        resume: bool,
        dist: DistState | None = None,
    ):
        self.cfg = cfg
        self.run = run
        self.data = data
        self.dist = dist or DistState.single(resolve_device(cfg.train.device))
        self.device = self.dist.device
        self.train_idx = require_split(data, cfg.data.train_split, cfg.data.manifest)
        self.val_idx = data.split_indices(cfg.data.val_split)
        self.layout = feature_layout(cfg.pose)
        self.model, self.tokenizer = build_run_model(cfg, data, self.train_idx, run, resume)
        self.model.to(self.device)
        # Training steps run through `ddp`; saving, logging and validation use the bare model.
        self.ddp = self._wrap(self.model)
        self.batches = BatchMaker(data, self.tokenizer, cfg.model.max_frames)
        self.batch_size = global_batch_size(
            cfg.train.batch_size, len(self.train_idx), self.dist.world_size
        )
        self.steps_per_epoch = len(self._plan(0))
        self.optimizer = build_optimizer(self.model, cfg.train)
        self.scheduler = build_scheduler(self.optimizer, cfg.train, self.total_steps)
        self.dtype = autocast_dtype(cfg.train.precision, self.device)
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.progress = Progress(world_size=self.dist.world_size)
        self.text_bank = (
            TextBank(data.prompt_index[self.train_idx], len(data.prompts))
            if cfg.loss.text_bank_weight > 0
            else None
        )
        if resume:
            self._resume()
        self.log = MetricsLog(run.path) if self.dist.is_main else None

    @property
    def total_steps(self) -> int:
        """Optimiser steps of the whole run: the schedule ends where `max_steps` stops it."""
        planned = self.steps_per_epoch * self.cfg.train.epochs
        limit = self.cfg.train.max_steps
        return planned if limit is None else min(planned, limit)

    @property
    def contract(self) -> ModelContract:
        """What the saved folders promise: this run's prompt template, its tokenizer's tags and
        length, windows as long as the context."""
        return ModelContract.of(self.model, self.tokenizer, self.cfg.data.prompt)

    def _wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        if not self.dist.distributed:
            return model
        on_gpu = self.device.type == "cuda"
        return DistributedDataParallel(model, device_ids=[self.device.index] if on_gpu else None)

    def _resume(self) -> None:
        self.progress = load_trainer_state(
            self.run.last, self.optimizer, self.scheduler, self.scaler
        )
        if self.progress.world_size != self.dist.world_size and self.dist.is_main:
            print(
                f"this run was trained by {self.progress.world_size} process(es) and continues "
                f"with {self.dist.world_size}: the batches stay the same, but crops, augmentation "
                "and dropout differ from an uninterrupted run's"
            )
        self.progress.world_size = self.dist.world_size
        if self.text_bank is not None:
            self.text_bank.load(load_trainer_extra(self.run.last))

    def _plan(self, epoch: int) -> list[np.ndarray]:
        order = epoch_batches(
            len(self.train_idx),
            self.batch_size,
            self.cfg.train.seed,
            epoch,
            drop_last=True,
            lengths=self.data.cache.lengths[self.train_idx],
            bucket_size=self.cfg.data.bucket_size,
        )
        return [self.train_idx[b] for b in order]

    def _autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _share(self, indices: np.ndarray) -> np.ndarray:
        """This process's slice of a global batch, in rank order (all of it on one process)."""
        size = len(indices) // self.dist.world_size
        return indices[self.dist.rank * size : (self.dist.rank + 1) * size]

    def _augment(self, batch: Batch, step: int) -> Batch:
        aug = self.cfg.augment
        if not (aug.speed_std or aug.affine_std or aug.flip_p or aug.noise_std):
            return batch
        seed = step_seed(self.cfg.train.seed, step, self.dist.rank)
        gen = torch.Generator(device=self.device).manual_seed(seed)
        features, mask = augment_batch(
            batch.pose.features, batch.pose.mask, aug, self.layout, gen, self.cfg.model.max_frames
        )
        return Batch(PoseBatch(features, mask), batch.text, batch.text_ids, batch.clip_ids)

    def _train_loss(self, batch: Batch) -> torch.Tensor:
        with self._autocast():
            out = self.ddp(batch)
        # DDP averages the processes' gradients, but the global loss's gradient is their sum:
        # each process's embeddings carry only their own share of it. Scaling the embeddings'
        # gradient by the world size turns that mean into the sum. The logit scale is left alone:
        # it sees the whole batch, so every process already has its full gradient.
        world = self.dist.world_size
        loss = gathered_info_nce(
            scale_gradient(out.pose_emb.float(), world),
            scale_gradient(out.text_emb.float(), world),
            out.logit_scale.float(),
            batch.text_ids,
            reduction=self.cfg.loss.reduction,
            duplicate_texts=self.cfg.loss.duplicate_texts,
        )
        if self.text_bank is None:
            return loss
        # A mean over this process's clips: DDP's averaging makes it the global batch's mean.
        bank_loss = self.text_bank.loss(self.model, out.pose_emb, batch.text_ids.to(self.device))
        return loss + self.cfg.loss.text_bank_weight * bank_loss

    def train_step(self, indices: np.ndarray) -> float:
        """One optimiser step on the global batch `indices`; returns its loss."""
        loss = self.compute_gradients(indices)
        self._apply_gradients()
        return loss

    def compute_gradients(self, indices: np.ndarray) -> float:
        """Forward and backward of this process's share of the global batch `indices`.

        Afterwards every process holds the gradient of the loss over the whole global batch, as
        one process training on all of it would (up to float rounding). Returns the loss.
        """
        step = self.progress.step
        seed = step_seed(self.cfg.train.seed, step, self.dist.rank)
        torch.manual_seed(seed)  # dropout of this step, whatever ran before it
        batch = self.batches(self._share(indices), np.random.default_rng(seed)).to(self.device)
        loss = self._train_loss(self._augment(batch, step))
        # Every process computes the same global loss, so all of them stop here together.
        if not torch.isfinite(loss):
            raise SignclipError(f"training diverged at step {step}: loss is {loss.item()}")
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        return float(loss.detach())

    def _apply_gradients(self) -> None:
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        if self.cfg.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)

    def validation_metrics(self) -> dict | None:
        """Retrieval over the whole dev split, embedded as a user of the saved model would: whole
        clips (long ones windowed), each distinct prompt once, `eval_batch_size` at a time. An
        embedding does not depend on its batch, so neither do these numbers."""
        if len(self.val_idx) == 0:
            return None
        encoder = SignCLIPEncoder(
            self.model, self.tokenizer, self.contract, self.device, self.cfg.train.eval_batch_size
        )
        metrics = evaluate_clips(encoder, self.data, self.val_idx)
        self.model.train()
        return metrics

    def save(self, which: Path) -> None:
        """Write a checkpoint (rank 0 only: the weights are the same on every process)."""
        if not self.dist.is_main:
            return
        save_checkpoint(
            which,
            self.model,
            self.tokenizer,
            self.optimizer,
            self.scheduler,
            self.scaler,
            self.progress,
            prompt=self.cfg.data.prompt,
            extra=None if self.text_bank is None else self.text_bank.state(),
        )

    def fit(self) -> Progress:
        self.model.train()
        try:
            while self.progress.epoch < self.cfg.train.epochs:
                if self._run_epoch():
                    return self.progress
                self._end_epoch()
        except KeyboardInterrupt:
            self.save(self.run.last)
            raise SignclipError(
                f"interrupted at step {self.progress.step}; continue with --resume"
            ) from None
        finally:
            if self.log is not None:
                self.log.close()
        return self.progress

    def _run_epoch(self) -> bool:
        """Train the rest of the current epoch; True when max_steps stopped the run."""
        cfg = self.cfg.train
        plan = self._plan(self.progress.epoch)
        if self.text_bank is not None and (
            self.progress.batch_in_epoch == 0 or self.text_bank.pooled is None
        ):
            self.text_bank.refresh(
                self.model, self.batches.token_ids, self.batches.token_mask, cfg.eval_batch_size
            )
        bar = tqdm(
            total=len(plan),
            initial=self.progress.batch_in_epoch,
            desc=f"epoch {self.progress.epoch + 1}/{cfg.epochs}",
            disable=not (cfg.progress and self.dist.is_main),
            leave=False,
        )
        started, pairs = time.perf_counter(), 0
        for b in range(self.progress.batch_in_epoch, len(plan)):
            loss = self.train_step(plan[b])
            self.progress.step += 1
            self.progress.batch_in_epoch = b + 1
            pairs += len(plan[b])
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}")
            if self.progress.step % cfg.log_every == 0 or b == len(plan) - 1:
                self._log_step(loss, pairs / (time.perf_counter() - started))
            if cfg.save_every_steps and self.progress.step % cfg.save_every_steps == 0:
                self.save(self.run.last)
            if cfg.max_steps is not None and self.progress.step >= cfg.max_steps:
                bar.close()
                if self.dist.is_main:
                    self._validate_and_save()  # the run ends here: its last state is a candidate
                barrier(self.dist)
                return True
        bar.close()
        return False

    def _log_step(self, loss: float, pairs_per_s: float) -> None:
        """Log the global batch's loss and throughput (rank 0 only; the loss is the same on all)."""
        if self.log is None:
            return
        self.log.write(
            "train",
            self.progress.step,
            {
                "epoch": self.progress.epoch,
                "loss": loss,
                "lr": self.scheduler.get_last_lr()[0],
                "logit_scale": float(self.model.logit_scale.detach()),
                "pairs_per_s": pairs_per_s,
            },
        )

    def _end_epoch(self) -> None:
        self.progress.epoch += 1
        self.progress.batch_in_epoch = 0
        if self.dist.is_main:
            self._validate_and_save()
        # The others wait for rank 0's validation here rather than inside the next step.
        barrier(self.dist)

    def _validate_and_save(self) -> None:
        """Save `last`, and `best` when the dev retrieval score (`selection_score`) beats every
        earlier one; a tie keeps the earlier checkpoint."""
        metrics = self.validation_metrics()
        improved = False
        if metrics is not None:
            score = selection_score(metrics)
            row: dict[str, float | int] = {"epoch": self.progress.epoch, "score": score}
            row.update({f"p2t_{k}": v for k, v in metrics["pose_to_text"].items()})
            row.update({f"t2p_{k}": v for k, v in metrics["text_to_pose"].items()})
            self.log.write("val", self.progress.step, row)
            improved = self.progress.best_score is None or score > self.progress.best_score
            if improved:
                self.progress.best_score = score
        self.save(self.run.last)
        if improved:
            self.save(self.run.best)


def train(cfg: Config, resume: bool = False) -> RunFolder:
    """Run (or continue) the training that `cfg` describes; returns the run folder.

    Started by torchrun, this process joins the others and trains its share of every batch.
    """
    dist = init_distributed(cfg.train.device)
    try:
        trainer = build_trainer(cfg, resume, dist)
        trainer.fit()
        return trainer.run
    finally:
        cleanup(dist)


def build_trainer(cfg: Config, resume: bool, dist: DistState) -> Trainer:
    """The run folder, prepared data and Trainer of `cfg` on this process.

    Rank 0 goes first: it checks and writes the run folder and builds the feature cache, which the
    others then only open.
    """
    with main_first(dist):
        if dist.is_main:
            run = RunFolder.open(Path(cfg.train.out_dir), cfg, resume)
        else:
            run = RunFolder(Path(cfg.train.out_dir))
        data = prepare_data(cfg.data, cfg.pose, progress=cfg.train.progress and dist.is_main)
        if dist.is_main:
            report_bad_clips(data, run)
    return Trainer(cfg, run, data, resume, dist)
