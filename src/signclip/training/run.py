"""The run folder of a training: its config, bad-clip report, checkpoints and the model in it.

RUN/config.yaml          the resolved configuration
RUN/bad_clips.json       clips skipped because their .pose file was unusable
RUN/metrics.jsonl        training and validation metrics (and RUN/tensorboard/)
RUN/checkpoints/last/    model folder + trainer state, written at epoch ends
RUN/checkpoints/best/    the same, for the highest dev retrieval score (selection_score)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml

from signclip.config import Config, to_dict
from signclip.data.cache import compute_statistics
from signclip.data.prepared import PreparedData
from signclip.errors import ConfigError, SignclipError
from signclip.models.factory import build_model, build_tokenizer
from signclip.models.io import load_model
from signclip.text.prompts import language_tags
from signclip.training.checkpoint import recover_checkpoint
from signclip.training.pretrained import load_initial_model

# Settings a resumed run may change: how long it runs and how it reports.
RESUMABLE_CHANGES = {("train", "epochs"), ("train", "max_steps"), ("train", "progress")}


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def last(self) -> Path:
        return self.path / "checkpoints" / "last"

    @property
    def best(self) -> Path:
        return self.path / "checkpoints" / "best"

    @property
    def model(self) -> Path:
        """The folder to use after training: the best checkpoint if there is one."""
        return self.best if self.best.is_dir() else self.last

    @classmethod
    def open(cls, path: Path, cfg: Config, resume: bool) -> RunFolder:
        run = cls(path)
        # A save killed half-way leaves its pieces beside the checkpoint; put them back first.
        recover_checkpoint(run.last)
        recover_checkpoint(run.best)
        saved = path / "config.yaml"
        if resume:
            if not run.last.is_dir():
                raise SignclipError(f"{path}: nothing to resume (no checkpoints/last)")
            _check_resumable(_saved_settings(saved), to_dict(cfg), saved)
        elif run.last.is_dir():
            raise SignclipError(
                f"{path}: already holds a run; continue it with --resume or choose another "
                "train.out_dir"
            )
        path.mkdir(parents=True, exist_ok=True)
        saved.write_text(yaml.safe_dump(to_dict(cfg), sort_keys=False))
        return run


def _saved_settings(saved: Path) -> dict:
    """The settings a run was started with; a missing or damaged file is refused by name."""
    try:
        old = yaml.safe_load(saved.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SignclipError(f"{saved}: cannot read the run's settings ({exc})") from None
    if not isinstance(old, dict) or not all(isinstance(v, dict) for v in old.values()):
        raise SignclipError(f"{saved}: not a run's settings (sections of key: value)")
    return old


def _check_resumable(old: dict, new: dict, where: Path) -> None:
    # A key newer than the saved run is absent from its config.yaml: the run used its default.
    # A whole section missing is damage, not age: every release wrote every section.
    defaults = to_dict(Config())
    missing = [section for section in new if section not in old]
    if missing:
        raise SignclipError(f"{where}: section {missing[0]!r} is missing; cannot resume")
    for section, values in new.items():
        for key, value in values.items():
            before = old[section].get(key, defaults[section][key])
            if before != value and (section, key) not in RESUMABLE_CHANGES:
                raise ConfigError(
                    f"cannot resume: {section}.{key} is {value!r} but the run in {where.parent} "
                    f"used {before!r}"
                )


def report_bad_clips(data: PreparedData, run: RunFolder) -> None:
    failures = data.report.failures
    rows = [{"id": cid, "path": str(path), "reason": reason} for cid, path, reason in failures]
    (run.path / "bad_clips.json").write_text(json.dumps(rows, indent=1))
    if failures:
        total = len(failures) + len(data.records)
        shown = "; ".join(f"{r['id']}: {r['reason']}" for r in rows[:3])
        more = f" (and {len(rows) - 3} more)" if len(rows) > 3 else ""
        print(
            f"skipped {len(rows)} of {total} clips that could not be used: {shown}{more} "
            f"— full list in {run.path / 'bad_clips.json'}"
        )


def build_run_model(
    cfg: Config, data: PreparedData, train_idx: np.ndarray, run: RunFolder, resume: bool
):
    """A fresh model for the run (the last checkpoint's when resuming, a saved folder's with
    `train.init_from`) and its tokenizer."""
    if resume:
        return load_model(run.last)
    if cfg.train.init_from:
        return load_initial_model(cfg, data)
    tokenizer = build_tokenizer(cfg.model)
    if cfg.model.language_tags == "special":
        tags = sorted({tag for prompt in data.prompts for tag in language_tags(prompt)})
        tokenizer.add_language_tags(tags)
    torch.manual_seed(cfg.train.seed)  # the initial weights are part of the run's seed
    model = build_model(cfg.model, cfg.pose, data.cache.num_features, tokenizer)
    if cfg.pose.zscore:
        mean, std = compute_statistics(data.cache, train_idx)
        model.standardizer.set_statistics(torch.from_numpy(mean), torch.from_numpy(std))
    return model, tokenizer
