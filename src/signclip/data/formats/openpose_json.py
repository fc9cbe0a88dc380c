"""OpenPose's per-frame JSON keypoints -> one `.pose` in pose-format's OpenPose layout.

OpenPose (`--write_json`, with `--face --hand`) writes one file per video frame, named
`<video>_<frame number, 12 digits>_keypoints.json`:

    {"version": 1.3,
     "people": [{"person_id": [-1],
                 "pose_keypoints_2d": [x, y, c, ...],        25 BODY_25 points
                 "face_keypoints_2d": [x, y, c, ...],        70 points
                 "hand_left_keypoints_2d": [x, y, c, ...],   21 points
                 "hand_right_keypoints_2d": [x, y, c, ...],  21 points
                 ...}]}

x and y are pixels of the frame and c the detection confidence; c = 0 means not detected. A
frame without anyone detected has an empty `people` list; a component OpenPose was not asked to
detect is an empty list. Only the first person is read.

The `.pose` written has pose-format's OpenPose layout (the component and point names of its
OpenPose reader: pose_keypoints_2d, face_keypoints_2d, hand_left_keypoints_2d,
hand_right_keypoints_2d; 137 points, x and y; the header's dimensions are the frame size).
Coordinates are stored as given (already pixels); a point that is not detected, or has a
non-finite value, is stored as 0 with confidence 0 (masked). Frames are numbered from the first
file's number; a number with no file (a gap) becomes a frame of missing points.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderDimensions
from pose_format.utils.openpose import OpenPose_Components

from signclip.errors import SignclipError
from signclip.pose.components import (
    OPENPOSE_BODY,
    OPENPOSE_FACE,
    OPENPOSE_LEFT_HAND,
    OPENPOSE_RIGHT_HAND,
)

# (component, points) in the order of the `.pose` layout.
COMPONENTS = (
    (OPENPOSE_BODY, 25),
    (OPENPOSE_FACE, 70),
    (OPENPOSE_LEFT_HAND, 21),
    (OPENPOSE_RIGHT_HAND, 21),
)
NUM_POINTS = sum(n for _, n in COMPONENTS)
FRAME_FILE = re.compile(r"_(\d+)_keypoints\.json$")


class OpenPoseJsonError(SignclipError):
    """A folder of OpenPose frames, or one frame file, that cannot be read."""


class NoFramesError(OpenPoseJsonError):
    """A folder without any frame file: an empty sequence rather than a malformed one."""


@dataclass(frozen=True)
class OpenPoseClip:
    pose: Pose
    # [T] bool: frames whose file is absent (a gap in the numbering): stored as missing points.
    absent: np.ndarray


def openpose_header(width: int, height: int) -> PoseHeader:
    # pose-format's own OpenPose components (names, bones, colours), so that files made by either
    # tool share every name.
    return PoseHeader(0.2, PoseHeaderDimensions(width, height, 0), list(OpenPose_Components))


def frame_files(folder: Path) -> list[tuple[int, Path]]:
    """(frame number, file) of every `*_<number>_keypoints.json` in the folder, in frame order."""
    try:
        names = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise OpenPoseJsonError(f"{folder}: cannot be listed ({exc.strerror})") from None
    frames: dict[int, Path] = {}
    for name in names:
        match = FRAME_FILE.search(name)
        if match is None:
            continue
        number = int(match.group(1))
        if number in frames:
            raise OpenPoseJsonError(f"{folder}: two files for frame {number} ({name})")
        frames[number] = folder / name
    return sorted(frames.items())


def read_frame(path: Path) -> np.ndarray:
    """[NUM_POINTS, 3] float32 (x, y, confidence) of the first person; zeros without a person."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise OpenPoseJsonError(f"{path.name}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise OpenPoseJsonError(f"{path.name}: not valid JSON ({exc.msg})") from None
    people = content.get("people") if isinstance(content, dict) else None
    if not isinstance(people, list):
        raise OpenPoseJsonError(f"{path.name}: no 'people' list")
    frame = np.zeros((NUM_POINTS, 3), dtype=np.float32)
    if not people:
        return frame
    person = people[0]
    if not isinstance(person, dict):
        raise OpenPoseJsonError(f"{path.name}: people[0] is not an object")
    offset = 0
    for component, count in COMPONENTS:
        values = _numbers(person.get(component), component, count, path.name)
        if values:
            frame[offset : offset + count] = np.array(values, dtype=np.float64).reshape(count, 3)
        offset += count
    return frame


def load_openpose_folder(folder: Path, fps: float, width: int, height: int) -> OpenPoseClip:
    """One clip from its folder of frame files; `OpenPoseJsonError` names the first fault."""
    files = frame_files(folder)
    if not files:
        raise NoFramesError(f"{folder}: no *_keypoints.json frame files")
    first, last = files[0][0], files[-1][0]
    length = last - first + 1
    # Far more numbers than files is a misnamed file, not a recording with gaps.
    if length > 2 * len(files):
        raise OpenPoseJsonError(
            f"{folder}: frame numbers run from {first} to {last} but there are only "
            f"{len(files)} files"
        )
    frames = np.zeros((length, NUM_POINTS, 3), dtype=np.float32)
    absent = np.ones(length, dtype=bool)
    for number, path in files:
        frames[number - first] = read_frame(path)
        absent[number - first] = False
    return OpenPoseClip(_pose(frames, fps, width, height), absent)


def _numbers(values: Any, component: str, count: int, where: str) -> list[float]:
    if values is None:
        raise OpenPoseJsonError(f"{where}: people[0] has no {component!r}")
    if not isinstance(values, list) or len(values) not in (0, 3 * count):
        size = len(values) if isinstance(values, list) else type(values).__name__
        raise OpenPoseJsonError(f"{where}: {component} has {size} values, not {3 * count}")
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values):
        raise OpenPoseJsonError(f"{where}: {component} holds a value that is not a number")
    return [v if math.isfinite(v) else math.nan for v in values]


def _pose(frames: np.ndarray, fps: float, width: int, height: int) -> Pose:
    """frames [T, K, 3] (x, y, confidence) -> a one-person Pose, missing points 0 and masked."""
    xy, confidence = frames[..., :2], frames[..., 2]
    present = np.isfinite(confidence) & (confidence > 0) & np.isfinite(xy).all(axis=-1)
    confidence = np.where(present, confidence, 0).astype(np.float32)
    xy = np.where(present[..., None], xy, 0).astype(np.float32)
    mask = np.repeat(~present[:, None, :, None], 2, axis=-1)
    body = NumPyPoseBody(fps, np.ma.masked_array(xy[:, None], mask), confidence[:, None])
    return Pose(openpose_header(width, height), body)
