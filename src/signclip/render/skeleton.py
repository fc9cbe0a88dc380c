"""A header's drawable parts: bones and joints as flat point indices, found by name, with a style.

MediaPipe components are drawn from `topology`'s named chains; the header's own `limbs` are ignored
for them (pose-format writes all 2,556 mesh edges for a face). Any other component (OpenPose's
BODY_25, face and hands) is drawn from the limbs its header declares, so it still looks like a
skeleton. World landmarks are metres around the hips, not image points, and are never drawn.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from pose_format.pose_header import PoseHeader

from signclip.pose.components import BODY, FACE, LEFT_HAND, RIGHT_HAND, point_indices
from signclip.render import topology

RGB = tuple[int, int, int]

# The signer's two sides get two hues everywhere (hand strong, arm light) so that crossings and
# hand swaps can be followed; the head stays neutral.
LEFT_HAND_COLOUR: RGB = (31, 102, 196)
RIGHT_HAND_COLOUR: RGB = (214, 48, 39)
LEFT_ARM_COLOUR: RGB = (130, 170, 224)
RIGHT_ARM_COLOUR: RGB = (236, 140, 128)
TORSO_COLOUR: RGB = (120, 120, 120)
FACE_COLOUR: RGB = (70, 70, 70)
LIPS_COLOUR: RGB = (176, 64, 104)

_MEDIAPIPE = (BODY, FACE, LEFT_HAND, RIGHT_HAND)
_EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Part:
    """One colour's worth of bones and joints; sizes in pixels, see `canvas.STYLE_SHOULDERS`."""

    name: str
    bones: np.ndarray  # [S, 2] flat point indices
    joints: np.ndarray  # [N] flat point indices drawn as dots
    colour: RGB
    line: float
    dot: float
    # Drawn only in frames where none of these points is present (a stand-in, e.g. the body
    # model's crude hand for a frame whose hand was not detected). Empty: always drawn.
    unless: np.ndarray = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True)
class Skeleton:
    parts: tuple[Part, ...]  # in drawing order: later parts cover earlier ones

    @property
    def points(self) -> np.ndarray:
        """Every point some part draws (sorted flat indices)."""
        used = [p.bones.ravel() for p in self.parts] + [p.joints for p in self.parts]
        return np.unique(np.concatenate(used)) if used else _EMPTY

    @property
    def colours(self) -> tuple[RGB, ...]:
        return tuple(dict.fromkeys(p.colour for p in self.parts))


def build_skeleton(header: PoseHeader) -> Skeleton:
    """The parts of every component this header carries; a part without points is left out."""
    names = {c.name for c in header.components}
    parts: list[Part] = []
    if BODY in names:
        parts += _body_parts(header)
    if FACE in names:
        parts += _face_parts(header)
    for hand, colour in ((LEFT_HAND, LEFT_HAND_COLOUR), (RIGHT_HAND, RIGHT_HAND_COLOUR)):
        if hand in names:
            side = "left" if hand == LEFT_HAND else "right"
            parts.append(_part(f"{side} hand", header, hand, topology.HAND, colour, 1.8, 1.6))
    parts += _declared_parts(header)
    return Skeleton(tuple(p for p in parts if p.bones.size or p.joints.size))


def _body_parts(header: PoseHeader) -> list[Part]:
    face = _present(header, FACE, {p for chain in _face_chains() for p in chain})
    parts = [
        _part("torso", header, BODY, topology.TORSO, TORSO_COLOUR, 2.5, 0.0),
        _part("head", header, BODY, topology.BODY_HEAD, FACE_COLOUR, 1.5, 1.5, unless=face),
    ]
    for side, hand, colour in (
        ("LEFT", LEFT_HAND, LEFT_ARM_COLOUR),
        ("RIGHT", RIGHT_HAND, RIGHT_ARM_COLOUR),
    ):
        name = side.lower()
        parts.append(_part(f"{name} arm", header, BODY, topology.arm(side), colour, 3.5, 2.5))
        hand_points = _present(header, hand, {p for chain in topology.HAND for p in chain})
        parts.append(
            _part(
                f"{name} body hand", header, BODY, topology.body_hand(side), colour, 2.0, 0.0,
                unless=hand_points,
            )
        )  # fmt: skip
    return parts


def _face_chains() -> tuple[topology.Chain, ...]:
    return topology.FACE_OVAL + topology.EYES + topology.BROWS + topology.LIPS


def _face_parts(header: PoseHeader) -> list[Part]:
    outline = topology.FACE_OVAL + topology.EYES + topology.BROWS
    return [
        _part("face", header, FACE, outline, FACE_COLOUR, 1.1, 0.0),
        _part("lips", header, FACE, topology.LIPS, LIPS_COLOUR, 1.3, 0.0),
        _part("irises", header, FACE, (topology.IRIS_CENTRES,), FACE_COLOUR, 0.0, 1.6, bones=False),
    ]


def _part(
    name: str,
    header: PoseHeader,
    component: str,
    chains: Iterable[topology.Chain],
    colour: RGB,
    line: float,
    dot: float,
    unless: np.ndarray = _EMPTY,
    bones: bool = True,
) -> Part:
    """Bones between consecutive names of each chain; those touching an absent name are dropped."""
    pairs: list[tuple[int, int]] = []
    joints: set[int] = set()
    for chain in chains:
        idx = point_indices(header, [(component, p) for p in chain])
        joints.update(int(i) for i in idx if i >= 0)
        if bones:
            pairs += [(int(a), int(b)) for a, b in itertools.pairwise(idx) if a >= 0 and b >= 0]
    bone_array = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    joint_array = np.array(sorted(joints), dtype=np.int64) if dot > 0 else _EMPTY
    return Part(name, bone_array, joint_array, colour, line, dot, unless)


def _present(header: PoseHeader, component: str, points: Iterable[str]) -> np.ndarray:
    idx = point_indices(header, [(component, p) for p in sorted(points)])
    return idx[idx >= 0]


def _declared_parts(header: PoseHeader) -> list[Part]:
    """Components not known by name: their header's limbs as bones, every point as a joint."""
    parts = []
    offset = 0
    for component in header.components:
        count = len(component.points)
        if component.name not in _MEDIAPIPE and "WORLD" not in component.name.upper():
            limbs = [
                (offset + a, offset + b)
                for a, b in component.limbs
                if 0 <= a < count and 0 <= b < count
            ]
            bones = np.array(limbs, dtype=np.int64).reshape(-1, 2)
            joints = np.arange(offset, offset + count, dtype=np.int64)
            colour, line, dot = _declared_style(component.name)
            parts.append(Part(component.name, bones, joints, colour, line, dot))
        offset += count
    return parts


def _declared_style(name: str) -> tuple[RGB, float, float]:
    lowered = name.lower()
    if "left" in lowered:
        return LEFT_HAND_COLOUR, 2.0, 2.0
    if "right" in lowered:
        return RIGHT_HAND_COLOUR, 2.0, 2.0
    if "face" in lowered:
        return FACE_COLOUR, 1.1, 1.0
    return TORSO_COLOUR, 3.0, 2.5
