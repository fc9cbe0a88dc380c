"""Seeded synthetic MediaPipe Holistic poses, for tests and demos that must run without data.

The layouts mirror real recordings: the point names are MediaPipe's, the signer faces the camera
(their left side at larger x, in pixels of a 640 x 480 frame), the face contour is left/right
symmetric under `components.FACE_MIRROR_PAIRS`, and the arms move smoothly over time.
"""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from signclip.pose.components import (
    BODY,
    BODY_POINTS,
    FACE,
    FACE_CONTOUR,
    FACE_MIDLINE,
    FACE_MIRROR_PAIRS,
    HAND_POINTS,
    LEFT_HAND,
    REDUCED_BODY,
    RIGHT_HAND,
)

Layout = Literal["holistic", "holistic-world", "reduced", "right-hand", "hands"]
WORLD = "POSE_WORLD_LANDMARKS"
_WIDTH, _HEIGHT, _MIDLINE = 640, 480, 320.0

# Body points of one side as (distance from the midline, y); LEFT_ names go to +x.
_BODY_SIDE = {
    "EYE_INNER": (10, 138), "EYE": (18, 137), "EYE_OUTER": (26, 138), "EAR": (40, 145),
    "MOUTH": (12, 170), "SHOULDER": (70, 260), "ELBOW": (95, 360), "WRIST": (80, 430),
    "PINKY": (88, 455), "INDEX": (80, 462), "THUMB": (70, 450), "HIP": (50, 460),
    "KNEE": (50, 600), "ANKLE": (50, 720), "HEEL": (53, 735), "FOOT_INDEX": (45, 750),
}  # fmt: skip
# A right hand relative to its wrist (the left hand is its mirror image), fingers up.
_HAND = np.array([
    (0, 0), (-12, -8), (-22, -18), (-30, -26), (-36, -33),
    (-10, -35), (-11, -50), (-11, -59), (-11, -67), (0, -37), (0, -54), (0, -64), (0, -73),
    (9, -35), (10, -50), (10, -59), (10, -66), (17, -31), (19, -42), (20, -49), (21, -55),
], dtype=np.float32)  # fmt: skip
_MOVING = ("ELBOW", "WRIST", "PINKY", "INDEX", "THUMB")


def fake_holistic_pose(
    num_frames: int = 32,
    seed: int = 0,
    layout: Layout = "holistic",
    fps: float = 25.0,
    missing_hand_p: float = 0.0,
) -> Pose:
    """A Pose with MediaPipe Holistic names: "holistic" has 543 points (33 body, 468 face, 21 + 21
    hands), "holistic-world" adds 33 POSE_WORLD_LANDMARKS (576), "reduced" is pose-format's
    178-point `reduce_holistic` layout, "right-hand" the 21 right-hand points alone and "hands"
    the 21 + 21 hand points alone (as a MediaPipe Hands recording).

    Each hand is missing (confidence 0, coordinates 0) in a frame with probability
    `missing_hand_p`; every other point is present with confidence 1.
    """
    rng = np.random.default_rng(seed)
    points = _all_points(num_frames, rng)
    present = {key: np.ones(num_frames, dtype=bool) for key in points}
    for hand in (LEFT_HAND, RIGHT_HAND):
        gone = rng.random(num_frames) < missing_hand_p
        for p in HAND_POINTS:
            present[(hand, p)] = ~gone
    components = _layout(layout)
    keys = [(c, p) for c, names in components for p in names]
    xyz = np.stack([points[k] for k in keys], axis=1)
    confidence = np.stack([present[k] for k in keys], axis=1).astype(np.float32)
    xyz = np.where(confidence[..., None] > 0, xyz, 0).astype(np.float32)
    header = PoseHeader(
        0.2,
        PoseHeaderDimensions(_WIDTH, _HEIGHT, 0),
        [PoseHeaderComponent(c, list(names), [], [], "XYZC") for c, names in components],
    )
    body = NumPyPoseBody(fps, xyz[:, None], confidence[:, None])
    return Pose(header, body)


def pose_bytes(pose: Pose) -> bytes:
    """The `.pose` file content of a Pose."""
    buffer = io.BytesIO()
    pose.write(buffer)
    return buffer.getvalue()


def _layout(layout: Layout) -> list[tuple[str, tuple[str, ...]]]:
    hands = [(LEFT_HAND, HAND_POINTS), (RIGHT_HAND, HAND_POINTS)]
    face = (FACE, tuple(str(i) for i in range(468)))
    layouts = {
        "holistic": [(BODY, BODY_POINTS), face, *hands],
        "holistic-world": [(BODY, BODY_POINTS), face, *hands, (WORLD, BODY_POINTS)],
        "reduced": [(BODY, REDUCED_BODY), (FACE, tuple(map(str, FACE_CONTOUR))), *hands],
        "right-hand": [(RIGHT_HAND, HAND_POINTS)],
        "hands": hands,
    }
    if layout not in layouts:
        raise ValueError(f"unknown layout {layout!r} (known: {', '.join(layouts)})")
    return layouts[layout]


def _all_points(num_frames: int, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """Every point of every component as xyz [T, 3], in pixels (z: MediaPipe's small depth)."""
    t = np.arange(num_frames, dtype=np.float32)[:, None]
    body = _body(t, rng)
    points = {(BODY, name): xyz for name, xyz in body.items()}
    points |= {(WORLD, name): (xyz - [_MIDLINE, 300, 0]) / 300 for name, xyz in body.items()}
    points |= _face(num_frames, rng)
    for hand, side, sign in ((LEFT_HAND, "LEFT", -1), (RIGHT_HAND, "RIGHT", 1)):
        shape = _HAND * [sign, 1] * rng.uniform(0.9, 1.1)
        wrist = body[f"{side}_WRIST"]
        for i, p in enumerate(HAND_POINTS):
            offset = np.append(shape[i], -0.01 * i)
            points[(hand, p)] = wrist + offset + rng.normal(0, 0.5, (num_frames, 3)) * [1, 1, 0]
    return {k: v.astype(np.float32) for k, v in points.items()}


def _body(t: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Body points [T, 3]: a still torso and head with arms swinging at seeded rates."""
    points = {"NOSE": np.array([_MIDLINE, 150, -0.5])}
    for part, (dx, y) in _BODY_SIDE.items():
        for side, sign in (("LEFT", 1), ("RIGHT", -1)):
            name = f"MOUTH_{side}" if part == "MOUTH" else f"{side}_{part}"
            points[name] = np.array([_MIDLINE + sign * dx, y, rng.normal(0, 0.1)])
    out = {}
    for name, base in points.items():
        motion = np.zeros((len(t), 3))
        if any(name.endswith(part) for part in _MOVING):
            rate, phase = rng.uniform(0.1, 0.3), rng.uniform(0, 2 * np.pi)
            motion[:, :2] = 40 * np.sin(rate * t + phase) * [1, -1.5]
        out[name] = base + motion + rng.normal(0, 0.5, (len(t), 3)) * [1, 1, 0.01]
    return out


def _face(num_frames: int, rng: np.random.Generator) -> dict[tuple[str, str], np.ndarray]:
    """468 face points around the nose; the contour is symmetric about the midline."""
    centre = np.array([_MIDLINE, 150, 0.0])
    fixed = {}
    for a, b in FACE_MIRROR_PAIRS:
        dx, dy = rng.uniform(3, 45), rng.uniform(-50, 50)
        fixed[a] = centre + np.array([-dx, dy, 0])
        fixed[b] = centre + np.array([dx, dy, 0])
    for p in FACE_MIDLINE:
        fixed[p] = centre + np.array([0, rng.uniform(-55, 60), 0])
    inner = rng.uniform(-1, 1, (468, 3)) * [40, 50, 0.02]
    jitter = rng.normal(0, 0.3, (num_frames, 468, 3)) * [1, 1, 0]
    return {(FACE, str(i)): fixed.get(i, centre + inner[i]) + jitter[:, i] for i in range(468)}
