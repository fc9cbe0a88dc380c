"""Generating a dataset in parallel: `.pose` files and a manifest, or features straight from memory.

`generate_dataset` writes `poses/<language>/<clip id>.pose`, `manifest.csv` and `synth.json` (the
spec and counts) under the output folder. `iter_features` yields each clip's features for a
PoseConfig without writing anything, for datasets too large to keep as files (a holistic
`.pose` file takes about 8.7 kB per frame).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from signclip.config import PoseConfig
from signclip.data.manifest import write_manifest
from signclip.parallel import ordered_map
from signclip.pose.features import extract_features
from signclip.synth import writer
from signclip.synth.dataset import ClipPlan, SynthSpec, make_pose, plan_clips, record

MANIFEST = "manifest.csv"
SPEC_FILE = "synth.json"


@dataclass(frozen=True)
class GenerateReport:
    manifest: Path
    clips: int
    frames: int
    bytes: int
    seconds: float
    splits: dict[str, int]


def generate_dataset(
    out_dir: str | Path,
    spec: SynthSpec,
    workers: int = 0,
    progress: bool = True,
) -> GenerateReport:
    """Write every clip of `spec` and the manifest under `out_dir`; `workers=0` uses all cores.

    Files are written in place (an interrupted run leaves a partial folder without a manifest:
    the manifest is written last).
    """
    started = time.perf_counter()
    out = Path(out_dir)
    plans = plan_clips(spec)
    for folder in {str(Path(p.relative_path).parent) for p in plans}:
        (out / folder).mkdir(parents=True, exist_ok=True)
    job = functools.partial(_write_clip, spec, str(out))
    frames = size = 0
    with ordered_map(job, plans, workers, max_chunk=32) as results:
        for clip_frames, clip_bytes in tqdm(
            results, total=len(plans), unit="clip", disable=not progress, desc="synth"
        ):
            frames += clip_frames
            size += clip_bytes
    manifest = out / MANIFEST
    write_manifest([record(p, out) for p in plans], manifest)
    splits = dict(sorted(Counter(p.split for p in plans).items()))
    seconds = time.perf_counter() - started
    summary = {"spec": dataclasses.asdict(spec), "clips": len(plans), "frames": frames}
    (out / SPEC_FILE).write_text(json.dumps(summary | {"splits": splits}, indent=1) + "\n")
    return GenerateReport(manifest, len(plans), frames, size, seconds, splits)


def iter_features(
    spec: SynthSpec,
    pose_cfg: PoseConfig,
    workers: int = 1,
    plans: Sequence[ClipPlan] | None = None,
    progress: bool = False,
) -> Iterator[tuple[str, np.ndarray]]:
    """(clip id, features float32 [T, F]) of every clip (or of `plans`), in plan order, computed
    in memory exactly as `extract_features` computes them from the written file."""
    plans = plan_clips(spec) if plans is None else list(plans)
    job = functools.partial(_features, spec, pose_cfg)
    with ordered_map(job, plans, workers, max_chunk=32) as results:
        bar = tqdm(results, total=len(plans), unit="clip", disable=not progress, desc="synth")
        for plan, features in zip(plans, bar, strict=True):
            yield plan.clip_id, features


def _write_clip(spec: SynthSpec, out: str, plan: ClipPlan) -> tuple[int, int]:
    pose = make_pose(spec, plan)
    size = writer.write_pose(pose, os.path.join(out, plan.relative_path))
    return pose.body.data.shape[0], size


def _features(spec: SynthSpec, pose_cfg: PoseConfig, plan: ClipPlan) -> np.ndarray:
    return extract_features(make_pose(spec, plan), pose_cfg, name=plan.clip_id)
