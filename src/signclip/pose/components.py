"""Named point sets (the features' point order) and their selection from a `.pose` header.

Points are always found by (component name, point name): recordings of the same estimator differ
in which components they carry (world landmarks, refined iris points, reduced bodies), so a point's
position in the body says nothing.

Two estimators' layouts are known: MediaPipe Holistic (reduced-face, sign-vq, dominant-hand,
hands) and OpenPose BODY_25 + face + hands, 2D (openpose-body-hands). MediaPipe's hand components
alone (MediaPipe Hands recordings, no body) suit dominant-hand and hands. A file of one estimator
asked for another's preset is refused with a message that names the preset to use instead.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from pose_format.pose_header import PoseHeader

from signclip.errors import ConfigError, PoseFileError

BODY = "POSE_LANDMARKS"
FACE = "FACE_LANDMARKS"
LEFT_HAND = "LEFT_HAND_LANDMARKS"
RIGHT_HAND = "RIGHT_HAND_LANDMARKS"

# MediaPipe's PoseLandmark order.
BODY_POINTS = (
    "NOSE", "LEFT_EYE_INNER", "LEFT_EYE", "LEFT_EYE_OUTER", "RIGHT_EYE_INNER", "RIGHT_EYE",
    "RIGHT_EYE_OUTER", "LEFT_EAR", "RIGHT_EAR", "MOUTH_LEFT", "MOUTH_RIGHT", "LEFT_SHOULDER",
    "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_PINKY",
    "RIGHT_PINKY", "LEFT_INDEX", "RIGHT_INDEX", "LEFT_THUMB", "RIGHT_THUMB", "LEFT_HIP",
    "RIGHT_HIP", "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE", "LEFT_HEEL",
    "RIGHT_HEEL", "LEFT_FOOT_INDEX", "RIGHT_FOOT_INDEX",
)  # fmt: skip

# MediaPipe's HandLandmark order.
HAND_POINTS = (
    "WRIST", "THUMB_CMC", "THUMB_MCP", "THUMB_IP", "THUMB_TIP", "INDEX_FINGER_MCP",
    "INDEX_FINGER_PIP", "INDEX_FINGER_DIP", "INDEX_FINGER_TIP", "MIDDLE_FINGER_MCP",
    "MIDDLE_FINGER_PIP", "MIDDLE_FINGER_DIP", "MIDDLE_FINGER_TIP", "RING_FINGER_MCP",
    "RING_FINGER_PIP", "RING_FINGER_DIP", "RING_FINGER_TIP", "PINKY_MCP", "PINKY_PIP",
    "PINKY_DIP", "PINKY_TIP",
)  # fmt: skip

# The body of pose-format's `reduce_holistic` (the 178-point layout), in its order.
REDUCED_BODY = (
    "LEFT_SHOULDER", "RIGHT_SHOULDER", "LEFT_ELBOW", "RIGHT_ELBOW",
    "LEFT_WRIST", "RIGHT_WRIST", "LEFT_HIP", "RIGHT_HIP",
)  # fmt: skip

LEG_POINTS = tuple(
    f"{side}_{part}"
    for part in ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
    for side in ("LEFT", "RIGHT")
)

# The points of MediaPipe's FACEMESH_CONTOURS (lips, eyes, eyebrows, face oval), sorted.
FACE_CONTOUR = (
    0, 7, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63, 65, 66, 67, 70, 78,
    80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133, 136, 144, 145, 146,
    148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163, 172, 173, 176, 178, 181,
    185, 191, 234, 246, 249, 251, 263, 267, 269, 270, 276, 282, 283, 284, 285, 288, 291, 293, 295,
    296, 297, 300, 308, 310, 311, 312, 314, 317, 318, 321, 323, 324, 332, 334, 336, 338, 356, 361,
    362, 365, 373, 374, 375, 377, 378, 379, 380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397,
    398, 400, 402, 405, 409, 415, 454, 466,
)  # fmt: skip

# Mirror images among the contour points. Derived once from real frontal faces (25 recordings of
# ../shared/data: DGS dictionary, fingerspelling, pose-format samples): per frame, x was mirrored,
# a reflection fitted (Kabsch with det -1) alternately with a point assignment (Hungarian), the
# costs summed over frames and files, and one assignment solved. It came out an involution, every
# frontal recording agreed with it, the runner-up partner of each point cost >= 1.65x more, and a
# drawing showed eye-eye, brow-brow, lip-lip and oval-oval pairs. The midline maps to itself.
FACE_MIDLINE = (0, 10, 13, 14, 17, 152)
FACE_MIRROR_PAIRS = (
    (7, 249), (21, 251), (33, 263), (37, 267), (39, 269), (40, 270), (46, 276), (52, 282),
    (53, 283), (54, 284), (55, 285), (58, 288), (61, 291), (63, 293), (65, 295), (66, 296),
    (67, 297), (70, 300), (78, 308), (80, 310), (81, 311), (82, 312), (84, 314), (87, 317),
    (88, 318), (91, 321), (93, 323), (95, 324), (103, 332), (105, 334), (107, 336), (109, 338),
    (127, 356), (132, 361), (133, 362), (136, 365), (144, 373), (145, 374), (146, 375),
    (148, 377), (149, 378), (150, 379), (153, 380), (154, 381), (155, 382), (157, 384),
    (158, 385), (159, 386), (160, 387), (161, 388), (162, 389), (163, 390), (172, 397),
    (173, 398), (176, 400), (178, 402), (181, 405), (185, 409), (191, 415), (234, 454),
    (246, 466),
)  # fmt: skip

_FACE_PARTNER = {p: p for p in FACE_MIDLINE} | {a: b for a, b in FACE_MIRROR_PAIRS}
_FACE_PARTNER |= {b: a for a, b in FACE_MIRROR_PAIRS}

# OpenPose's components and point names, as pose-format names them in OpenPose `.pose` files.
OPENPOSE_BODY = "pose_keypoints_2d"
OPENPOSE_FACE = "face_keypoints_2d"
OPENPOSE_LEFT_HAND = "hand_left_keypoints_2d"
OPENPOSE_RIGHT_HAND = "hand_right_keypoints_2d"

# OpenPose's BODY_25 order.
OPENPOSE_BODY_POINTS = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip

# The BODY_25 points above the hips: the head, neck, shoulders, elbows and wrists.
OPENPOSE_UPPER_BODY = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
    "REye", "LEye", "REar", "LEar",
)  # fmt: skip

# OpenPose's 21 hand points (wrist base, then thumb, index, middle, ring and little finger).
OPENPOSE_HAND_POINTS = (
    "BASE", "T_STT", "T_BCMC", "T_MCP", "T_IP", "I_CMC", "I_MCP", "I_PIP", "I_DIP", "M_CMC",
    "M_MCP", "M_PIP", "M_DIP", "R_CMC", "R_MCP", "R_PIP", "R_DIP", "P_CMC", "P_MCP", "P_PIP",
    "P_DIP",
)  # fmt: skip

OPENPOSE_PRESET = "openpose-body-hands"
HANDS_PRESET = "hands"
MEDIAPIPE_PRESETS = ("reduced-face", "sign-vq", "dominant-hand", HANDS_PRESET)

Point = tuple[str, str]

MEDIAPIPE_SHOULDERS: tuple[Point, Point] = ((BODY, "LEFT_SHOULDER"), (BODY, "RIGHT_SHOULDER"))
OPENPOSE_SHOULDERS: tuple[Point, Point] = (
    (OPENPOSE_BODY, "LShoulder"),
    (OPENPOSE_BODY, "RShoulder"),
)


@dataclass(frozen=True)
class PointSet:
    """The points of a feature vector, in feature order."""

    name: str
    points: tuple[Point, ...]
    # Points a layout may lack (e.g. the legs of a 178-point file): they are filled as missing.
    optional: frozenset[Point]
    # mirror[k] is the point that takes point k's place when the signer is flipped left/right.
    mirror: tuple[int, ...]
    # The (left, right) shoulders that normalise a clip, looked up in the file even when the set
    # itself leaves them out. None: the set is normalised by its hands alone (see `features`),
    # so that recordings without a body can use it.
    shoulders: tuple[Point, Point] | None = MEDIAPIPE_SHOULDERS

    @property
    def num_points(self) -> int:
        return len(self.points)

    def index_of(self, component: str, point: str) -> int | None:
        return self._positions.get((component, point))

    @functools.cached_property
    def _positions(self) -> dict[Point, int]:
        return {p: i for i, p in enumerate(self.points)}


def _swap_side(point: str) -> str:
    swap = {"LEFT": "RIGHT", "RIGHT": "LEFT"}
    return "_".join(swap.get(word, word) for word in point.split("_"))


def _swap_openpose_side(point: str) -> str:
    # BODY_25 names carry the side as a leading L or R before a capital: LShoulder, REye.
    if len(point) > 1 and point[0] in "LR" and point[1].isupper():
        return {"L": "R", "R": "L"}[point[0]] + point[1:]
    return point


_HAND_PARTNER = {
    LEFT_HAND: RIGHT_HAND,
    RIGHT_HAND: LEFT_HAND,
    OPENPOSE_LEFT_HAND: OPENPOSE_RIGHT_HAND,
    OPENPOSE_RIGHT_HAND: OPENPOSE_LEFT_HAND,
}


def _partner(component: str, point: str) -> Point:
    if component in _HAND_PARTNER:
        return _HAND_PARTNER[component], point
    if component == FACE:
        return FACE, str(_FACE_PARTNER[int(point)])
    if component == OPENPOSE_BODY:
        return component, _swap_openpose_side(point)
    return component, _swap_side(point)


def _mirror(points: tuple[Point, ...]) -> tuple[int, ...]:
    position = {p: i for i, p in enumerate(points)}
    # A point whose partner is not in the set (the one hand of dominant-hand) keeps its place:
    # flipped, it stands for the dominant hand of a signer of the other handedness.
    return tuple(position.get(_partner(*p), i) for i, p in enumerate(points))


def _make(
    name: str,
    points: Iterable[Point],
    optional: Iterable[Point] = (),
    shoulders: tuple[Point, Point] | None = MEDIAPIPE_SHOULDERS,
) -> PointSet:
    points = tuple(points)
    return PointSet(name, points, frozenset(optional), _mirror(points), shoulders)


def _hands() -> list[Point]:
    return [(hand, p) for hand in (LEFT_HAND, RIGHT_HAND) for p in HAND_POINTS]


def _openpose_hands() -> list[Point]:
    hands = (OPENPOSE_LEFT_HAND, OPENPOSE_RIGHT_HAND)
    return [(hand, p) for hand in hands for p in OPENPOSE_HAND_POINTS]


_FACE = [(FACE, str(i)) for i in FACE_CONTOUR]
_POINT_SETS = {
    ps.name: ps
    for ps in (
        _make(
            "reduced-face",
            [(BODY, p) for p in BODY_POINTS] + _FACE + _hands(),
            optional=[(BODY, p) for p in BODY_POINTS if p not in REDUCED_BODY],
        ),
        _make("sign-vq", [(BODY, p) for p in REDUCED_BODY] + _FACE + _hands()),
        _make("dominant-hand", [(RIGHT_HAND, p) for p in HAND_POINTS]),
        # Either hand may be absent from a layout (pose-format's right-hand-only files), though
        # not both (see `_select`).
        _make(HANDS_PRESET, _hands(), optional=_hands(), shoulders=None),
        _make(
            OPENPOSE_PRESET,
            [(OPENPOSE_BODY, p) for p in OPENPOSE_UPPER_BODY] + _openpose_hands(),
            shoulders=OPENPOSE_SHOULDERS,
        ),
    )
}
POINT_SET_NAMES = tuple(_POINT_SETS)


def get_point_set(name: str) -> PointSet:
    try:
        return _POINT_SETS[name]
    except KeyError:
        known = ", ".join(POINT_SET_NAMES)
        raise ConfigError(f"unknown point set {name!r} (known: {known})") from None


Layout = tuple[tuple[str, tuple[str, ...]], ...]


def point_indices(header: PoseHeader, points: Iterable[Point]) -> np.ndarray:
    """Flat index of each point along the body's point axis; -1 where the layout lacks it."""
    return _indices(_layout(header), tuple(points)).copy()


def select_points(header: PoseHeader, point_set: PointSet, name: str = "<clip>") -> np.ndarray:
    """Flat indices [K] of the set's points; -1 for absent optional points."""
    indices, lacking = _select(_layout(header), point_set)
    if lacking:
        examples = ", ".join(f"{c}/{p}" for c, p in lacking[:3])
        more = ", …" if len(lacking) > 3 else ""
        has = ", ".join(f"{c.name} ({len(c.points)})" for c in header.components)
        raise PoseFileError(
            f"{name}: lacks {len(lacking)} points that preset '{point_set.name}' needs "
            f"(e.g. {examples}{more}); it has components {has or 'none'}"
            f"{_other_estimator_hint(header, point_set)}"
        )
    return indices.copy()


def _other_estimator_hint(header: PoseHeader, point_set: PointSet) -> str:
    """The fix when the file comes from the other estimator than the preset's, or has no body."""
    names = {c.name for c in header.components}
    if OPENPOSE_BODY in names and point_set.name != OPENPOSE_PRESET:
        return f"; an OpenPose file: use pose.preset={OPENPOSE_PRESET}"
    if names & {BODY, FACE, LEFT_HAND, RIGHT_HAND} and point_set.name == OPENPOSE_PRESET:
        return f"; a MediaPipe file: use pose.preset={' or '.join(MEDIAPIPE_PRESETS)}"
    if names and names <= {LEFT_HAND, RIGHT_HAND}:
        return f"; a hands-only file: use pose.preset={HANDS_PRESET}"
    return ""


def _layout(header: PoseHeader) -> Layout:
    return tuple((c.name, tuple(c.points)) for c in header.components)


# The caches below are keyed by the layout's names, not by the header object: a dataset has few
# distinct layouts, and name lookups would otherwise cost more than a short clip's arithmetic.
@functools.lru_cache(maxsize=256)
def _select(layout: Layout, point_set: PointSet) -> tuple[np.ndarray, tuple[Point, ...]]:
    indices = _indices(layout, point_set.points)
    lacking = tuple(
        p
        for p, i in zip(point_set.points, indices, strict=True)
        if i < 0 and p not in point_set.optional
    )
    # Optional points may be absent, but not all of them: features of nothing but missing points
    # would teach nothing (an OpenPose file asked for the all-optional hands).
    if not lacking and (indices < 0).all():
        lacking = point_set.points
    return indices, lacking


@functools.lru_cache(maxsize=256)
def _indices(layout: Layout, points: tuple[Point, ...]) -> np.ndarray:
    flat = _flat_index(layout)
    return np.array([flat.get(p, -1) for p in points], dtype=np.int64)


@functools.lru_cache(maxsize=64)
def _flat_index(layout: Layout) -> dict[Point, int]:
    flat: dict[Point, int] = {}
    offset = 0
    for component, names in layout:
        for i, point in enumerate(names):
            flat.setdefault((component, point), offset + i)
        offset += len(names)
    return flat
