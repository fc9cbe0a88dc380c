import numpy as np

from signclip.pose.components import FACE_CONTOUR, HAND_POINTS
from signclip.render import topology
from signclip.render.skeleton import build_skeleton
from signclip.testing import fake_holistic_pose


def _names(chains):
    return {p for chain in chains for p in chain}


def test_chains_cover_the_hand_and_exactly_the_face_contour():
    assert _names(topology.HAND) == set(HAND_POINTS)
    face = topology.FACE_OVAL + topology.EYES + topology.BROWS + topology.LIPS
    assert _names(face) == {str(i) for i in FACE_CONTOUR}
    assert topology.FACE_OVAL[0][0] == topology.FACE_OVAL[0][-1]  # the oval is closed


def _parts(layout):
    skeleton = build_skeleton(fake_holistic_pose(2, layout=layout).header)
    return skeleton, {p.name: p for p in skeleton.parts}


def test_holistic_parts_and_their_sizes():
    _, parts = _parts("holistic")
    assert {
        "torso",
        "head",
        "left arm",
        "right arm",
        "face",
        "lips",
        "left hand",
        "right hand",
    } <= (set(parts))
    assert len(parts["right hand"].bones) == 20 + 3  # 5 chains from the wrist, the knuckle line
    assert len(parts["face"].bones) == 36 + 4 * 8 + 4 * 4
    assert len(parts["lips"].bones) == 4 * 10
    # Stand-ins: the body's head only without face points, its hand only without hand points.
    assert len(parts["head"].unless) == 128
    assert len(parts["right body hand"].unless) == 21
    assert "irises" not in parts  # a 468-point mesh has no iris points


def test_reduced_layout_keeps_the_bones_whose_points_exist():
    _, parts = _parts("reduced")
    assert "head" not in parts  # the 8-point body has no head points
    assert len(parts["torso"].bones) == 4
    assert len(parts["face"].bones) == 36 + 4 * 8 + 4 * 4  # face points named by mesh index
    assert len(parts["left hand"].bones) == 23


def test_world_landmarks_are_not_drawn():
    pose = fake_holistic_pose(2, layout="holistic-world")
    skeleton = build_skeleton(pose.header)
    assert skeleton.points.max() < 543


def test_hand_only_layout_draws_one_hand():
    _, parts = _parts("right-hand")
    assert set(parts) == {"right hand"}
    assert np.array_equal(np.unique(parts["right hand"].bones), np.arange(21))
