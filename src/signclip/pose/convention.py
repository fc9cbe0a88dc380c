"""The one coordinate convention of every `.pose` file an importer writes, and of the features.

Stored (what every importer writes, and what pose-format's MediaPipe Holistic conversion writes:
`pose_format/utils/holistic.py` stores `[p.x * width, p.y * height, p.z]` for each landmark):
- x and y are pixels of the original frame, so the aspect ratio is restored: a source that
  stores values in [0, 1] is multiplied by the frame width and height it gives, or by the
  `--frame-size WxH` its importer was told;
- z is MediaPipe's relative depth as the estimator gives it, on the scale of the normalised x
  (MediaPipe: "z uses roughly the same scale as x"). It is not multiplied, because pose-format
  does not multiply it, and recordings made by pose-format are the bulk of the field's data: an
  importer that scaled it would disagree with every one of them;
- the header's dimensions are the frame's width and height;
- a missing point is stored as 0 with confidence 0 (pose-format masks it on reading), never NaN.

Features (`PoseConfig.depth`, applied by `depth_scale` when features are extracted):
- "raw": z as stored (the paper's input; after shoulder normalisation z is almost 0);
- "pixels": z times the header's frame width, i.e. on the same pixel scale as x;
- "drop": no z at all (F = K * 2), for sources whose depth is unreliable.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from signclip.errors import ConfigError, PoseFileError
from signclip.pose.components import BODY, BODY_POINTS, FACE, HAND_POINTS, LEFT_HAND, RIGHT_HAND
from signclip.pose.io import read_pose

# MediaPipe Holistic without world landmarks, in pose-format's component order: 543 points.
FACE_POINTS = tuple(str(i) for i in range(468))
HOLISTIC_COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (BODY, BODY_POINTS),
    (FACE, FACE_POINTS),
    (LEFT_HAND, HAND_POINTS),
    (RIGHT_HAND, HAND_POINTS),
)
# MediaPipe Hands alone (no body, no face), left then right as in the Holistic layout: 42 points.
HANDS_COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (LEFT_HAND, HAND_POINTS),
    (RIGHT_HAND, HAND_POINTS),
)
HEADER_VERSION = 0.2
_FRAME_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")


def parse_frame_size(text: str) -> tuple[int, int]:
    """ "1920x1080" -> (1920, 1080); a `ConfigError` for anything else."""
    match = _FRAME_SIZE.match(text or "")
    if not match:
        raise ConfigError(f"frame size {text!r}: expected WIDTHxHEIGHT in pixels, e.g. 1920x1080")
    width, height = int(match.group(1)), int(match.group(2))
    if width <= 0 or height <= 0:
        raise ConfigError(f"frame size {text!r}: width and height must be positive")
    return width, height


def holistic_header(width: int, height: int) -> PoseHeader:
    """A header of the 543-point Holistic layout the point sets of `pose.components` select from.

    No bones: drawing connects points by name (`render.topology`), not by the header's limbs.
    """
    components = [
        # The pose-format viewer cycles through the colours: the list must not be empty.
        PoseHeaderComponent(name, list(points), [], [(255, 255, 255)], "XYZC")
        for name, points in HOLISTIC_COMPONENTS
    ]
    return PoseHeader(HEADER_VERSION, PoseHeaderDimensions(width, height, 0), components)


def hands_header(width: int, height: int) -> PoseHeader:
    """A header of the two MediaPipe hands alone (42 points), for recordings without a body: the
    hands' component and point names equal the Holistic layout's, so presets select them alike."""
    components = [
        PoseHeaderComponent(name, list(points), [], [(255, 255, 255)], "XYZC")
        for name, points in HANDS_COMPONENTS
    ]
    return PoseHeader(HEADER_VERSION, PoseHeaderDimensions(width, height, 0), components)


def to_stored(normalised: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """[T, K, 3] x, y in [0, 1] of the frame, MediaPipe z, NaN where missing -> (xyz, confidence).

    xyz [T, K, 3] float32 in the stored convention (0 where missing) and confidence [T, K]
    float32 (1 present, 0 missing). A point is missing when any of its coordinates is not finite.
    """
    xyz = np.asarray(normalised, dtype=np.float64) * np.array([width, height, 1.0])
    present = np.isfinite(xyz).all(axis=-1)
    xyz = np.where(present[..., None], xyz, 0.0).astype(np.float32)
    return xyz, present.astype(np.float32)


def empty_frames(confidence: np.ndarray) -> np.ndarray:
    """[T] bool: frames in which no point at all is present (all NaN in the source)."""
    return ~(confidence > 0).any(axis=tuple(range(1, confidence.ndim)))


def make_pose(xyz: np.ndarray, confidence: np.ndarray, fps: float, header: PoseHeader) -> Pose:
    """One person's stored xyz [T, K, 3] and confidence [T, K] as a Pose (missing points masked)."""
    data = xyz[:, None]
    mask = np.broadcast_to((confidence[:, None] == 0)[..., None], data.shape)
    body = NumPyPoseBody(fps, np.ma.masked_array(data, mask=mask), confidence[:, None])
    return Pose(header, body)


def write_pose_atomically(pose: Pose, path: Path) -> None:
    """Write through a temporary file and rename it, so `path` is always absent or complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            pose.write(f)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def reusable_pose(path: Path, width: int, height: int, fps: float) -> np.ndarray | None:
    """Confidence [T, K] of a complete `.pose` file that an earlier import wrote with this frame
    size and rate, so a rerun can keep it; None when it is missing, broken or was made with other
    settings (then convert again)."""
    if not path.is_file():
        return None
    try:
        pose = read_pose(path)
    except PoseFileError:
        return None
    dims = pose.header.dimensions
    # The file stores the frame rate as float32: compare it so.
    same_fps = np.float32(pose.body.fps) == np.float32(fps)
    if (dims.width, dims.height) != (width, height) or not same_fps:
        return None
    return np.asarray(np.ma.getdata(pose.body.confidence))[:, 0]


def depth_scale(header: PoseHeader, depth: str, name: str = "<pose>") -> float:
    """What stored z is multiplied by under `PoseConfig.depth` ("raw": 1, "pixels": frame width)."""
    if depth != "pixels":
        return 1.0
    width = float(header.dimensions.width)
    if not (np.isfinite(width) and width > 0):
        raise PoseFileError(f"{name}: the header gives no frame width; z cannot be put in pixels")
    return width
