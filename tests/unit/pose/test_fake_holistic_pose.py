import numpy as np
import pytest

from signclip.pose.components import (
    BODY,
    BODY_POINTS,
    FACE,
    FACE_MIRROR_PAIRS,
    HAND_POINTS,
    LEFT_HAND,
    RIGHT_HAND,
)
from signclip.testing import fake_holistic_pose

SIZES = {"holistic": 543, "holistic-world": 576, "reduced": 178, "right-hand": 21, "hands": 42}


@pytest.mark.parametrize("layout", sorted(SIZES))
def test_layouts_have_mediapipe_names(layout):
    pose = fake_holistic_pose(num_frames=6, seed=0, layout=layout)
    header = pose.header
    assert header.total_points() == SIZES[layout]
    assert pose.body.data.shape == (6, 1, SIZES[layout], 3)
    names = {c.name: c.points for c in header.components}
    assert names[RIGHT_HAND] == list(HAND_POINTS)
    if layout.startswith("holistic"):
        assert names[BODY] == list(BODY_POINTS)
        assert names[FACE] == [str(i) for i in range(468)]
    if layout != "right-hand":
        assert names[LEFT_HAND] == list(HAND_POINTS)
    assert ("POSE_WORLD_LANDMARKS" in names) == (layout == "holistic-world")


def test_seeded_and_deterministic():
    a, b = fake_holistic_pose(8, seed=1), fake_holistic_pose(8, seed=1)
    np.testing.assert_array_equal(a.body.data, b.body.data)
    assert not np.array_equal(a.body.data, fake_holistic_pose(8, seed=2).body.data)


def test_signer_faces_the_camera():
    pose = fake_holistic_pose(num_frames=4, seed=3)
    data = pose.body.data.data[:, 0]
    left = data[:, pose.header.get_point_index(BODY, "LEFT_SHOULDER")]
    right = data[:, pose.header.get_point_index(BODY, "RIGHT_SHOULDER")]
    assert (left[:, 0] > right[:, 0] + 50).all()
    np.testing.assert_allclose(left[:, 1], right[:, 1], atol=5)
    face = {int(p): data[:, pose.header.get_point_index(FACE, p)] for p in map(str, range(468))}
    midline = (face[10][:, 0] + face[152][:, 0]) / 2
    for a, b in FACE_MIRROR_PAIRS:
        np.testing.assert_allclose((face[a][:, 0] + face[b][:, 0]) / 2, midline, atol=3)


def test_missing_hands_have_zero_confidence_and_zero_coordinates():
    pose = fake_holistic_pose(num_frames=50, seed=5, missing_hand_p=0.5)
    start = pose.header.get_point_index(LEFT_HAND, "WRIST")
    confidence = pose.body.confidence[:, 0, start : start + 21]
    lost = confidence[:, 0] == 0
    assert 5 < lost.sum() < 45
    assert (confidence[lost] == 0).all() and (confidence[~lost] == 1).all()
    assert (pose.body.data.data[lost, 0, start : start + 21] == 0).all()


def test_unknown_layout():
    with pytest.raises(ValueError, match="unknown layout 'openpose'"):
        fake_holistic_pose(layout="openpose")
