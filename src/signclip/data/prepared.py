"""What a training or evaluation run reads, prepared once: manifest → cache → prompts → tokens.

After `prepare_data` returns, no `.pose` file is opened again; each batch is a gather from the
memory-mapped cache and from a pre-tokenised table of the distinct prompts. A manifest written with
its features (`signclip synth --cache-only`, see `data.attached`) opens those and reads no `.pose`
file at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from signclip.batch import Batch, TextBatch
from signclip.config import DataConfig, PoseConfig
from signclip.data.attached import open_attached
from signclip.data.cache import CacheReport, FeatureCache
from signclip.data.collate import collate_poses
from signclip.data.manifest import ClipRecord, read_manifest
from signclip.errors import ConfigError, ManifestError, PoseFileError
from signclip.text.prompts import make_prompt
from signclip.text.tokenizer import TextTokenizer


def cache_root(data_cfg: DataConfig) -> Path:
    if data_cfg.cache_dir:
        return Path(data_cfg.cache_dir)
    return Path(os.environ.get("SIGNCLIP_CACHE", Path.home() / ".cache" / "signclip"))


@dataclass
class PreparedData:
    """The cached clips of one manifest with their prompts; indices address the cache."""

    cache: FeatureCache
    report: CacheReport
    records: list[ClipRecord]  # aligned with the cache rows
    prompts: list[str]  # distinct prompts
    prompt_index: np.ndarray  # [N] row of each clip's prompt in `prompts`

    def split_indices(self, split: str) -> np.ndarray:
        return np.array([i for i, r in enumerate(self.records) if r.split == split], np.int64)


def prepare_data(data_cfg: DataConfig, pose_cfg: PoseConfig, progress: bool = True) -> PreparedData:
    if not data_cfg.manifest:
        raise ConfigError("config key data.manifest: no manifest given (--set data.manifest=FILE)")
    manifest = Path(data_cfg.manifest)
    records = read_manifest(manifest)
    attached = open_attached(manifest, records, pose_cfg)
    cache, report = attached or FeatureCache.build_or_open(
        records,
        pose_cfg,
        root=cache_root(data_cfg),
        workers=data_cfg.workers,
        strict=data_cfg.strict,
        progress=progress,
    )
    if data_cfg.strict and report.failures:
        # A reused cache remembers its bad clips; strictness applies to them too.
        clip_id, _, reason = report.failures[0]
        raise PoseFileError(f"clip {clip_id}: {reason} (data.strict is on)")
    by_id = {r.clip_id: r for r in records}
    kept = [by_id[clip_id] for clip_id in cache.ids]
    prompts: dict[str, int] = {}
    index = [
        prompts.setdefault(
            make_prompt(data_cfg.prompt, r.text, r.spoken_language, r.sign_language), len(prompts)
        )
        for r in kept
    ]
    return PreparedData(cache, report, kept, list(prompts), np.array(index, np.int64))


def require_split(data: PreparedData, split: str, manifest: str) -> np.ndarray:
    indices = data.split_indices(split)
    if len(indices) == 0:
        splits = sorted({r.split for r in data.records})
        raise ManifestError(f"{manifest}: no usable clips in split {split!r} (splits: {splits})")
    return indices


class BatchMaker:
    """Builds training and evaluation batches from cache rows."""

    def __init__(self, data: PreparedData, tokenizer: TextTokenizer, max_frames: int):
        self.data = data
        self.max_frames = max_frames
        # Tokenise every distinct prompt once; batches gather rows and trim the padding.
        table = tokenizer(data.prompts)
        self.token_ids = table.input_ids
        self.token_mask = table.attention_mask

    def __call__(self, indices: np.ndarray, rng: np.random.Generator | None) -> Batch:
        pose = collate_poses(self.data.cache, indices, self.max_frames, rng)
        text_ids = torch.from_numpy(self.data.prompt_index[indices])
        mask = self.token_mask[text_ids]
        length = int(mask.sum(dim=1).max())
        text = TextBatch(self.token_ids[text_ids, :length], mask[:, :length])
        clip_ids = [self.data.cache.ids[i] for i in indices]
        return Batch(pose, text, text_ids, clip_ids)
