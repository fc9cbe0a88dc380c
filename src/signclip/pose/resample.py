"""Linear resampling of a clip in time; missing points are NaN (see `normalize`)."""

from __future__ import annotations

import math

import numpy as np

# Tolerance, in source frames, for a new frame to count as falling on a source frame.
_ON_FRAME = 1e-6


def resampled_length(num_frames: int, src_fps: float, dst_fps: float) -> int:
    """Frames at `dst_fps` within the source clip's span, the first at t = 0."""
    return math.floor((num_frames - 1) * dst_fps / src_fps + _ON_FRAME) + 1


def resample(xyz: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """xyz [T, K, 3] at `src_fps` -> [T', K, 3] at `dst_fps`.

    Each new frame interpolates its two neighbouring source frames, so a point missing (NaN) in
    either neighbour is missing in the new frame: no position is invented between a real point
    and a missing one. A new frame that falls on a source frame is a copy of it.
    """
    num_frames = xyz.shape[0]
    length = resampled_length(num_frames, src_fps, dst_fps)
    position = np.arange(length) * (src_fps / dst_fps)
    lower = np.minimum(np.floor(position + _ON_FRAME).astype(np.int64), num_frames - 1)
    weight = position - lower
    between = np.flatnonzero(weight > _ON_FRAME)
    out = xyz[lower]
    w = weight[between, None, None].astype(np.float32)
    out[between] = xyz[lower[between]] * (1 - w) + xyz[lower[between] + 1] * w
    return out
