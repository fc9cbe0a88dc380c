"""A manifest that comes with its features, so its `.pose` files need not exist.

`signclip synth --cache-only` writes no `.pose` files: it writes the manifest (whose pose paths
name files that are never written) and a feature cache (`cache_writer.write_cache`), then
`attach_cache` records beside the manifest, in `<manifest stem>.features.json`, which cache folder
holds its clips, the pose settings they were computed with and the manifest's SHA-256.
`prepare_data` calls `open_attached` first: with no such sidecar it builds the cache from the
`.pose` files as always; with one it opens the named folder, and refuses in one line when this
run's pose settings differ (ConfigError), when the manifest changed since (its hash), or when the
folder is missing or holds other clips (ManifestError). `PoseConfig.zscore` is not compared: the
model applies it to the stored features, so a run may switch it either way over one cache.
Writing `.pose` files into the folder again must `detach_cache`, as `signclip synth` does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

from signclip.config import PoseConfig
from signclip.data.cache import CacheReport, FeatureCache
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError

SIDECAR_SUFFIX = ".features.json"


def feature_settings(pose_cfg: PoseConfig) -> dict[str, object]:
    """The pose settings that stored features depend on: all but `zscore`, applied by the model."""
    settings = dataclasses.asdict(pose_cfg)
    del settings["zscore"]
    return settings


def sidecar_path(manifest: str | Path) -> Path:
    """`DIR/manifest.csv` → `DIR/manifest.features.json`."""
    return Path(manifest).with_suffix(SIDECAR_SUFFIX)


def attach_cache(manifest: str | Path, cache: FeatureCache, pose_cfg: PoseConfig) -> Path:
    """Record that `cache` holds the clips of `manifest` (already written) under `pose_cfg`."""
    manifest = Path(manifest)
    sidecar = sidecar_path(manifest)
    entry = {
        # Relative, so the dataset folder can be moved or copied whole.
        "features": os.path.relpath(cache.folder, manifest.parent),
        "pose": feature_settings(pose_cfg),
        "manifest_sha256": _digest(manifest),
    }
    tmp = sidecar.with_name(f".{sidecar.name}.tmp")
    tmp.write_text(json.dumps(entry, indent=1) + "\n")
    os.replace(tmp, sidecar)
    return sidecar


def detach_cache(manifest: str | Path) -> None:
    """Forget the features attached to `manifest`: its `.pose` files are read again."""
    sidecar_path(manifest).unlink(missing_ok=True)


def open_attached(
    manifest: str | Path, records: Sequence[ClipRecord], pose_cfg: PoseConfig
) -> tuple[FeatureCache, CacheReport] | None:
    """The cache attached to `manifest` (whose rows are `records`), or None if it has none."""
    started = time.perf_counter()
    manifest = Path(manifest)
    sidecar = sidecar_path(manifest)
    if not sidecar.is_file():
        return None
    entry = _read(sidecar)
    _check_settings(manifest, entry["pose"], feature_settings(pose_cfg))
    if _digest(manifest) != entry["manifest_sha256"]:
        raise ManifestError(
            f"{manifest} changed after its features were written: rerun the command that wrote "
            f"them, or delete {sidecar} to read the .pose files instead"
        )
    folder = manifest.parent / entry["features"]
    if not (folder / "meta.json").is_file():
        raise ManifestError(f"{sidecar}: its feature cache {folder} is missing or incomplete")
    cache = FeatureCache(folder)
    if set(cache.ids) != {r.clip_id for r in records}:
        raise ManifestError(f"{manifest}: its clips are not those of its feature cache {folder}")
    seconds = time.perf_counter() - started
    return cache, CacheReport(True, [], len(cache), cache.num_frames, seconds)


def _read(sidecar: Path) -> dict:
    try:
        entry = json.loads(sidecar.read_text())
        return {key: entry[key] for key in ("features", "pose", "manifest_sha256")}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(f"{sidecar}: unreadable ({exc!r}); delete it and rerun") from exc


def _check_settings(manifest: Path, built: dict, wanted: dict) -> None:
    if built != wanted:
        raise ConfigError(
            f"{manifest}: its features were computed with pose settings {_describe(built)}, this "
            f"run asks for {_describe(wanted)}: set pose.* to match, or rebuild the features "
            "with these (signclip synth --cache-only)"
        )


def _describe(settings: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in sorted(settings.items()))


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
