"""Writing a feature-cache folder (layout in `signclip.data.cache`), shared by its two builders.

`FeatureCache.build_or_open` extracts `.pose` files in a pool; `cache_writer.write_cache` streams
clips that were never files. Both name the folder with `settings_key`, fill it inside `staging`,
check every clip with `feature_problem` and end with `write_index`, so `FeatureCache` opens either.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

# ids [N], offsets [N] and lengths [N] (rows of `features.f32`), features per frame F.
Index = tuple[Sequence[str], np.ndarray, np.ndarray, int]


def settings_key(settings: dict[str, object]) -> str:
    """The folder name of a cache: a hash of everything its contents depend on."""
    blob = json.dumps(settings, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


@contextlib.contextmanager
def staging(folder: Path) -> Iterator[Path]:
    """A fresh hidden folder to fill, renamed to `folder` when the block completes.

    It is deleted whatever happens, so an exception never leaves a folder that looks complete.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.parent / f".tmp-{folder.name}-{socket.gethostname()}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
        _publish(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def feature_problem(features: np.ndarray) -> str:
    """Why a clip's features cannot be stored ("" when they can)."""
    if features.ndim != 2:
        return f"features of shape {features.shape}, expected [T, F]"
    if features.shape[0] == 0:
        return "zero frames"
    if not np.isfinite(features).all():
        return "non-finite feature values"
    return ""


def write_index(
    folder: Path,
    index: Index,
    failures: Sequence[tuple[str, str, str]],
    settings: dict[str, object],
    seconds: float,
) -> None:
    """Write `index.npz`, `failures.json` and, last, `meta.json` beside `features.f32`."""
    ids, offsets, lengths, width = index
    np.savez(folder / "index.npz", ids=np.asarray(ids), offsets=offsets, lengths=lengths)
    _write_json(folder / "failures.json", [list(f) for f in failures])
    meta = {
        **settings,
        "num_clips": len(ids),
        "num_frames": int(lengths.sum()),
        "num_features": width,
        "num_failures": len(failures),
        "build_seconds": round(seconds, 3),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    # meta.json last: its presence is what marks a folder as complete.
    _write_json(folder / "meta.json", meta)


def _publish(tmp: Path, folder: Path) -> None:
    try:
        os.rename(tmp, folder)
    except OSError:
        # Another process built the same key meanwhile: its folder is as good as ours.
        if not (folder / "meta.json").is_file():
            raise


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
