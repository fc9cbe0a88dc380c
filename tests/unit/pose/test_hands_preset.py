"""The hands preset: both hands, no body, each hand's shape from its wrist and where it is from the
clip's mean palm, in units of the clip's hand size; the same features for hands-only and
holistic recordings."""

import numpy as np
import pytest
import torch
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent, PoseHeaderDimensions

from signclip.config import PoseConfig
from signclip.errors import PoseFileError
from signclip.pose.augment import flip_hands
from signclip.pose.components import HAND_POINTS, HANDS_PRESET, LEFT_HAND, RIGHT_HAND
from signclip.pose.features import extract_features, feature_layout, load_features
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose
from tests.unit.pose.test_pose_features import REAL, _shuffled

HANDS = (LEFT_HAND, RIGHT_HAND)
DEPTHS = ("raw", "pixels", "drop")
# Holistic recordings with both hands, each missing in some frames.
TWO_HANDED = ("dgs-dictionary/DIFFERENT1^.pose", "pose-format/js_sample-data_example.pose")
REAL_HOLISTIC = (
    *TWO_HANDED,
    REAL["autsl-543-xyzk"],
    REAL["fingerspelling-586"],
    REAL["sgg-178"],
    "pose-format/hand_estimation_7bd6dd48722def3cf84258b96371cb1e.pose",  # left hand only
)
# pose-format's right-hand-only samples, in arbitrary units (0 to about 229).
HAND_ONLY = (
    "pose-format/mediapipe_hand_normalized.pose",
    "pose-format/mediapipe_long_hand_normalized.pose",
)
WLASL = "wlasl300-hands/landmarks/00623.npy"


def features(pose: Pose, **kwargs) -> np.ndarray:
    return extract_features(pose, PoseConfig(preset=HANDS_PRESET, **kwargs), name="clip.pose")


def hand_points(array: np.ndarray) -> np.ndarray:
    """[T, F] -> [T, 2, 21, D]: (left, right) hand, then HAND_POINTS order."""
    return array.reshape(len(array), 2, 21, -1)


def reference_hands(pose: Pose, depth: str = "raw") -> np.ndarray:
    """The preset written plainly, frame by frame, hand by hand and point by point."""
    header = pose.header
    data = np.ma.getdata(pose.body.data)[:, 0].astype(np.float64)
    confidence = np.ma.getdata(pose.body.confidence)[:, 0]
    scale = np.array([1, 1, header.dimensions.width if depth == "pixels" else 1])
    dims = 2 if depth == "drop" else 3
    hands = [h for h in HANDS if h in {c.name for c in header.components}]

    def point(t, hand, name):
        i = header.get_point_index(hand, name)
        return (data[t, i, :3] * scale)[:dims] if confidence[t, i] > 0 else None

    palms, sizes = [], []
    for t in range(len(data)):
        for hand in hands:
            wrist, knuckle = point(t, hand, "WRIST"), point(t, hand, "MIDDLE_FINGER_MCP")
            if wrist is not None and knuckle is not None:
                palms.append((wrist + knuckle) / 2)
                sizes.append(np.linalg.norm(knuckle - wrist))
    centre, size = np.mean(palms, axis=0), np.mean(sizes)
    out = np.zeros((len(data), 2, 21, dims))
    for t in range(len(data)):
        for h, hand in enumerate(HANDS):
            wrist = point(t, hand, "WRIST") if hand in hands else None
            if wrist is None:
                continue
            out[t, h, 0] = (wrist - centre) / size
            for j, name in enumerate(HAND_POINTS[1:], start=1):
                p = point(t, hand, name)
                if p is not None:
                    out[t, h, j] = (p - wrist) / size
    return out.reshape(len(data), -1)


def hands_only(pose: Pose) -> Pose:
    """The same recording as a MediaPipe Hands file would hold it: the hand components alone."""
    columns = [pose.header.get_point_index(hand, p) for hand in HANDS for p in HAND_POINTS]
    components = [PoseHeaderComponent(hand, list(HAND_POINTS), [], [], "XYZC") for hand in HANDS]
    header = PoseHeader(pose.header.version, pose.header.dimensions, components)
    data = np.ma.getdata(pose.body.data)[:, :, columns]
    confidence = np.ma.getdata(pose.body.confidence)[:, :, columns]
    return Pose(header, NumPyPoseBody(pose.body.fps, data, confidence))


def mirrored(pose: Pose) -> Pose:
    """The recording of the mirrored video: x reflected in the frame, the hands' labels swapped
    (MediaPipe names a hand by how it looks, so the mirror image of a left hand is a right hand).
    Only the hands are swapped: the preset reads nothing else."""
    data = np.ma.getdata(pose.body.data).copy()
    confidence = np.ma.getdata(pose.body.confidence).copy()
    data[..., 0] = pose.header.dimensions.width - data[..., 0]
    left = [pose.header.get_point_index(LEFT_HAND, p) for p in HAND_POINTS]
    right = [pose.header.get_point_index(RIGHT_HAND, p) for p in HAND_POINTS]
    for array in (data, confidence):
        array[:, :, left + right] = array[:, :, right + left]
    return Pose(pose.header, NumPyPoseBody(pose.body.fps, data, confidence))


def transformed(pose: Pose, scale: float, shift) -> Pose:
    """Every point moved by one uniform scaling and translation (x, y and z alike)."""
    data = np.ma.getdata(pose.body.data).astype(np.float64) * scale + shift
    confidence = np.ma.getdata(pose.body.confidence)
    return Pose(pose.header, NumPyPoseBody(pose.body.fps, data.astype(np.float32), confidence))


def wlasl_pose(path) -> Pose:
    """A real MediaPipe Hands clip of WLASL as a hands-only `.pose` file would hold it: x, y in
    pixels of an assumed 640 x 480 frame, z raw; slot 0 taken as the left hand (the slots are in
    detection order, which is all this test needs)."""
    landmarks = np.load(path)
    present = (landmarks != -1).any(-1)
    xyz = np.where(present[..., None], landmarks * [640, 480, 1], 0).astype(np.float32)
    frames = len(landmarks)
    components = [PoseHeaderComponent(hand, list(HAND_POINTS), [], [], "XYZC") for hand in HANDS]
    header = PoseHeader(0.2, PoseHeaderDimensions(640, 480, 0), components)
    body = NumPyPoseBody(
        25.0, xyz.reshape(frames, 1, 42, 3), present.reshape(frames, 1, 42).astype(np.float32)
    )
    return Pose(header, body)


def hide_hands(pose: Pose, frames=slice(None)) -> Pose:
    for hand in HANDS:
        start = pose.header.get_point_index(hand, "WRIST")
        pose.body.confidence[frames, 0, start : start + 21] = 0
        pose.body.data.data[frames, 0, start : start + 21] = 0
    return pose


@pytest.mark.parametrize(("depth", "dims"), [("raw", 3), ("pixels", 3), ("drop", 2)])
def test_layout_is_both_hands(depth, dims):
    layout = feature_layout(PoseConfig(preset=HANDS_PRESET, depth=depth))
    assert (layout.num_points, layout.dims, layout.num_features) == (42, dims, 42 * dims)
    assert layout.point_set.points == tuple((hand, p) for hand in HANDS for p in HAND_POINTS)
    assert layout.point_set.optional == frozenset(layout.point_set.points)
    assert layout.point_set.shoulders is None
    assert layout.mirror == tuple(range(21, 42)) + tuple(range(21))
    out = features(fake_holistic_pose(num_frames=7, seed=0), depth=depth)
    assert out.dtype == np.float32 and out.shape == (7, 42 * dims)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("layout", ["holistic", "hands"])
def test_features_equal_the_plain_reference(layout, depth):
    pose = fake_holistic_pose(num_frames=30, seed=1, layout=layout, missing_hand_p=0.3)
    np.testing.assert_allclose(features(pose, depth=depth), reference_hands(pose, depth), atol=2e-5)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("relative", REAL_HOLISTIC + HAND_ONLY)
def test_real_recordings_equal_the_plain_reference(shared_data, relative, depth):
    pose = read_pose(shared_data / relative)
    out = features(pose, depth=depth)
    assert np.isfinite(out).all()
    # Wrists stay within a few hand sizes of the clip's mean palm, fingers within a few of
    # their wrist, whatever the file's units.
    assert 0 < np.abs(out).max() < 10
    np.testing.assert_allclose(out, reference_hands(pose, depth), rtol=1e-5, atol=1e-4)


def test_the_hands_are_centred_on_the_mean_palm_with_unit_mean_size(shared_data):
    xyz = hand_points(features(read_pose(shared_data / TWO_HANDED[0])))
    wrists = xyz[:, :, 0]
    knuckles = xyz[:, :, HAND_POINTS.index("MIDDLE_FINGER_MCP")]  # relative to the wrists
    seen = (wrists != 0).any(-1)
    assert 0 < seen.sum() < seen.size
    np.testing.assert_allclose((wrists + knuckles / 2)[seen].mean(0), 0, atol=1e-5)
    assert np.linalg.norm(knuckles[seen], axis=-1).mean() == pytest.approx(1, abs=1e-5)


def test_a_right_hand_only_file_has_an_empty_left_hand(shared_data):
    pose = read_pose(shared_data / HAND_ONLY[0])
    assert [c.name for c in pose.header.components] == [RIGHT_HAND]
    xyz = hand_points(features(pose))
    assert (xyz[:, 0] == 0).all()
    present = pose.body.confidence[:, 0, 0] > 0
    assert 0 < present.sum() < len(present)
    # pose-format pins the wrist of these files to one place: it must not read as missing.
    assert (xyz[present, 1, 0] != 0).any(-1).all() and (xyz[~present, 1] == 0).all()


def test_a_real_two_handed_hands_only_clip(shared_data):
    path = shared_data / WLASL
    if not path.is_file():
        pytest.skip(f"{path} not found")
    pose = wlasl_pose(path)
    out = features(pose)
    assert np.isfinite(out).all() and 0 < np.abs(out).max() < 10
    assert (pose.body.confidence[:, 0, [0, 21]] > 0).all(1).any()  # both hands show at times
    np.testing.assert_allclose(out, reference_hands(pose), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(("scale", "shift"), [(1.0, [300, -120, 5]), (3.7, 0), (0.02, [-9, 4, 1])])
def test_moving_or_scaling_the_whole_clip_changes_nothing(depth, scale, shift):
    pose = fake_holistic_pose(num_frames=25, seed=3, layout="hands", missing_hand_p=0.3)
    out = features(pose, depth=depth)
    moved = features(transformed(pose, scale, shift), depth=depth)
    np.testing.assert_array_equal(moved == 0, out == 0)
    np.testing.assert_allclose(moved, out, atol=1e-4)


def test_a_hand_missing_in_some_frames_is_exactly_zero_there():
    pose = fake_holistic_pose(num_frames=40, seed=4, missing_hand_p=0.4)
    xyz = hand_points(features(pose))
    for h, hand in enumerate(HANDS):
        lost = pose.body.confidence[:, 0, pose.header.get_point_index(hand, "WRIST")] == 0
        assert 0 < lost.sum() < len(lost)
        assert (xyz[lost, h] == 0).all()
        # A point of a shown hand is 0 in all coordinates only by chance, never here.
        assert (xyz[~lost, h] != 0).any(-1).all()


def test_a_point_without_its_wrist_is_missing():
    pose = fake_holistic_pose(num_frames=6, seed=5)
    wrist = pose.header.get_point_index(RIGHT_HAND, "WRIST")
    pose.body.confidence[2, 0, wrist] = 0
    xyz = hand_points(features(pose))
    assert (xyz[2, 1] == 0).all()
    assert (xyz[2, 0] != 0).any(-1).all() and (xyz[3, 1] != 0).any(-1).all()


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("layout", ["holistic", "holistic-world", "reduced"])
def test_hands_only_files_give_the_features_of_holistic_ones(layout, depth):
    pose = fake_holistic_pose(num_frames=20, seed=6, layout=layout, missing_hand_p=0.3)
    expected = features(pose, depth=depth)
    np.testing.assert_array_equal(features(hands_only(pose), depth=depth), expected)
    hands = fake_holistic_pose(num_frames=20, seed=6, layout="hands", missing_hand_p=0.3)
    np.testing.assert_array_equal(features(hands, depth=depth), expected)


@pytest.mark.parametrize("relative", REAL_HOLISTIC)
def test_real_holistic_recordings_cut_to_their_hands_give_the_same_features(shared_data, relative):
    pose = read_pose(shared_data / relative)
    np.testing.assert_array_equal(features(hands_only(pose)), features(pose))


def test_points_are_found_by_name_not_position():
    pose = fake_holistic_pose(num_frames=12, seed=7, layout="hands", missing_hand_p=0.2)
    np.testing.assert_array_equal(features(_shuffled(pose, 1)), features(pose))


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize("source", [*TWO_HANDED, HAND_ONLY[0], "fake"])
def test_flipping_the_features_gives_those_of_the_mirrored_recording(shared_data, source, depth):
    if source == "fake":
        pose = fake_holistic_pose(num_frames=20, seed=8, missing_hand_p=0.3)
    else:
        pose = read_pose(shared_data / source)
    if LEFT_HAND not in {c.name for c in pose.header.components}:
        pose = _with_empty_left_hand(pose)
    cfg = PoseConfig(preset=HANDS_PRESET, depth=depth)
    out = torch.from_numpy(features(pose, depth=depth))[None]
    flipped = flip_hands(out, torch.tensor([True]), feature_layout(cfg).mirror)[0].numpy()
    expected = features(mirrored(pose), depth=depth)
    np.testing.assert_array_equal(flipped == 0, expected == 0)
    np.testing.assert_allclose(flipped, expected, atol=1e-4)
    # Not the identity: the hands trade places and their x changes sign.
    assert np.abs(flipped - out[0].numpy()).max() > 0.1


def _with_empty_left_hand(pose: Pose) -> Pose:
    """A right-hand-only file with a never-detected left hand added, so it can be mirrored."""
    frames = len(pose.body.data)
    components = [PoseHeaderComponent(hand, list(HAND_POINTS), [], [], "XYZC") for hand in HANDS]
    header = PoseHeader(pose.header.version, pose.header.dimensions, components)
    data = np.concatenate([np.zeros((frames, 1, 21, 3), np.float32), pose.body.data.data], axis=2)
    confidence = np.concatenate(
        [np.zeros((frames, 1, 21), np.float32), pose.body.confidence], axis=2
    )
    return Pose(header, NumPyPoseBody(pose.body.fps, data, confidence))


@pytest.mark.parametrize("layout", ["holistic", "hands"])
def test_a_clip_without_any_hand_is_refused_in_one_line(layout):
    pose = hide_hands(fake_holistic_pose(num_frames=5, seed=9, layout=layout))
    with pytest.raises(PoseFileError) as info:
        features(pose)
    assert str(info.value) == "clip.pose: hands never detected; cannot normalise"


def test_a_clip_of_corrupt_hands_says_why():
    pose = fake_holistic_pose(num_frames=5, seed=9, layout="hands")
    pose.body.data.data[..., 1] = np.nan
    with pytest.raises(PoseFileError, match=r"^clip\.pose: hands never detected \(210 points"):
        features(pose)


def test_a_wild_point_is_refused_in_one_line():
    pose = fake_holistic_pose(num_frames=5, seed=10, layout="hands")
    # A fingertip, not the knuckle that measures the hands (some 40 pixels long).
    pose.body.data.data[2, 0, 21 + HAND_POINTS.index("RING_FINGER_TIP"), 0] = 9e5
    with pytest.raises(PoseFileError) as info:
        features(pose)
    message = str(info.value)
    assert message.startswith("clip.pose: points lie up to ")
    assert "hand sizes from the centre (at most 1000 expected)" in message and "\n" not in message


def test_hands_without_size_are_refused():
    pose = fake_holistic_pose(num_frames=5, seed=10, layout="hands")
    pose.body.data.data[:] = [100, 200, 0]
    with pytest.raises(PoseFileError, match=r"^clip\.pose: hand size is 0; cannot normalise$"):
        features(pose)


def test_an_openpose_file_is_refused_naming_the_fix(shared_data):
    path = shared_data / REAL["openpose-137"]
    with pytest.raises(PoseFileError) as info:
        load_features(path, PoseConfig(preset=HANDS_PRESET))
    message = str(info.value)
    assert message.startswith(f"{path}: lacks 42 points that preset 'hands' needs")
    assert message.endswith("an OpenPose file: use pose.preset=openpose-body-hands")
