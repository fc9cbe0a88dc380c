"""The feature cache: every clip of a dataset parsed once into one memory-mapped float32 store.

Parsing `.pose` files costs far more than training reads, so each dataset is extracted once, in
parallel, into a folder under the cache root named by a hash of (cache format version, pose
settings, extractor, every clip's id, path, size and mtime). Changing a setting or touching a file
gives a new key and so a fresh build; an unchanged dataset opens in milliseconds.

Folder contents:
- `features.f32`: all clips' frames concatenated, float32 [total_frames, F], read as a memmap;
- `index.npz`: `ids`, `offsets`, `lengths` (clips sorted by id, so the layout depends on the key
  only, not on the order the records came in);
- `meta.json`: settings, counts, F and build time;
- `failures.json`: [clip id, path, one-line reason] of every clip that could not be used.

A build writes into a hidden temporary folder and renames it into place at the end, so an
interrupted build never leaves a folder that looks complete. (A build killed outright leaves its
`.tmp-*` folder behind; it is never opened and can be deleted.) `cache_files` writes the folder;
`cache_writer` fills the same layout from clips in memory.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from signclip.config import PoseConfig
from signclip.data.cache_files import feature_problem, settings_key, staging, write_index
from signclip.data.manifest import ClipRecord
from signclip.errors import ManifestError, PoseFileError, SignclipError
from signclip.parallel import ordered_map

# Bump when the stored layout or the meaning of stored features changes: old folders are ignored.
CACHE_VERSION = 2

Extractor = Callable[[Path, PoseConfig], np.ndarray]
# (clip id, path, one-line reason)
Failure = tuple[str, str, str]
# One file's features, or None and the reason it is unusable.
Extracted = tuple[np.ndarray | None, str]
# Where a worker wrote a clip's frames: (shard file, byte offset, (frames, features)).
Place = tuple[str, int, tuple[int, int]]
Outcome = tuple[Place | None, str]


@dataclass
class CacheReport:
    reused: bool
    failures: list[Failure]
    num_clips: int
    num_frames: int
    seconds: float


class FeatureCache:
    """A read-only view of one built cache folder.

    `ids` [N] clip ids (sorted), `offsets` and `lengths` [N] int64 rows of each clip in `frames`,
    the whole store [num_frames, F] as one read-only array over the memory map.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            meta = json.loads((self.folder / "meta.json").read_text())
            with np.load(self.folder / "index.npz") as index:
                self.ids: list[str] = index["ids"].tolist()
                self.offsets: np.ndarray = index["offsets"]
                self.lengths: np.ndarray = index["lengths"]
            shape = (int(meta["num_frames"]), int(meta["num_features"]))
            stored = np.memmap(self.folder / "features.f32", np.float32, mode="r", shape=shape)
        except (OSError, ValueError, KeyError) as exc:
            raise ManifestError(
                f"feature cache {self.folder}: unreadable ({exc}); delete the folder to rebuild it"
            ) from exc
        self.num_frames, self.num_features = shape
        # A plain ndarray view of the map: slicing it skips np.memmap's per-slice bookkeeping.
        self.frames: np.ndarray = np.asarray(stored)
        self._position = {clip_id: i for i, clip_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self):
        # Pickling (e.g. into a DataLoader worker) reopens the folder instead of copying the data.
        return (FeatureCache, (self.folder,))

    def get(self, i: int) -> np.ndarray:
        """Clip `i`'s frames [T, F]: a read-only view of the memory map, not a copy."""
        start = int(self.offsets[i])
        return self.frames[start : start + int(self.lengths[i])]

    def index_of(self, clip_id: str) -> int:
        try:
            return self._position[clip_id]
        except KeyError:
            raise KeyError(
                f"clip {clip_id!r} is not in the feature cache {self.folder} "
                "(not in the manifest it was built from, or it failed: see failures.json)"
            ) from None

    @classmethod
    def build_or_open(
        cls,
        records: Sequence[ClipRecord],
        pose_cfg: PoseConfig,
        root: str | Path,
        workers: int = 0,
        strict: bool = False,
        progress: bool = True,
        extractor: Extractor | None = None,
    ) -> tuple[FeatureCache, CacheReport]:
        """Open the cache of these records and settings under `root`, building it when absent.

        `extractor(path, pose_cfg) -> float32 [T, F]` defaults to
        `signclip.pose.features.load_features`; a `SignclipError` from it marks the clip as bad:
        reported and skipped, or raised at once (as `PoseFileError`) when `strict`.
        `workers=0` uses every core; 1 extracts in this process.
        """
        started = time.perf_counter()
        extractor = extractor or _default_extractor()
        clips = _fingerprints(records)
        settings = _settings(pose_cfg, extractor)
        folder = Path(root).expanduser() / _key(clips, settings)
        reused = (folder / "meta.json").is_file()
        if not reused:
            extract = functools.partial(_extract, extractor, pose_cfg)
            _build(clips, settings, folder, extract, workers, strict, progress)
        cache = cls(folder)
        failures = [tuple(f) for f in json.loads((folder / "failures.json").read_text())]
        seconds = time.perf_counter() - started
        return cache, CacheReport(reused, failures, len(cache), cache.num_frames, seconds)


def compute_statistics(
    cache: FeatureCache, indices: Sequence[int] | np.ndarray, clips_per_chunk: int = 32
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std [F] over the present (non-zero) values of the given clips.

    Missing points are stored as exact zeros, so counting them would drag every mean towards 0.
    Clips are reduced in chunks of `clips_per_chunk` clips, merged with Chan's formula (float64,
    numerically stable). A feature never present gets mean 0 and std 1, and a constant one std 1,
    so the z-score of either leaves the values as they are.
    """
    width = cache.num_features
    count, mean, m2 = np.zeros(width), np.zeros(width), np.zeros(width)
    indices = np.asarray(indices, dtype=np.int64)
    for first in range(0, len(indices), clips_per_chunk):
        chunk = np.concatenate([cache.get(i) for i in indices[first : first + clips_per_chunk]])
        present = chunk != 0
        n = present.sum(axis=0).astype(np.float64)
        chunk_mean = chunk.sum(axis=0, dtype=np.float64) / np.maximum(n, 1)
        chunk_m2 = (np.where(present, chunk - chunk_mean, 0.0) ** 2).sum(axis=0)
        total = count + n
        delta = chunk_mean - mean
        mean = mean + delta * n / np.maximum(total, 1)
        m2 = m2 + chunk_m2 + delta**2 * count * n / np.maximum(total, 1)
        count = total
    std = np.sqrt(m2 / np.maximum(count, 1))
    std[std < 1e-8] = 1.0
    return mean.astype(np.float32), std.astype(np.float32)


@dataclass(frozen=True)
class _Clip:
    clip_id: str
    path: str
    size: int  # -1: the file is missing
    mtime_ns: int


def _default_extractor() -> Extractor:
    # Imported late: opening a built cache should not need the pose-parsing stack.
    from signclip.pose.features import load_features

    return load_features


def _fingerprints(records: Sequence[ClipRecord]) -> list[_Clip]:
    if not records:
        raise ManifestError("feature cache: no clips to build (the selection of records is empty)")
    clips, seen = [], set()
    for record in sorted(records, key=lambda r: r.clip_id):
        if record.clip_id in seen:
            raise ManifestError(f"feature cache: duplicate clip id {record.clip_id!r}")
        seen.add(record.clip_id)
        path = str(record.pose_path)
        try:
            stat = os.stat(path)
            clips.append(_Clip(record.clip_id, path, stat.st_size, stat.st_mtime_ns))
        except OSError:
            clips.append(_Clip(record.clip_id, path, -1, -1))
    return clips


def _settings(pose_cfg: PoseConfig, extractor: Extractor) -> dict[str, object]:
    return {
        "version": CACHE_VERSION,
        "pose": dataclasses.asdict(pose_cfg),
        # Another extractor means other features, even under the same settings.
        "extractor": _name_of(extractor),
    }


def _name_of(extractor: Extractor) -> str:
    # Callable objects (and partials) have no __qualname__ of their own: name their class.
    name = getattr(extractor, "__qualname__", None) or type(extractor).__qualname__
    return f"{extractor.__module__}.{name}"


def _key(clips: list[_Clip], settings: dict[str, object]) -> str:
    return settings_key({**settings, "clips": [dataclasses.astuple(c) for c in clips]})


def _build(
    clips: list[_Clip],
    settings: dict[str, object],
    folder: Path,
    extract: Callable[[str], Extracted],
    workers: int,
    strict: bool,
    progress: bool,
) -> None:
    started = time.perf_counter()
    store = _Store(strict)
    present = [c for c in clips if c.size >= 0]
    with staging(folder) as tmp:
        for clip in clips:
            if clip.size < 0:
                store.fail(clip, f"{clip.path}: no such file")
        job = functools.partial(_extract_to_shard, str(tmp), extract)
        with ordered_map(job, [c.path for c in present], workers) as outcomes:
            bar = tqdm(outcomes, total=len(present), unit="clip", disable=not progress)
            for clip, outcome in zip(present, bar, strict=True):
                store.add(clip, *outcome)
        store.finish(tmp, len(clips), settings, time.perf_counter() - started)


class _Store:
    """Keeps where each good clip's frames landed and the failures; writes the folder at the end."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.ids: list[str] = []
        self.places: list[tuple[str, int]] = []
        self.lengths: list[int] = []
        self.failures: list[Failure] = []
        self.width: int | None = None

    def add(self, clip: _Clip, place: Place | None, reason: str) -> None:
        if place is not None and self.width not in (None, place[2][1]):
            place, reason = None, f"{place[2][1]} features, the others have {self.width}"
        if place is None:
            self.fail(clip, reason)
            return
        shard, offset, (frames, self.width) = place
        self.ids.append(clip.clip_id)
        self.places.append((shard, offset))
        self.lengths.append(frames)

    def fail(self, clip: _Clip, reason: str) -> None:
        if self.strict:
            raise PoseFileError(f"clip {clip.clip_id}: {reason}")
        self.failures.append((clip.clip_id, clip.path, reason))

    def finish(
        self, folder: Path, num_clips: int, settings: dict[str, object], seconds: float
    ) -> None:
        """Write the store, the index, the failures and, last, the metadata into `folder`."""
        # Missing files are found before extraction; sorting restores the order of the ids.
        self.failures.sort()
        if not self.ids:
            first_id, _, reason = self.failures[0]
            raise ManifestError(
                f"feature cache: all {num_clips} clips failed; the first, {first_id}: {reason}"
            )
        lengths = np.asarray(self.lengths, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        row_bytes = 4 * self.width
        _assemble(
            folder, self.places, (offsets * row_bytes).tolist(), int(lengths.sum()) * row_bytes
        )
        index = (self.ids, offsets, lengths, self.width)
        write_index(folder, index, self.failures, settings, seconds)


def _assemble(folder: Path, places: list[tuple[str, int]], starts: list[int], total: int) -> None:
    """Copy the clips from the shards into `features.f32` at `starts`; delete the shards.

    A single shard already in index order (a one-process build) is the store: it is renamed.
    """
    target = folder / "features.f32"
    shards = sorted(folder.glob("shard-*.f32"))
    in_order = [offset for _, offset in places] == starts
    if len(shards) == 1 and in_order and shards[0].stat().st_size == total:
        shards[0].rename(target)
        return
    maps = {str(s): np.memmap(s, dtype=np.uint8, mode="r") for s in shards}
    ends = [*starts[1:], total]
    with target.open("wb") as out:
        for (shard, offset), start, end in zip(places, starts, ends, strict=True):
            out.write(maps[shard][offset : offset + end - start])
    del maps
    for shard in shards:
        shard.unlink()


def _extract_to_shard(folder: str, extract: Callable[[str], Extracted], path: str) -> Outcome:
    """Extract one clip and append its frames to this process's shard file in `folder`.

    Only the place goes back to the main process: unpickling piped arrays there cost a third of a
    worker's time, which would cap a build at about three workers.
    """
    features, reason = extract(path)
    if features is None:
        return None, reason
    shard = os.path.join(folder, f"shard-{os.getpid()}.f32")
    # Opened per clip in append mode, so the file is complete whenever a worker is stopped.
    with open(shard, "ab") as f:
        offset = f.tell()
        f.write(features.data)
    return (shard, offset, features.shape), ""


def _extract(extractor: Extractor, pose_cfg: PoseConfig, path: str) -> Extracted:
    try:
        features = extractor(Path(path), pose_cfg)
    except SignclipError as exc:
        return None, str(exc)
    features = np.ascontiguousarray(features, dtype=np.float32)
    problem = feature_problem(features)
    return (None, f"{path}: {problem}") if problem else (features, "")
