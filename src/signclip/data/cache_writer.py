"""A feature cache built from clips in memory: (clip id, float32 [T, F]) pairs, no `.pose` files.

`write_cache(clips, settings, root)` is `FeatureCache.build_or_open` for data that never was a
file (generated clips: `signclip.synth.cache_only`). The folder is `root/<hash of settings>`, so
`settings` must name everything the features depend on (e.g. the generator's spec and the pose
settings); the same settings reopen the folder without reading `clips`, so a generator passed in
is never started.

The build streams: each clip's frames are appended to `features.f32` as they arrive and only the
index (id, offset, length per clip) stays in memory, so a dataset larger than memory (457K clips
of ~98 frames × 609 features: ~109 GB) is built in one pass. The layout is `cache.py`'s, with one
difference: the index is sorted by clip id as there, but the frames stay in arrival order (the
offsets are not increasing), since sorting them would need a second copy of the whole store. The
folder is filled inside `cache_files.staging` and renamed into place at the end: an exception
(or Ctrl-C) mid-stream publishes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from signclip.data.cache import CACHE_VERSION, CacheReport, FeatureCache
from signclip.data.cache_files import Index, feature_problem, settings_key, staging, write_index
from signclip.errors import ManifestError

Clips = Iterable[tuple[str, np.ndarray]]


def write_cache(
    clips: Clips,
    settings: dict[str, object],
    root: str | Path,
    total: int | None = None,
    progress: bool = True,
) -> tuple[FeatureCache, CacheReport]:
    """Open the cache of `settings` under `root`, building it from `clips` when absent.

    `total` (the number of clips, if known) sizes the progress bar. A clip with a duplicate id,
    no frames, non-finite values or another feature count than the first raises ManifestError:
    clips come from code, not from files, so a bad one is a bug to stop at, not a file to skip.
    """
    started = time.perf_counter()
    settings = {**settings, "version": CACHE_VERSION}
    folder = Path(root).expanduser() / settings_key(settings)
    reused = (folder / "meta.json").is_file()
    if not reused:
        try:
            with staging(folder) as tmp:
                index = _stream(clips, tmp / "features.f32", total, progress)
                write_index(tmp, index, [], settings, time.perf_counter() - started)
        finally:
            if isinstance(clips, Generator):
                # A generator holding a worker pool (iter_features) stops it now, not when
                # garbage-collected.
                clips.close()
    cache = FeatureCache(folder)
    seconds = time.perf_counter() - started
    return cache, CacheReport(reused, [], len(cache), cache.num_frames, seconds)


def _stream(clips: Clips, target: Path, total: int | None, progress: bool) -> Index:
    """Append every clip's frames to `target`; the index of what was written, sorted by id."""
    ids: list[str] = []
    offsets: list[int] = []
    lengths: list[int] = []
    seen: set[str] = set()
    width, rows = 0, 0
    bar = tqdm(total=total, unit="clip", disable=not progress, desc="features")
    with bar, target.open("wb") as out:
        for clip_id, raw in clips:
            features = np.ascontiguousarray(raw, dtype=np.float32)
            width = _checked_width(clip_id, features, width, seen)
            seen.add(clip_id)
            out.write(features.data)
            ids.append(clip_id)
            offsets.append(rows)
            lengths.append(len(features))
            rows += len(features)
            bar.update()
    if not ids:
        raise ManifestError("feature cache: no clips to build (the iterable was empty)")
    # The order cache.py gives the same ids, so a row index means the same clip in both.
    order = sorted(range(len(ids)), key=ids.__getitem__)
    index = [ids[i] for i in order]
    return index, np.asarray(offsets, np.int64)[order], np.asarray(lengths, np.int64)[order], width


def _checked_width(clip_id: str, features: np.ndarray, width: int, seen: set[str]) -> int:
    """F of the clips so far (0 before the first) once this clip passed; else ManifestError."""
    if clip_id in seen:
        raise ManifestError(f"feature cache: duplicate clip id {clip_id!r}")
    problem = feature_problem(features)
    if not problem and width and features.shape[1] != width:
        problem = f"{features.shape[1]} features, the others have {width}"
    if problem:
        raise ManifestError(f"feature cache: clip {clip_id}: {problem}")
    return features.shape[1]
