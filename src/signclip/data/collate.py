"""Batches of clips from the feature cache: one preallocated copy, no per-frame Python.

Each clip's frames go straight from the memory map into a zeroed [B, T, F] array, so the cost is
one memcpy per clip; the tensors share that array's memory (torch.from_numpy, no second copy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from signclip.batch import PoseBatch
from signclip.data.cache import FeatureCache


def collate_poses(
    cache: FeatureCache,
    indices: Sequence[int] | np.ndarray,
    max_frames: int,
    rng: np.random.Generator | None = None,
) -> PoseBatch:
    """Pad the clips at `indices` (cache positions) to the longest, at most `max_frames`, frames.

    A clip longer than `max_frames` is cropped to `max_frames` frames: at a uniformly random
    start when `rng` is given (training), else around its centre. The centre crop is for quick
    evaluation straight from the cache only; inference and full evaluation cut long clips into
    windows themselves, so no frame is lost there.
    """
    if max_frames < 1:
        raise ValueError(f"max_frames must be at least 1, got {max_frames}")
    indices = np.asarray(indices, dtype=np.int64)
    lengths = cache.lengths[indices]
    offsets = cache.offsets[indices]
    width = int(min(lengths.max(initial=0), max_frames))
    kept = np.minimum(lengths, max_frames)
    starts = offsets + _crop_starts(lengths, max_frames, rng)
    features = np.zeros((len(indices), width, cache.num_features), dtype=np.float32)
    frames = cache.frames
    # Python ints: slicing with them is measurably cheaper than with numpy scalars.
    for row, (start, count) in enumerate(zip(starts.tolist(), kept.tolist(), strict=True)):
        features[row, :count] = frames[start : start + count]
    mask = np.arange(width) < kept[:, None]
    return PoseBatch(torch.from_numpy(features), torch.from_numpy(mask))


def _crop_starts(
    lengths: np.ndarray, max_frames: int, rng: np.random.Generator | None
) -> np.ndarray:
    """First frame to keep of each clip: 0 unless the clip is longer than `max_frames`."""
    spare = np.maximum(lengths - max_frames, 0)
    if rng is None:
        return spare // 2
    # integers(0, spare + 1) draws each start uniformly from 0..spare; spare 0 gives 0.
    return rng.integers(0, spare + 1)
