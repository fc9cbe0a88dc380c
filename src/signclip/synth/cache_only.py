"""A generated dataset without `.pose` files: its manifest and its features, at any scale.

`generate_cache(out_dir, spec, pose_cfg)` writes `manifest.csv` and `synth.json` as
`generate_dataset` does, but no `poses/`: every clip's features for `pose_cfg` (`iter_features`,
bitwise what the written file would give) stream into a feature cache under `features/`, which is
attached to the manifest (`signclip.data.attached`), so `prepare_data` and training read it with
no `.pose` file on disk. The manifest's pose paths name files that are never written.

The cache folder is keyed by (signclip version, spec, pose settings): running it again reopens the
folder without generating anything; another preset or spec builds a folder beside it, and the
manifest is attached to the newest. Older folders stay until deleted.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import signclip
from signclip.config import PoseConfig
from signclip.data.attached import attach_cache, feature_settings
from signclip.data.cache_writer import write_cache
from signclip.data.manifest import write_manifest
from signclip.pose.features import feature_layout
from signclip.synth.dataset import SynthSpec, plan_clips, record
from signclip.synth.generate import MANIFEST, SPEC_FILE, GenerateReport, iter_features

FEATURES_FOLDER = "features"


@dataclass(frozen=True)
class CacheOnlyReport(GenerateReport):
    """`bytes`: the cache folder's files; `features`: that folder; `reused`: nothing generated."""

    features: Path
    reused: bool


def generate_cache(
    out_dir: str | Path,
    spec: SynthSpec,
    pose_cfg: PoseConfig,
    workers: int = 0,
    progress: bool = True,
) -> CacheOnlyReport:
    """Write the manifest and the features of every clip of `spec`; `workers=0` uses all cores.

    The cache is published whole (or not at all) before the manifest is written.
    """
    started = time.perf_counter()
    feature_layout(pose_cfg)  # an unknown preset fails here, before any worker starts
    out = Path(out_dir)
    plans = plan_clips(spec)
    settings = {
        "source": "signclip.synth",
        # The generator's code changes what a spec makes; a new release gets a new folder.
        "signclip": signclip.__version__,
        "spec": dataclasses.asdict(spec),
        "pose": feature_settings(pose_cfg),
    }
    clips = iter_features(spec, pose_cfg, workers, plans)
    cache, report = write_cache(clips, settings, out / FEATURES_FOLDER, len(plans), progress)
    manifest = out / MANIFEST
    write_manifest([record(p, out) for p in plans], manifest)
    attach_cache(manifest, cache, pose_cfg)
    splits = dict(sorted(Counter(p.split for p in plans).items()))
    summary = {"spec": dataclasses.asdict(spec), "clips": len(plans), "frames": cache.num_frames}
    (out / SPEC_FILE).write_text(json.dumps(summary | {"splits": splits}, indent=1) + "\n")
    size = sum(f.stat().st_size for f in cache.folder.iterdir())
    seconds = time.perf_counter() - started
    return CacheOnlyReport(
        manifest, len(plans), cache.num_frames, size, seconds, splits, cache.folder, report.reused
    )
