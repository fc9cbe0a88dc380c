import numpy as np
import pytest

from signclip.synth import geometry, hand


def random_rotations(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return geometry.euler_xyz(*rng.uniform(-np.pi, np.pi, (3, n)))


def test_quaternion_round_trip_and_slerp_ends():
    rotations = random_rotations(200)
    back = geometry.from_quaternion(geometry.to_quaternion(rotations))
    assert np.abs(back - rotations).max() < 1e-9
    a, b = rotations[:100], rotations[100:]
    assert np.abs(geometry.slerp(a, b, np.zeros(100)) - a).max() < 1e-9
    assert np.abs(geometry.slerp(a, b, np.ones(100)) - b).max() < 1e-9
    half = geometry.slerp(a, b, np.full(100, 0.5))
    assert np.allclose(half @ np.swapaxes(half, 1, 2), np.eye(3), atol=1e-9)


def test_hand_frame_is_a_proper_rotation_with_thumb_to_the_midline():
    # A right hand, fingers up, palm towards the camera: its thumb side points to the signer's
    # left (+x), as a raised right hand shows its palm with the thumb inwards.
    frame = geometry.hand_frame(np.array([0.0, -1, 0]), np.array([0.0, 0, -1]))
    assert np.linalg.det(frame) == pytest.approx(1.0)
    assert np.allclose(frame[:, 0], [1, 0, 0])


@pytest.mark.parametrize("left", [False, True])
def test_bone_lengths_do_not_depend_on_the_handshape(left):
    names = list(hand.HANDSHAPES)
    angles = np.stack([hand.shape_angles(n) for n in names])
    angles += np.random.default_rng(1).normal(0, 0.2, angles.shape)
    points = hand.hand_points(angles, length=0.5, left=left)
    assert np.isfinite(points).all()
    for a, b in hand.bone_pairs():
        lengths = np.linalg.norm(points[:, a] - points[:, b], axis=1)
        assert lengths.max() - lengths.min() < 1e-12


def test_straight_middle_finger_is_one_hand_length_and_left_mirrors_right():
    angles = np.zeros((1, hand.NUM_ANGLES))
    right = hand.hand_points(angles, 1.0)[0]
    left = hand.hand_points(angles, 1.0, left=True)[0]
    assert np.linalg.norm(right[12] - right[0]) == pytest.approx(1.0, abs=0.01)
    assert np.allclose(left * [-1, 1, 1], right)


def test_contact_weights_sum_to_one():
    for name in hand.HANDSHAPES:
        for touching in (False, True):
            assert hand.contact_weights(name, touching).sum() == pytest.approx(1.0)
