"""Small vectorised 3D helpers: orientation frames, quaternion slerp, easing, time warps.

Rotations are [..., 3, 3] matrices whose columns are the rotated x, y, z axes; quaternions are
[..., 4] as (w, x, y, z). Everything broadcasts over leading axes (usually frames).
"""

from __future__ import annotations

import numpy as np


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def hand_frame(fingers: np.ndarray, palm: np.ndarray) -> np.ndarray:
    """The rotation whose columns are (fingers × palm, fingers, palm), after making palm ⟂ fingers.

    The hand model's local axes are x = thumb side (of a right hand), y = along the fingers,
    z = out of the palm; so this maps a right hand's local points to where `fingers` points and
    `palm` faces.
    """
    d = unit(np.asarray(fingers, dtype=np.float64))
    n = np.asarray(palm, dtype=np.float64)
    n = unit(n - d * np.sum(n * d, axis=-1, keepdims=True))
    return np.stack([np.cross(d, n), d, n], axis=-1)


def rotate(rotation: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Points [T, K, 3] turned by per-frame rotations [T, 3, 3] (a batched matmul: einsum's
    generic loop is several times slower here)."""
    return points @ np.swapaxes(rotation, -1, -2)


def axis_rotation(axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotations [..., 3, 3] by `angle` [...] about the unit `axis` [3] (Rodrigues)."""
    x, y, z = axis
    k = np.array([[0, -z, y], [z, 0, -x], [-y, x, 0]], dtype=np.float64)
    angle = np.asarray(angle, dtype=np.float64)[..., None, None]
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def euler_xyz(pitch: np.ndarray, yaw: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """R = Rz(roll) @ Ry(yaw) @ Rx(pitch), per frame."""
    return (
        axis_rotation(np.array([0.0, 0, 1]), roll)
        @ axis_rotation(np.array([0.0, 1, 0]), yaw)
        @ axis_rotation(np.array([1.0, 0, 0]), pitch)
    )


def to_quaternion(r: np.ndarray) -> np.ndarray:
    """Quaternions [..., 4] of proper rotations [..., 3, 3] (the numerically safe branch each)."""
    r = np.asarray(r, dtype=np.float64)
    m = r.reshape(-1, 3, 3)
    trace = np.trace(m, axis1=1, axis2=2)
    diagonal = np.diagonal(m, axis1=1, axis2=2)
    # Candidates 4w², 4x², 4y², 4z²: the largest gives the best-conditioned formula.
    squares = np.stack([1 + trace, *(1 + 2 * diagonal.T - trace)], axis=1)
    best = squares.argmax(axis=1)
    q = np.empty((len(m), 4))
    for i in range(4):
        rows = best == i
        if rows.any():
            q[rows] = _quaternion_branch(m[rows], i, np.sqrt(squares[rows, i]))
    return q.reshape(*r.shape[:-2], 4)


def _quaternion_branch(m: np.ndarray, i: int, s: np.ndarray) -> np.ndarray:
    # s = 2|q_i|; the other components come from sums and differences of off-diagonal pairs.
    a = (m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1])
    b = (m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1])
    rows = {
        0: (s * s, a[0], a[1], a[2]),
        1: (a[0], s * s, b[0], b[1]),
        2: (a[1], b[0], s * s, b[2]),
        3: (a[2], b[1], b[2], s * s),
    }[i]
    return np.stack(rows, axis=1) / (2 * s[:, None])


def from_quaternion(q: np.ndarray) -> np.ndarray:
    w, x, y, z = np.moveaxis(unit(q), -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def slerp(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Rotations between a and b [..., 3, 3] at weights w [...] (0: a, 1: b), the short way."""
    qa, qb = to_quaternion(a), to_quaternion(b)
    qa, qb = np.broadcast_arrays(qa, qb)
    dot = np.sum(qa * qb, axis=-1)
    qb = np.where(dot[..., None] < 0, -qb, qb)  # q and -q are one rotation: take the near one
    dot = np.clip(np.abs(dot), -1.0, 1.0)
    theta = np.arccos(dot)[..., None]
    w = np.asarray(w, dtype=np.float64)[..., None]
    small = theta < 1e-4
    sin = np.where(small, 1.0, np.sin(theta))
    ka = np.where(small, 1 - w, np.sin((1 - w) * theta) / sin)
    kb = np.where(small, w, np.sin(w * theta) / sin)
    return from_quaternion(ka * qa + kb * qb)


def ease(u: np.ndarray) -> np.ndarray:
    """Smooth 0 → 1 on [0, 1] with zero speed at both ends (how a hand starts and stops)."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def triangle(u: np.ndarray) -> np.ndarray:
    """0 → 1 → 0 over each unit of u, eased: a movement out and back."""
    return ease(1 - np.abs(2 * (u % 1.0) - 1))
