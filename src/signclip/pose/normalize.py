"""Geometric clean-up of one clip's points, xyz [T, K, 3] float32, pure numpy.

Inside this pipeline a missing point is NaN in all three coordinates, so every step needs no
mask: arithmetic spreads NaN to whatever depends on a missing point (an offset from a missing
wrist, an interpolation with a missing neighbour), which is exactly what must become missing.
`to_features` turns NaN into the 0 the model sees. Elementwise steps run on [T, K * 3] views,
because numpy's loops over a trailing axis of 3 are several times slower.
"""

from __future__ import annotations

import numpy as np

# No recording's coordinates come near this (pixels, metres, millimetres, unit squares all stay
# far below); beyond it a value is a corrupt float (a flipped exponent bit, a 3e38 filler) whose
# arithmetic would overflow float32 once normalised, so it counts as missing, not as a point.
MAX_COORDINATE = 1e6


def mark_missing(xyz: np.ndarray, missing: np.ndarray) -> int:
    """In place: points where `missing` [T, K] holds, and points with a corrupt coordinate (NaN,
    infinite or beyond ±`MAX_COORDINATE`), become NaN in all three coordinates.

    Returns how many points were dropped for corrupt coordinates alone.
    """
    points = _flat_view(xyz, (-1, xyz.shape[-1]))
    # NaN fails the comparison too, so this one test catches every kind of corrupt value.
    sane = np.abs(points) <= MAX_COORDINATE
    corrupt = 0
    if not sane.all():
        dropped = ~sane.all(axis=1)
        points[dropped] = np.nan
        corrupt = int(np.count_nonzero(dropped & ~missing.ravel()))
    points[np.flatnonzero(missing)] = np.nan
    return corrupt


def detected(xyz: np.ndarray) -> np.ndarray:
    """[T, K] bool: True where the point is present."""
    return ~np.isnan(xyz[..., 0])


def pair_frame(
    xyz: np.ndarray, first: int | list[int], second: int | list[int]
) -> tuple[np.ndarray, float] | None:
    """One (centre [D], width) for the clip from two points, e.g. the shoulders.

    As pose-format's `Pose.normalize` (which the paper used): over the frames where both points
    were detected, the centre is their mean midpoint and the width their mean distance.
    None when the two are never detected together. Lists pool several pairs (`first[i]` with
    `second[i]`, e.g. each hand's wrist and middle knuckle) as if they were more frames.
    """
    a = xyz[:, first].astype(np.float64).reshape(-1, xyz.shape[-1])
    b = xyz[:, second].astype(np.float64).reshape(-1, xyz.shape[-1])
    both = ~(np.isnan(a[:, 0]) | np.isnan(b[:, 0]))
    if not both.any():
        return None
    a, b = a[both], b[both]
    centre = ((a + b) / 2).mean(axis=0)
    width = float(np.linalg.norm(a - b, axis=-1).mean())
    return centre, width


def reach(xyz: np.ndarray, centre: np.ndarray) -> float:
    """The largest |coordinate - centre| over the present points (NaN when none is present).

    Computed in float64 from per-axis extremes, so it never overflows.
    """
    high = _per_axis(np.fmax, xyz)
    low = _per_axis(np.fmin, xyz)
    return float(np.maximum(high - centre, centre - low).max())


def _per_axis(extreme: np.ufunc, xyz: np.ndarray) -> np.ndarray:
    # fmax/fmin skip NaN where max/min would spread it. Reducing over time first, on [T, K * 3],
    # is some 40 times faster than one reduction of [T * K, 3] over its long axis.
    over_time = extreme.reduce(xyz.reshape(xyz.shape[0], -1), axis=0)
    return extreme.reduce(over_time.reshape(-1, xyz.shape[-1]), axis=0).astype(np.float64)


def apply_frame(xyz: np.ndarray, centre: np.ndarray, width: float) -> None:
    """In place: p -> (p - centre) / width for every point (missing ones stay NaN)."""
    flat = _flat_view(xyz, (xyz.shape[0], -1))
    flat -= np.tile(centre.astype(np.float32), xyz.shape[1])
    flat *= np.float32(1 / width)


def hide(xyz: np.ndarray, columns: np.ndarray) -> None:
    """In place: the given points become missing in every frame."""
    xyz[:, columns] = np.nan


def fill_from(xyz: np.ndarray, target: int, source: int) -> None:
    """In place: where point `target` is missing, it takes point `source`."""
    take = np.isnan(xyz[:, target, 0])
    xyz[take, target] = xyz[take, source]


def relative_to(xyz: np.ndarray, origin: int, columns: np.ndarray) -> None:
    """In place: `columns` become offsets from point `origin`; missing where the origin is.

    The origin itself keeps its position, so the offsets stay anchored in the frame.
    """
    xyz[:, columns] -= xyz[:, origin, None]


def mirror_x(xyz: np.ndarray) -> None:
    """In place: negate x (after normalisation, a left/right flip about the body's midline)."""
    xyz[..., 0] *= -1


def to_features(xyz: np.ndarray) -> np.ndarray:
    """[T, K, 3] -> float32 [T, K * 3], point-major then xyz, missing points exactly 0.

    Reuses xyz's memory when it is already contiguous float32.
    """
    flat = np.ascontiguousarray(xyz, dtype=np.float32).reshape(xyz.shape[0], -1)
    flat[np.isnan(flat)] = 0
    return flat


def _flat_view(xyz: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    # A reshape of a non-contiguous array would be a copy and lose the in-place update.
    if not xyz.flags.c_contiguous:
        raise ValueError("xyz must be C-contiguous: it is updated in place through a flat view")
    return xyz.reshape(shape)
