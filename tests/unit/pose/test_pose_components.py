import numpy as np
import pytest

from signclip.errors import ConfigError, PoseFileError
from signclip.pose.components import (
    BODY,
    BODY_POINTS,
    FACE,
    FACE_CONTOUR,
    FACE_MIDLINE,
    FACE_MIRROR_PAIRS,
    HANDS_PRESET,
    LEFT_HAND,
    MEDIAPIPE_PRESETS,
    POINT_SET_NAMES,
    REDUCED_BODY,
    RIGHT_HAND,
    get_point_set,
    select_points,
)
from signclip.pose.io import read_pose

# One recording per layout: total points -> path under ../shared/data.
LAYOUTS = {
    543: "video/autsl/signer0_sample1000.pose",
    576: "dgs-dictionary/HOUSE1A^.pose",
    586: "fingerspelling/ase/fs-sts13206cebad70790ee136a34c7a74af5e.pose",
    178: "sgg-words/essen.pose",
    21: "pose-format/mediapipe_hand_normalized.pose",
}
FRONTAL_FACES = [
    "dgs-dictionary/HOUSE1A^.pose",
    "dgs-dictionary/YOUNG1^.pose",
    "fingerspelling/swl/fs-sts71c1ed77ffa2bdb30bcae2a67358f3c9.pose",
]


def test_preset_sizes_and_order():
    reduced = get_point_set("reduced-face")
    assert reduced.num_points == 203
    assert reduced.points[:33] == tuple((BODY, p) for p in BODY_POINTS)
    face = [int(p) for c, p in reduced.points if c == FACE]
    assert face == sorted(face) == list(FACE_CONTOUR) and len(face) == 128
    assert [c for c, _ in reduced.points[-42:]] == [LEFT_HAND] * 21 + [RIGHT_HAND] * 21
    assert {p for _, p in reduced.optional} == set(BODY_POINTS) - set(REDUCED_BODY)

    sign_vq = get_point_set("sign-vq")
    assert sign_vq.num_points == 178
    assert sign_vq.points[:8] == tuple((BODY, p) for p in REDUCED_BODY)
    assert sign_vq.points[8:] == reduced.points[33:]
    assert not sign_vq.optional

    hand = get_point_set("dominant-hand")
    assert hand.num_points == 21 and {c for c, _ in hand.points} == {RIGHT_HAND}


def test_unknown_point_set_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown point set 'full'") as info:
        get_point_set("full")
    for name in POINT_SET_NAMES:
        assert name in str(info.value)


def test_face_pairs_cover_the_contour_once():
    paired = [p for pair in FACE_MIRROR_PAIRS for p in pair] + list(FACE_MIDLINE)
    assert sorted(paired) == sorted(FACE_CONTOUR)


def _swap(name: str) -> str:
    return name.replace("LEFT", "#").replace("RIGHT", "LEFT").replace("#", "RIGHT")


@pytest.mark.parametrize("name", POINT_SET_NAMES)
def test_mirror_is_an_involution_that_swaps_sides(name):
    point_set = get_point_set(name)
    mirror = np.array(point_set.mirror)
    assert sorted(mirror) == list(range(point_set.num_points))
    np.testing.assert_array_equal(mirror[mirror], np.arange(point_set.num_points))
    hands = {LEFT_HAND: RIGHT_HAND, RIGHT_HAND: LEFT_HAND}
    for (component, point), partner in zip(point_set.points, mirror, strict=True):
        other_component, other_point = point_set.points[partner]
        if component == BODY:
            assert other_point == _swap(point)
        elif component in hands and name != "dominant-hand":
            assert (other_component, other_point) == (hands[component], point)
    if name == "reduced-face":
        assert point_set.points[mirror[0]] == (BODY, "NOSE")
        assert point_set.points[mirror[point_set.index_of(FACE, "33")]] == (FACE, "263")


def _mirror_error(shape: np.ndarray, order: np.ndarray) -> float:
    """Distance of the x-negated, reordered shape from the shape after the best rotation, over
    the shape's RMS radius."""
    mirrored = shape[order] * [-1, 1]
    a, b = mirrored - mirrored.mean(0), shape - shape.mean(0)
    u, _, vt = np.linalg.svd(a.T @ b)
    rotation = u @ np.diag([1, np.sign(np.linalg.det(u @ vt))]) @ vt
    return np.linalg.norm(a @ rotation - b, axis=1).mean() / np.sqrt((b**2).sum(1).mean())


@pytest.mark.parametrize("relative", FRONTAL_FACES)
def test_face_mirror_matches_real_frontal_faces(shared_data, relative):
    point_set = get_point_set("reduced-face")
    face = np.array([i for i, (c, _) in enumerate(point_set.points) if c == FACE])
    order = np.searchsorted(face, np.array(point_set.mirror)[face])
    pose = read_pose(shared_data / relative)
    columns = select_points(pose.header, point_set)[face]
    shape = pose.body.data.data[0, 0, columns, :2].astype(np.float64)
    assert _mirror_error(shape, order) < 0.05
    assert _mirror_error(shape, np.arange(128)) > 0.5  # the test can tell a wrong pairing


@pytest.mark.parametrize("points", sorted(LAYOUTS))
def test_selection_by_name_on_every_real_layout(shared_data, points):
    pose = read_pose(shared_data / LAYOUTS[points])
    header = pose.header
    for name in MEDIAPIPE_PRESETS:
        point_set = get_point_set(name)
        if points == 21 and name not in ("dominant-hand", HANDS_PRESET):
            with pytest.raises(PoseFileError, match="lacks 157 points") as info:
                select_points(header, point_set)
            assert str(info.value).endswith(f"a hands-only file: use pose.preset={HANDS_PRESET}")
            continue
        indices = select_points(header, point_set)
        absent = {p for p, i in zip(point_set.points, indices, strict=True) if i < 0}
        has = {(c.name, p) for c in header.components for p in c.points}
        assert absent == point_set.optional - has
        assert name != HANDS_PRESET or len(absent) == (21 if points == 21 else 0)
        for (component, point), i in zip(point_set.points, indices, strict=True):
            if i >= 0:
                assert header.get_point_index(component, point) == i


def test_openpose_layout_is_refused_with_names(shared_data):
    path = shared_data / "pose-format" / "openpose.pose"
    header = read_pose(path).header
    with pytest.raises(PoseFileError) as info:
        select_points(header, get_point_set("reduced-face"), name=str(path))
    message = str(info.value)
    assert message.startswith(f"{path}: lacks 178 points that preset 'reduced-face' needs")
    assert "POSE_LANDMARKS/LEFT_SHOULDER" in message
    assert "it has components pose_keypoints_2d (25), face_keypoints_2d (70)" in message
    assert "\n" not in message
