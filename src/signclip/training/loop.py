"""The training loop: contrastive steps over cached clips, evaluation, checkpoints, resumption.

Every random draw of step s (batch order, crops, augmentation, dropout) is a pure function of
(seed, epoch) or (seed, s), so a run resumed from a checkpoint continues exactly as an
uninterrupted one would have.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from signclip.batch import Batch, PoseBatch
from signclip.config import Config
from signclip.data.prepared import BatchMaker, PreparedData, prepare_data, require_split
from signclip.data.sampler import epoch_batches
from signclip.errors import SignclipError
from signclip.evaluation.evaluate import evaluate_clips
from signclip.inference import SignCLIPEncoder, resolve_device
from signclip.losses import info_nce
from signclip.pose.augment import augment_batch
from signclip.pose.features import feature_layout
from signclip.training.checkpoint import Progress, load_trainer_state, save_checkpoint
from signclip.training.logs import MetricsLog
from signclip.training.optim import build_optimizer, build_scheduler
from signclip.training.run import RunFolder, build_run_model, report_bad_clips


def step_seed(seed: int, step: int) -> int:
    return (seed * 1_000_003 + step) % (2**63)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    if device.type != "cuda" or precision == "fp32":
        return None
    if precision == "fp16":
        return torch.float16
    if precision == "bf16" or torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


class Trainer:
    def __init__(self, cfg: Config, run: RunFolder, data: PreparedData, resume: bool):
        self.cfg = cfg
        self.run = run
        self.data = data
        self.device = resolve_device(cfg.train.device)
        self.train_idx = require_split(data, cfg.data.train_split, cfg.data.manifest)
        self.val_idx = data.split_indices(cfg.data.val_split)
        self.layout = feature_layout(cfg.pose)
        self.model, self.tokenizer = build_run_model(cfg, data, self.train_idx, run, resume)
        self.model.to(self.device)
        self.batches = BatchMaker(data, self.tokenizer, cfg.model.max_frames)
        self.batch_size = min(cfg.train.batch_size, len(self.train_idx))
        self.steps_per_epoch = len(self._plan(0))
        total = self.steps_per_epoch * cfg.train.epochs
        self.optimizer = build_optimizer(self.model, cfg.train)
        self.scheduler = build_scheduler(self.optimizer, cfg.train, total)
        self.dtype = autocast_dtype(cfg.train.precision, self.device)
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype == torch.float16 else None
        self.progress = Progress()
        if resume:
            self.progress = load_trainer_state(
                run.last, self.optimizer, self.scheduler, self.scaler
            )
        self.log = MetricsLog(run.path)

    def _plan(self, epoch: int) -> list[np.ndarray]:
        order = epoch_batches(
            len(self.train_idx),
            self.batch_size,
            self.cfg.train.seed,
            epoch,
            drop_last=True,
            lengths=self.data.cache.lengths[self.train_idx],
            bucket_size=0,
        )
        return [self.train_idx[b] for b in order]

    def _autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def _augment(self, batch: Batch, step: int) -> Batch:
        aug = self.cfg.augment
        if not (aug.speed_std or aug.affine_std or aug.flip_p or aug.noise_std):
            return batch
        gen = torch.Generator(device=self.device).manual_seed(step_seed(self.cfg.train.seed, step))
        features, mask = augment_batch(
            batch.pose.features, batch.pose.mask, aug, self.layout, gen, self.cfg.model.max_frames
        )
        return Batch(PoseBatch(features, mask), batch.text, batch.text_ids, batch.clip_ids)

    def _loss(self, batch: Batch) -> torch.Tensor:
        with self._autocast():
            out = self.model(batch)
        return info_nce(
            out.pose_emb.float(),
            out.text_emb.float(),
            out.logit_scale.float(),
            batch.text_ids,
            reduction=self.cfg.loss.reduction,
            duplicate_texts=self.cfg.loss.duplicate_texts,
        )

    def train_step(self, indices: np.ndarray) -> float:
        step = self.progress.step
        seed = step_seed(self.cfg.train.seed, step)
        torch.manual_seed(seed)  # dropout of this step, whatever ran before it
        batch = self.batches(indices, np.random.default_rng(seed)).to(self.device)
        loss = self._loss(self._augment(batch, step))
        if not torch.isfinite(loss):
            raise SignclipError(f"training diverged at step {step}: loss is {loss.item()}")
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        if self.cfg.train.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.detach())

    @torch.no_grad()
    def validation_loss(self) -> float | None:
        if len(self.val_idx) < 2:
            return None
        self.model.eval()
        losses, weights = [], []
        for start in range(0, len(self.val_idx), self.batch_size):
            indices = self.val_idx[start : start + self.batch_size]
            if len(indices) < 2:
                continue
            losses.append(float(self._loss(self.batches(indices, None).to(self.device))))
            weights.append(len(indices))
        self.model.train()
        return float(np.average(losses, weights=weights))

    def validation_metrics(self) -> dict | None:
        if len(self.val_idx) == 0:
            return None
        encoder = SignCLIPEncoder(self.model, self.tokenizer, self.device)
        metrics = evaluate_clips(encoder, self.data, self.val_idx)
        self.model.train()
        return metrics

    def save(self, which: Path) -> None:
        save_checkpoint(
            which,
            self.model,
            self.tokenizer,
            self.optimizer,
            self.scheduler,
            self.scaler,
            self.progress,
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
            self.log.close()
        return self.progress

    def _run_epoch(self) -> bool:
        """Train the rest of the current epoch; True when max_steps stopped the run."""
        cfg = self.cfg.train
        plan = self._plan(self.progress.epoch)
        bar = tqdm(
            total=len(plan),
            initial=self.progress.batch_in_epoch,
            desc=f"epoch {self.progress.epoch + 1}/{cfg.epochs}",
            disable=not cfg.progress,
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
                self.save(self.run.last)
                return True
        bar.close()
        return False

    def _log_step(self, loss: float, pairs_per_s: float) -> None:
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
        val_loss = self.validation_loss()
        row: dict[str, float | int] = {"epoch": self.progress.epoch}
        if val_loss is not None:
            row["loss"] = val_loss
        metrics = self.validation_metrics()
        if metrics is not None:
            row.update({f"p2t_{k}": v for k, v in metrics["pose_to_text"].items()})
            row.update({f"t2p_{k}": v for k, v in metrics["text_to_pose"].items()})
        if len(row) > 1:
            self.log.write("val", self.progress.step, row)
        improved = val_loss is not None and (
            self.progress.best_val_loss is None or val_loss < self.progress.best_val_loss
        )
        if improved:
            self.progress.best_val_loss = val_loss
        self.save(self.run.last)
        if improved:
            self.save(self.run.best)


def train(cfg: Config, resume: bool = False) -> RunFolder:
    """Run (or continue) the training that `cfg` describes; returns the run folder."""
    run = RunFolder.open(Path(cfg.train.out_dir), cfg, resume)
    data = prepare_data(cfg.data, cfg.pose, progress=cfg.train.progress)
    report_bad_clips(data, run)
    Trainer(cfg, run, data, resume).fit()
    return run
