"""A `.pose` clip to per-frame features float32 [T, F]: select, normalise, resample, flatten.

Steps, for every preset:
1. The preset's points are gathered by name from the first person; only x, y, z are kept (a 4th
   coordinate such as AUTSL's visibility is dropped, and confidence is never a feature; a 2D
   file such as OpenPose's gets z = 0). A point is missing where its confidence is 0 or NaN,
   where a stored coordinate is corrupt (NaN, infinite or beyond ±1e6, see
   `normalize.MAX_COORDINATE`), or where the layout lacks an optional point. Missing points are
   NaN inside the pipeline (see `normalize`) and exactly 0 in the features.
   `PoseConfig.depth` then keeps z as stored, puts it in pixels or drops it (see `convention`).
2. One transform per clip, from the file's shoulders (the preset's `shoulders`: POSE_LANDMARKS
   LEFT/RIGHT_SHOULDER, or BODY_25 LShoulder/RShoulder for openpose-body-hands; looked up in
   the file even when the preset does not include them): subtract the mean shoulder midpoint,
   divide by the mean 3D shoulder width, over the frames with both shoulders, as pose-format's
   `Pose.normalize` that the paper used. A layout with shoulders that are never detected is
   refused. A layout without shoulders can only be a hand-only file (dominant-hand):
   its own wrist and middle-finger knuckle play the shoulders' part, because such files come in
   arbitrary units (pose-format's hand-normalised samples span 0-229).
   hands uses no body at all, so that hands-only recordings (MediaPipe Hands) and the hands of
   holistic ones give the same features: each hand's wrist and middle-finger knuckle play the
   shoulders' part, pooled over both hands and all frames (centre: the mean palm, the midpoint
   of the two; unit: the clip's hand size, their mean distance; see `_normalise_hands`). A clip
   in which no hand is ever detected is refused.
3. Preset specifics. reduced-face (the paper): the 8 leg points are hidden (missing). sign-vq:
   a hand wrist missing in a frame takes the body's wrist, then each hand's other 20 points
   become offsets from its wrist while the wrist keeps its normalised position (so where the hand
   is stays known); hand points without a wrist become missing. dominant-hand: the right hand;
   in a clip where it is never detected but the left hand is (a left-handed signer), the left
   hand is used, mirrored (x negated after normalisation). hands: each hand's other 20 points
   become offsets from its wrist, as in sign-vq (shape), and the wrist keeps its normalised
   position (where the hand is).
4. With `PoseConfig.fps`, linear resampling in time (see `resample`).
5. Flatten point-major, then xyz: F = K * 3.

Features are finite and within ±2 * `MAX_FEATURE`: a clip with a point more than `MAX_FEATURE`
units (step 2's shoulder width or hand size) from the centre is refused in step 2, and later
steps only take differences of (sign-vq, hands), interpolate between (resampling) or negate
(mirroring) such values.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pose_format import Pose

from signclip.config import PoseConfig
from signclip.errors import PoseFileError
from signclip.pose import convention, normalize
from signclip.pose.components import (
    BODY,
    HAND_POINTS,
    LEFT_HAND,
    LEG_POINTS,
    RIGHT_HAND,
    PointSet,
    get_point_set,
    point_indices,
    select_points,
)
from signclip.pose.io import read_pose
from signclip.pose.resample import resample

DIMS = 3
_WRIST_RELATIVE_PRESETS = frozenset({"sign-vq"})
_DOMINANT = "dominant-hand"
_LEFT_HAND = tuple((LEFT_HAND, p) for p in HAND_POINTS)
_MIDDLE_MCP = HAND_POINTS.index("MIDDLE_FINGER_MCP")
# Real recordings stay within about 3 shoulder widths of the shoulders, and within about 10 hand
# sizes of their mean palm. A thousand means wrong shoulders (a near-zero width) or a wild point,
# and much larger values would overflow the model's activations into a NaN embedding.
MAX_FEATURE = 1e3


@dataclass(frozen=True)
class FeatureLayout:
    """The shape of a preset's features, for the model and the augmentations."""

    point_set: PointSet
    num_points: int
    dims: int
    num_features: int
    mirror: tuple[int, ...]


def feature_layout(cfg: PoseConfig) -> FeatureLayout:
    point_set = get_point_set(cfg.preset)
    k = point_set.num_points
    dims = DIMS - 1 if cfg.depth == "drop" else DIMS
    return FeatureLayout(point_set, k, dims, k * dims, point_set.mirror)


def load_features(path: str | Path, cfg: PoseConfig) -> np.ndarray:
    return extract_features(read_pose(path), cfg, name=str(path))


def extract_features(pose: Pose, cfg: PoseConfig, name: str = "<clip>") -> np.ndarray:
    """float32 [T, F]; never NaN; missing points exactly 0."""
    point_set = get_point_set(cfg.preset)
    columns = select_points(pose.header, point_set, name)
    if pose.header.num_dims() < 2:
        raise PoseFileError(f"{name}: has {pose.header.num_dims()} coordinates per point; 2 needed")
    if point_set.shoulders is None:
        xyz = _hands_normalised(pose, cfg, point_set, columns, name)
    else:
        xyz = _body_normalised(pose, cfg, point_set, columns, name)
    if cfg.fps is not None:
        xyz = _resample(xyz, pose.body.fps, cfg.fps, name)
    return normalize.to_features(xyz)


def _hands_normalised(
    pose: Pose, cfg: PoseConfig, point_set: PointSet, columns: np.ndarray, name: str
) -> np.ndarray:
    """Steps 1-3 of the hands preset: xyz [T, K, 3] with NaN where missing."""
    xyz, corrupt = _gather(pose, columns)
    xyz = _apply_depth(xyz, pose, cfg, name)
    _normalise_hands(xyz, point_set, name, corrupt)
    return xyz


def _body_normalised(
    pose: Pose, cfg: PoseConfig, point_set: PointSet, columns: np.ndarray, name: str
) -> np.ndarray:
    """Steps 1-3 of a preset normalised by the shoulders: xyz [T, K, 3] with NaN where missing."""
    k = point_set.num_points
    # Extra columns after the set's K: the shoulders, then (dominant-hand) the other hand.
    extra = point_set.shoulders + (_LEFT_HAND if point_set.name == _DOMINANT else ())
    extra_columns = point_indices(pose.header, extra)
    xyz, corrupt = _gather(pose, np.concatenate([columns, extra_columns]))
    xyz = _apply_depth(xyz, pose, cfg, name)
    mirrored = point_set.name == _DOMINANT and _use_left_hand(xyz, k)
    shoulders_in_layout = (extra_columns[:2] >= 0).any()
    if shoulders_in_layout:
        _normalise(xyz, k, k + 1, "shoulders", name, corrupt)
    else:
        _normalise(xyz, 0, _MIDDLE_MCP, "hand", name, corrupt)
    xyz = xyz[:, :k]
    if mirrored:
        normalize.mirror_x(xyz)
    _hide_legs(xyz, point_set)
    if point_set.name in _WRIST_RELATIVE_PRESETS:
        _wrist_relative(xyz, point_set)
    return xyz


def _gather(pose: Pose, columns: np.ndarray) -> tuple[np.ndarray, int]:
    """xyz [T, C, 3] of the given flat point columns (-1: absent), missing points NaN, and the
    number of points dropped for corrupt coordinates."""
    absent = columns < 0
    safe = np.where(absent, 0, columns)
    data = np.ma.getdata(pose.body.data)
    frames, _, points, dims = data.shape
    used = min(dims, DIMS)  # a 2D file has no z: it stays 0
    # Person 0 only. One gather of scalars from [T, N * D] is much faster than one of 3-vectors.
    flat = (safe[:, None] * dims + np.arange(used)).ravel()
    rows = data[:, 0].reshape(frames, points * dims)
    # `take` returns a C-ordered copy (plain indexing may not), as `mark_missing` needs.
    taken = np.take(rows, flat, axis=1).astype(np.float32, copy=False)
    if used == DIMS:
        xyz = taken.reshape(frames, len(columns), DIMS)
    else:
        xyz = np.zeros((frames, len(columns), DIMS), dtype=np.float32)
        xyz[..., :used] = taken.reshape(frames, len(columns), used)
    confidence = np.asarray(np.ma.getdata(pose.body.confidence))[:, 0]
    missing = ~(confidence[:, safe] > 0) | absent  # a NaN confidence counts as 0
    return xyz, normalize.mark_missing(xyz, missing)


def _use_left_hand(xyz: np.ndarray, k: int) -> bool:
    """Move the left hand (after the shoulders) into the right hand's place if only it shows."""
    present = normalize.detected(xyz)
    left = slice(k + 2, k + 2 + k)
    if present[:, :k].any() or not present[:, left].any():
        return False
    xyz[:, :k] = xyz[:, left]
    return True


def _normalise(xyz: np.ndarray, a: int, b: int, what: str, name: str, corrupt: int) -> None:
    """Centre on the mean midpoint of points a and b, scale by their mean distance."""
    frame = normalize.pair_frame(xyz, a, b)
    _apply_checked(xyz, frame, what, f"{what} width", name, corrupt)


def _normalise_hands(xyz: np.ndarray, point_set: PointSet, name: str, corrupt: int) -> None:
    """The hands preset: centre on the clip's mean palm, scale by its hand size, then each
    hand's fingers become offsets from its wrist.

    One size for both hands and the whole clip, not one per hand or per frame: a per-frame size
    would erase the size changes that depth brings and wobble with detection noise, and a
    per-hand one would erase the difference between the two hands (one nearer the camera, or
    foreshortened) and rest on few frames for a hand that is rarely seen. A signer's hands are
    the same size, so one unit, pooled over every detected hand, is the steadiest estimate.
    The centre is the mean palm, not the mean wrist: a wrist that never moves (a one-frame
    clip, pose-format's hand-normalised files, which pin it) would sit exactly on the mean
    wrist and read as missing (0), while it lies half a hand from the mean palm.
    Mirroring the clip maps the pooled palms onto themselves and keeps every length, so the
    centre is mirrored and the size kept: augment's flip (negate x, swap the hands) yields the
    features of the mirrored recording, as it does for the shoulder-normalised presets.
    """
    hands = (LEFT_HAND, RIGHT_HAND)
    wrists = [point_set.index_of(hand, "WRIST") for hand in hands]
    knuckles = [point_set.index_of(hand, "MIDDLE_FINGER_MCP") for hand in hands]
    frame = normalize.pair_frame(xyz, wrists, knuckles)
    _apply_checked(xyz, frame, "hands", "hand size", name, corrupt)
    for hand in hands:
        _fingers_relative(xyz, point_set, hand)


def _apply_checked(
    xyz: np.ndarray,
    frame: tuple[np.ndarray, float] | None,
    what: str,
    unit: str,
    name: str,
    corrupt: int,
) -> None:
    """Apply a clip's (centre, unit length), refusing one that cannot give sane features."""
    if frame is None:
        # A file of corrupt floats loses its shoulders like any other point: say why.
        why = f" ({corrupt} points with corrupt coordinates count as missing)" if corrupt else ""
        raise PoseFileError(f"{name}: {what} never detected{why}; cannot normalise")
    centre, width = frame
    if not np.isfinite(width) or width <= 0:
        raise PoseFileError(f"{name}: {unit} is {width:g}; cannot normalise")
    # Measured before scaling, in float64: scaling first could overflow float32 to inf.
    reach = normalize.reach(xyz, centre) / width
    if reach > MAX_FEATURE:
        raise PoseFileError(
            f"{name}: points lie up to {reach:.3g} {unit}s from the centre "
            f"(at most {MAX_FEATURE:g} expected); corrupt points or {what} (width {width:.3g})"
        )
    normalize.apply_frame(xyz, centre, width)


def _hide_legs(xyz: np.ndarray, point_set: PointSet) -> None:
    legs = [point_set.index_of(BODY, p) for p in LEG_POINTS]
    columns = np.array([i for i in legs if i is not None], dtype=np.int64)
    if columns.size:
        normalize.hide(xyz, columns)


def _wrist_relative(xyz: np.ndarray, point_set: PointSet) -> None:
    for hand, side in ((LEFT_HAND, "LEFT"), (RIGHT_HAND, "RIGHT")):
        wrist = point_set.index_of(hand, "WRIST")
        normalize.fill_from(xyz, wrist, point_set.index_of(BODY, f"{side}_WRIST"))
        _fingers_relative(xyz, point_set, hand)


def _fingers_relative(xyz: np.ndarray, point_set: PointSet, hand: str) -> None:
    fingers = np.array([point_set.index_of(hand, p) for p in HAND_POINTS[1:]])
    normalize.relative_to(xyz, point_set.index_of(hand, "WRIST"), fingers)


def _resample(xyz: np.ndarray, src_fps: float, dst_fps: float, name: str) -> np.ndarray:
    src_fps = float(src_fps)
    if not np.isfinite(src_fps) or src_fps <= 0:
        raise PoseFileError(f"{name}: frame rate {src_fps:g} in the file; cannot resample")
    if src_fps == dst_fps:
        return xyz
    return resample(xyz, src_fps, dst_fps)


def _apply_depth(xyz: np.ndarray, pose: Pose, cfg: PoseConfig, name: str) -> np.ndarray:
    """`PoseConfig.depth` (see `convention`), applied before normalisation, so that a dropped z
    plays no part in the shoulder width and a scaled one weighs as much as x and y."""
    if cfg.depth == "drop":
        return np.ascontiguousarray(xyz[..., : DIMS - 1])
    scale = convention.depth_scale(pose.header, cfg.depth, name)
    if scale != 1.0:
        xyz[..., 2] *= np.float32(scale)
    return xyz
