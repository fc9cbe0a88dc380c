"""The signer's body: proportions, arms by two-bone inverse kinematics, MediaPipe's 33 points.

Body frame (all of signclip.synth works in it until the camera): origin at the shoulder midpoint,
unit = shoulder width (MediaPipe's LEFT_SHOULDER to RIGHT_SHOULDER), x towards the signer's left
(the image's right: the signer faces the camera), y down, z away from the camera (as MediaPipe's
z: smaller is nearer).

Proportions: limbs from anatomical ratios of stature (Drillis & Contini: upper arm 0.186,
forearm 0.146, hand 0.108, biacromial width 0.259) taken relative to MediaPipe's shoulder points,
which sit at the joint centres, about 0.85 of the biacromial width apart. The head's size and
place and the hips (MediaPipe puts its hip points wider and lower than anatomy would suggest)
come from the real recordings, through the template of signclip.synth.face. Each signer scales
them by a few percent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signclip.pose.components import BODY_POINTS
from signclip.synth.face import template
from signclip.synth.geometry import unit

_INDEX = {name: i for i, name in enumerate(BODY_POINTS)}
_JOINT_SPAN = 0.259 * 0.85  # stature fraction between MediaPipe's shoulder points
# Legs below the hips, in shoulder widths: (sideways share of the hip width, down, depth).
_LEGS = {
    "KNEE": (0.95, 1.45, 0.0),
    "ANKLE": (0.9, 2.85, 0.05),
    "HEEL": (0.9, 2.95, 0.15),
    "FOOT_INDEX": (1.0, 3.0, -0.3),
}
# A folded arm keeps the wrist this far from its shoulder (the flesh of the arm; a fully folded
# skeleton would also point the elbow along the forearm, at any angle).
_MIN_REACH = 0.45
# MediaPipe's body hand points, taken from the hand model's points (indices of HAND_POINTS).
_BODY_HAND = {"WRIST": 0, "PINKY": 17, "INDEX": 5, "THUMB": 2}


@dataclass(frozen=True)
class Body:
    upper_arm: float
    forearm: float
    hand: float  # wrist to middle fingertip
    hip_width: float
    torso: float  # shoulder line to hip line
    head: float  # scale of the face template's size


def mean_body() -> Body:
    t = template()
    return Body(
        upper_arm=0.186 / _JOINT_SPAN,
        forearm=0.146 / _JOINT_SPAN,
        hand=0.108 / _JOINT_SPAN,
        hip_width=t.hip_width,
        torso=t.torso,
        head=1.0,
    )


def sample_body(rng: np.random.Generator) -> Body:
    """A signer's proportions: the mean's, each scaled by N(1, 5 %) within ±12 %."""
    base = mean_body()

    def vary(value: float) -> float:
        return float(value * np.clip(rng.normal(1.0, 0.05), 0.88, 1.12))

    return Body(
        upper_arm=vary(base.upper_arm),
        forearm=vary(base.forearm),
        hand=vary(base.hand),
        hip_width=vary(base.hip_width),
        torso=vary(base.torso),
        head=vary(base.head),
    )


def shoulder(side: int) -> np.ndarray:
    """The shoulder point of side +1 (left, +x) or -1 (right)."""
    return np.array([0.5 * side, 0.0, 0.0])


def solve_arm(
    body: Body, side: int, wrist: np.ndarray, pole: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(elbow, wrist) [T, 3]: the wrist pulled within reach, the elbow on the circle of
    solutions on the side of `pole` [3] (the elbow hangs down, a little out and forward)."""
    s = shoulder(side)
    a, b = body.upper_arm, body.forearm
    offset = wrist - s
    distance = np.linalg.norm(offset, axis=1, keepdims=True)
    reach = np.clip(distance, max(abs(a - b), _MIN_REACH), (a + b) * 0.995)
    axis = offset / np.maximum(distance, 1e-9)
    wrist = s + axis * reach
    along = (a * a - b * b + reach * reach) / (2 * reach)
    radius = np.sqrt(np.maximum(a * a - along * along, 0.0))
    bend = pole - axis * (axis @ pole)[:, None]
    return s + axis * along + unit(bend) * radius, wrist


def arm_pole(side: int) -> np.ndarray:
    return np.array([0.3 * side, 0.8, -0.3])


def body_points(
    body: Body,
    head: dict[str, np.ndarray],
    elbows: dict[int, np.ndarray],
    hands: dict[int, np.ndarray],
) -> np.ndarray:
    """MediaPipe's 33 body points [T, 33, 3].

    `head`: the 11 head points by name (NOSE ... MOUTH_RIGHT) [T, 3]; `elbows` and `hands` by side
    (+1 left, -1 right): elbow [T, 3] and the hand's 21 points [T, 21, 3].
    """
    frames = next(iter(elbows.values())).shape[0]
    points = np.zeros((frames, len(BODY_POINTS), 3))
    for name, xyz in head.items():
        points[:, _INDEX[name]] = xyz
    for side, prefix in ((1, "LEFT"), (-1, "RIGHT")):
        points[:, _INDEX[f"{prefix}_SHOULDER"]] = shoulder(side)
        points[:, _INDEX[f"{prefix}_ELBOW"]] = elbows[side]
        for part, i in _BODY_HAND.items():
            points[:, _INDEX[f"{prefix}_{part}"]] = hands[side][:, i]
        hip = np.array([side * body.hip_width / 2, body.torso, 0.1])
        points[:, _INDEX[f"{prefix}_HIP"]] = hip
        for part, (out, down, depth) in _LEGS.items():
            leg = [side * out * body.hip_width / 2, body.torso + down, depth]
            points[:, _INDEX[f"{prefix}_{part}"]] = leg
    return points


def hip_centre(body: Body) -> np.ndarray:
    return np.array([0.0, body.torso, 0.1])
