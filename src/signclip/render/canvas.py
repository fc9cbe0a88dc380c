"""Drawing one frame of a pose as a skeleton on a white picture.

Pillow's ImageDraw does not antialias, so each frame is drawn at SUPERSAMPLE times the size and
box-filtered down: edges come out smooth, and thin face lines stay visible instead of breaking up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw
from pose_format import Pose

from signclip.errors import PoseFileError
from signclip.pose.components import BODY, point_indices
from signclip.render.skeleton import Skeleton, build_skeleton

SUPERSAMPLE = 3
# Style sizes (Part.line, Part.dot) are pixels for a signer whose shoulders are this far apart in
# the picture: lines scale with the person, not the picture, so a small signer in a wide frame
# does not turn into blobs. Without shoulders, sizes are pixels of a 400-pixel-wide picture.
STYLE_SHOULDERS = 120.0
STYLE_WIDTH = 400
_UNIT_RANGE = (0.4, 4.0)
_BACKGROUND = (255, 255, 255)
# A clip is drawn in its video frame when at least this share of its drawn points lies inside it;
# otherwise the header's size does not describe the coordinates (normalised or shifted poses), and
# the picture frames the points themselves.
_INSIDE_SHARE = 0.5
_MARGIN = 0.05
_ZOOM_BELOW = 0.5


@dataclass(frozen=True)
class View:
    """Which region of pose space the picture shows, and the picture's size in pixels."""

    x0: float
    y0: float
    scale: float  # picture pixels per pose unit
    width: int
    height: int
    unit: float = 1.0  # multiplier of the style sizes


class FrameDrawer:
    """Draws frames of one pose; the skeleton and the view are worked out once."""

    def __init__(self, pose: Pose, width: int, name: str = "<pose>") -> None:
        self.pose = pose
        self.skeleton = build_skeleton(pose.header)
        if not self.skeleton.parts:
            has = ", ".join(c.name for c in pose.header.components) or "none"
            raise PoseFileError(f"{name}: nothing to draw (components: {has})")
        self.view = make_view(pose, self.skeleton, width)
        self._data = pose.body.data
        self._confidence = pose.body.confidence

    @property
    def num_frames(self) -> int:
        return int(self._data.shape[0])

    def draw(self, frame: int) -> Image.Image:
        xy, present = frame_points(self._data, self._confidence, frame)
        return draw_skeleton(xy, present, self.skeleton, self.view)


def frame_points(data, confidence, frame: int) -> tuple[np.ndarray, np.ndarray]:
    """xy [P, K, 2] and present [P, K] of one frame. A point is present when its confidence is
    positive and its coordinates are finite and not masked (datasets mark misses either way)."""
    values = data[frame]
    xy = np.asarray(np.ma.getdata(values)[..., :2], dtype=np.float64)
    present = np.asarray(confidence[frame]) > 0
    present &= np.isfinite(xy).all(axis=-1)
    present &= ~np.ma.getmaskarray(values)[..., :2].any(axis=-1)
    return xy, present


def make_view(pose: Pose, skeleton: Skeleton, width: int) -> View:
    """The header's video frame scaled to `width`, or the points' bounding box when the header's
    size is missing or most points fall outside it."""
    dims = pose.header.dimensions
    region = (0.0, 0.0, float(dims.width), float(dims.height))
    points = _drawn_points(pose, skeleton)
    if not (dims.width > 1 and dims.height > 1 and _mostly_inside(points, region)):
        region = _bounds(points)
    elif len(points):
        region = _zoomed(region, _bounds(points))
    x0, y0, w, h = region
    scale = width / w
    shoulders = _shoulder_width(pose)
    unit = shoulders * scale / STYLE_SHOULDERS if shoulders else width / STYLE_WIDTH
    unit = float(np.clip(unit, *_UNIT_RANGE))
    return View(x0, y0, scale, width, max(1, round(h * scale)), unit)


def _shoulder_width(pose: Pose) -> float | None:
    """Median distance between the shoulders over the frames that have both, in pose units."""
    idx = point_indices(pose.header, [(BODY, "LEFT_SHOULDER"), (BODY, "RIGHT_SHOULDER")])
    if (idx < 0).any():
        return None
    data = pose.body.data[:, :, idx]
    xy = np.asarray(np.ma.getdata(data)[..., :2], dtype=np.float64)
    present = (np.asarray(pose.body.confidence)[:, :, idx] > 0).all(axis=-1)
    distance = np.linalg.norm(xy[:, :, 0] - xy[:, :, 1], axis=-1)[present]
    distance = distance[np.isfinite(distance) & (distance > 0)]
    return float(np.median(distance)) if distance.size else None


def _drawn_points(pose: Pose, skeleton: Skeleton) -> np.ndarray:
    """The present xy [N, 2] of the drawn points over all frames (for choosing the view)."""
    idx = skeleton.points
    data = pose.body.data[:, :, idx]
    xy = np.asarray(np.ma.getdata(data)[..., :2], dtype=np.float64)
    present = np.asarray(pose.body.confidence)[:, :, idx] > 0
    present &= np.isfinite(xy).all(axis=-1) & ~np.ma.getmaskarray(data)[..., :2].any(axis=-1)
    return xy[present]


def _mostly_inside(points: np.ndarray, region: tuple[float, float, float, float]) -> bool:
    if len(points) == 0:
        return True
    x0, y0, w, h = region
    inside = (points[:, 0] >= x0) & (points[:, 0] <= x0 + w)
    inside &= (points[:, 1] >= y0) & (points[:, 1] <= y0 + h)
    return bool(inside.mean() >= _INSIDE_SHARE)


def _zoomed(
    frame: tuple[float, float, float, float], box: tuple[float, float, float, float]
) -> tuple[float, float, float, float]:
    """The frame, or, when the points fill less than half of it both ways (a small signer, a
    header that overstates the video's size), the smallest region of the frame's aspect ratio
    around them."""
    _, _, fw, fh = frame
    bx, by, bw, bh = box
    if bw >= _ZOOM_BELOW * fw or bh >= _ZOOM_BELOW * fh:
        return frame
    w = max(bw, bh * fw / fh)
    h = w * fh / fw
    return bx + (bw - w) / 2, by + (bh - h) / 2, w, h


def _bounds(points: np.ndarray) -> tuple[float, float, float, float]:
    if len(points) == 0:
        return 0.0, 0.0, 1.0, 1.0
    low, high = points.min(axis=0), points.max(axis=0)
    # Robust to a stray far-off point: frame the 1st..99th percentile when there are many points.
    if len(points) >= 100:
        low, high = np.percentile(points, 1, axis=0), np.percentile(points, 99, axis=0)
    size = np.maximum(high - low, 1e-6)
    low = low - _MARGIN * size
    size = size * (1 + 2 * _MARGIN)
    return float(low[0]), float(low[1]), float(size[0]), float(size[1])


def draw_skeleton(
    xy: np.ndarray, present: np.ndarray, skeleton: Skeleton, view: View
) -> Image.Image:
    """One picture of every person of a frame: xy [P, K, 2] in pose units, present [P, K]."""
    ss = SUPERSAMPLE
    picture = Image.new("RGB", (view.width * ss, view.height * ss), _BACKGROUND)
    pen = ImageDraw.Draw(picture)
    unit = view.unit * ss
    canvas = (xy - [view.x0, view.y0]) * (view.scale * ss)
    # Far-off points (a hip guessed metres outside the frame) are pulled in to a few picture sizes
    # away: the visible part of their bones barely changes, and Pillow gets sane coordinates.
    limit = 4 * max(view.width, view.height) * ss
    canvas = np.clip(canvas, -limit, limit)
    for person in range(xy.shape[0]):
        for part in skeleton.parts:
            if part.unless.size and present[person, part.unless].any():
                continue
            _draw_part(pen, canvas[person], present[person], part, unit)
    return picture.reduce(ss)


def _draw_part(pen: ImageDraw.ImageDraw, xy: np.ndarray, present: np.ndarray, part, unit) -> None:
    width = max(1, round(part.line * unit))
    bones = part.bones[present[part.bones].all(axis=1)] if part.bones.size else part.bones
    for a, b in bones:
        pen.line([tuple(xy[a]), tuple(xy[b])], fill=part.colour, width=width)
    # Round ends, so that bones meeting at an angle join without notches.
    if width >= 3:
        _dots(pen, xy, np.unique(bones), width / 2, part.colour)
    if part.dot > 0 and part.joints.size:
        _dots(pen, xy, part.joints[present[part.joints]], part.dot * unit, part.colour)


def _dots(pen: ImageDraw.ImageDraw, xy: np.ndarray, idx: np.ndarray, radius: float, colour):
    for x, y in xy[idx]:
        pen.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
