"""Clips to pose-format `Pose` objects and `.pose` files (header v0.2, XYZC, 25 fps).

Headers carry skeleton lines for the body and hands so pose-format's visualiser draws them; the
face is drawn as points. One header object is shared by all clips of a frame size: nothing may
mutate it.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from signclip.pose.components import BODY_POINTS
from signclip.synth.animate import Clip
from signclip.synth.hand import bone_pairs
from signclip.synth.layout import COMPONENTS

HEADER_VERSION = 0.2
_BODY_LINES = (
    ("LEFT_SHOULDER", "RIGHT_SHOULDER"), ("LEFT_SHOULDER", "LEFT_HIP"),
    ("RIGHT_SHOULDER", "RIGHT_HIP"), ("LEFT_HIP", "RIGHT_HIP"),
    ("LEFT_SHOULDER", "LEFT_ELBOW"), ("LEFT_ELBOW", "LEFT_WRIST"),
    ("RIGHT_SHOULDER", "RIGHT_ELBOW"), ("RIGHT_ELBOW", "RIGHT_WRIST"),
    ("LEFT_WRIST", "LEFT_PINKY"), ("LEFT_WRIST", "LEFT_INDEX"), ("LEFT_WRIST", "LEFT_THUMB"),
    ("RIGHT_WRIST", "RIGHT_PINKY"), ("RIGHT_WRIST", "RIGHT_INDEX"), ("RIGHT_WRIST", "RIGHT_THUMB"),
    ("NOSE", "LEFT_EYE"), ("NOSE", "RIGHT_EYE"), ("LEFT_EYE", "LEFT_EAR"),
    ("RIGHT_EYE", "RIGHT_EAR"), ("MOUTH_LEFT", "MOUTH_RIGHT"),
)  # fmt: skip
_COLOURS = {
    "POSE_LANDMARKS": (255, 160, 60),
    "FACE_LANDMARKS": (200, 200, 200),
    "LEFT_HAND_LANDMARKS": (80, 200, 120),
    "RIGHT_HAND_LANDMARKS": (90, 140, 255),
}


def _lines(component: str) -> list[tuple[int, int]]:
    if component == "POSE_LANDMARKS":
        return [(BODY_POINTS.index(a), BODY_POINTS.index(b)) for a, b in _BODY_LINES]
    if component.endswith("HAND_LANDMARKS"):
        return bone_pairs()
    return []


@functools.lru_cache(maxsize=64)
def holistic_header(width: int, height: int) -> PoseHeader:
    components = []
    for name, points in COMPONENTS:
        lines = _lines(name)
        # The visualiser colours points by cycling the list: it must not be empty.
        colours = [_COLOURS[name]] * max(1, len(lines))
        components.append(PoseHeaderComponent(name, list(points), lines, colours, "XYZC"))
    return PoseHeader(HEADER_VERSION, PoseHeaderDimensions(width, height, 0), components)


def to_pose(clip: Clip) -> Pose:
    """One person; points with confidence 0 are masked, as pose-format's reader masks them."""
    data = clip.xyz[:, None]
    confidence = clip.confidence[:, None]
    mask = np.broadcast_to((confidence == 0)[..., None], data.shape)
    body = NumPyPoseBody(clip.fps, np.ma.masked_array(data, mask=mask), confidence)
    return Pose(holistic_header(clip.width, clip.height), body)


def pose_bytes(pose: Pose) -> bytes:
    buffer = io.BytesIO()
    pose.write(buffer)
    return buffer.getvalue()


def write_pose(pose: Pose, path: str | Path) -> int:
    """Write the `.pose` file; returns its size in bytes."""
    content = pose_bytes(pose)
    Path(path).write_bytes(content)
    return len(content)
