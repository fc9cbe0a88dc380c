"""One frame's Holistic results -> arrays, checked against a point-by-point reference."""

from types import SimpleNamespace

import numpy as np
import pytest

from signclip.pose.convention import HOLISTIC_COMPONENTS
from signclip.video.holistic import NUM_POINTS, frame_landmarks

PARTS = ("pose_landmarks", "face_landmarks", "left_hand_landmarks", "right_hand_landmarks")
COUNTS = [len(points) for _, points in HOLISTIC_COMPONENTS]


def _part(rng, count):
    points = [
        SimpleNamespace(x=rng.random(), y=rng.random(), z=rng.normal(), visibility=rng.random())
        for _ in range(count)
    ]
    return SimpleNamespace(landmark=points)


def _reference(results):
    """Point by point: detected parts' x, y, z in order, NaN for an undetected part."""
    rows, visibility = [], [0.0] * COUNTS[0]
    for attribute, count in zip(PARTS, COUNTS, strict=True):
        found = getattr(results, attribute)
        for i in range(count):
            if found is None:
                rows.append([np.nan] * 3)
            else:
                p = found.landmark[i]
                rows.append([p.x, p.y, p.z])
                if attribute == "pose_landmarks":
                    visibility[i] = p.visibility
    return np.array(rows), np.array(visibility)


@pytest.mark.parametrize(
    "missing", [(), ("left_hand_landmarks",), ("pose_landmarks", "face_landmarks")]
)
def test_frame_landmarks_matches_a_point_by_point_reference(missing):
    rng = np.random.default_rng(len(missing))
    parts = {a: None if a in missing else _part(rng, n) for a, n in zip(PARTS, COUNTS, strict=True)}
    results = SimpleNamespace(**parts)
    xyz, visibility = frame_landmarks(results)
    want_xyz, want_visibility = _reference(results)
    assert xyz.shape == (NUM_POINTS, 3) == (543, 3)
    np.testing.assert_array_equal(xyz, want_xyz)
    np.testing.assert_array_equal(visibility, want_visibility)


def test_a_part_with_the_wrong_number_of_points_is_refused():
    rng = np.random.default_rng(0)
    results = SimpleNamespace(
        pose_landmarks=_part(rng, 33),
        face_landmarks=_part(rng, 478),  # refined face: not the layout written
        left_hand_landmarks=None,
        right_hand_landmarks=None,
    )
    with pytest.raises(ValueError, match="face_landmarks: 478 landmarks, 468 expected"):
        frame_landmarks(results)
