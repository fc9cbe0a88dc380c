import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody
from pose_format.pose_header import PoseHeader, PoseHeaderComponent

from signclip.config import PoseConfig
from signclip.errors import PoseFileError
from signclip.pose.components import BODY, LEFT_HAND, LEG_POINTS, RIGHT_HAND, get_point_set
from signclip.pose.features import extract_features, feature_layout, load_features
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose

# Recordings of every layout in ../shared/data: name -> (path, points).
REAL = {
    "autsl-543-xyzk": "video/autsl/signer0_sample1000.pose",
    "dgs-576": "dgs-dictionary/HOUSE1A^.pose",
    "fingerspelling-586": "fingerspelling/gsg/fs-sts0258e172d448614da0a939f3f6e57508.pose",
    "sgg-178": "sgg-words/kinder.pose",
    "hand-only-21": "pose-format/mediapipe_hand_normalized.pose",
    "openpose-137": "pose-format/openpose.pose",
}
FEATURES = {"reduced-face": 609, "sign-vq": 534, "dominant-hand": 63}
ASE = "fingerspelling/ase/fs-sts13206cebad70790ee136a34c7a74af5e.pose"  # right hand only
ISE = "fingerspelling/ise/fs-sts053ad4bfb3816c394d7f1965cf89087e.pose"  # left hand only


def features(pose, preset="reduced-face", **kwargs):
    return extract_features(pose, PoseConfig(preset=preset, **kwargs), name="clip.pose")


def points(array: np.ndarray) -> np.ndarray:
    return array.reshape(array.shape[0], -1, 3)


def column(preset: str, component: str, point: str) -> int:
    return get_point_set(preset).index_of(component, point)


def reference_reduced_face(pose: Pose) -> np.ndarray:
    """The paper's preprocessing written plainly, frame by frame and point by point."""
    header, point_set = pose.header, get_point_set("reduced-face")
    data, confidence = pose.body.data.data[:, 0], pose.body.confidence[:, 0]
    left = header.get_point_index(BODY, "LEFT_SHOULDER")
    right = header.get_point_index(BODY, "RIGHT_SHOULDER")
    centres, widths = [], []
    for frame, conf in zip(data, confidence, strict=True):
        if conf[left] > 0 and conf[right] > 0:
            a, b = frame[left, :3].astype(np.float64), frame[right, :3].astype(np.float64)
            centres.append((a + b) / 2)
            widths.append(np.linalg.norm(a - b))
    centre, width = np.mean(centres, axis=0), np.mean(widths)
    out = np.zeros((len(data), point_set.num_points, 3))
    for k, (component, point) in enumerate(point_set.points):
        if point in LEG_POINTS or point not in next(
            c.points for c in header.components if c.name == component
        ):
            continue
        i = header.get_point_index(component, point)
        for t in range(len(data)):
            if confidence[t, i] > 0:
                out[t, k] = (data[t, i, :3] - centre) / width
    return out.reshape(len(data), -1)


@pytest.mark.parametrize("preset", sorted(FEATURES))
def test_layout_sizes(preset):
    layout = feature_layout(PoseConfig(preset=preset))
    assert layout.num_features == FEATURES[preset] == layout.num_points * layout.dims
    assert layout.dims == 3
    assert layout.mirror == layout.point_set.mirror


@pytest.mark.parametrize("preset", sorted(FEATURES))
@pytest.mark.parametrize("name", sorted(REAL))
def test_every_preset_on_every_real_layout(shared_data, name, preset):
    path = shared_data / REAL[name]
    refused = name == "openpose-137" or (name == "hand-only-21" and preset != "dominant-hand")
    if refused:
        with pytest.raises(PoseFileError, match=f"lacks .* preset '{preset}' needs") as info:
            load_features(path, PoseConfig(preset=preset))
        assert str(info.value).startswith(f"{path}: ")
        return
    out = load_features(path, PoseConfig(preset=preset))
    assert out.dtype == np.float32
    assert out.shape == (read_pose(path).body.data.shape[0], FEATURES[preset])
    assert np.isfinite(out).all()
    assert np.abs(out).max() < 10  # normalised, whatever the file's units


@pytest.mark.parametrize("name", ["autsl-543-xyzk", "dgs-576", "fingerspelling-586", "sgg-178"])
def test_reduced_face_matches_the_plain_reference(shared_data, name):
    pose = read_pose(shared_data / REAL[name])
    np.testing.assert_allclose(features(pose), reference_reduced_face(pose), atol=2e-5)


@pytest.mark.parametrize("name", ["autsl-543-xyzk", "dgs-576", "sgg-178"])
def test_shoulders_centred_with_unit_mean_width(shared_data, name):
    xyz = points(features(read_pose(shared_data / REAL[name])))
    left, right = xyz[:, 11], xyz[:, 12]
    both = (left != 0).any(-1) & (right != 0).any(-1)
    np.testing.assert_allclose(((left + right) / 2)[both].mean(0), 0, atol=1e-5)
    assert np.linalg.norm(left - right, axis=-1)[both].mean() == pytest.approx(1, abs=1e-5)


def test_legs_are_hidden(shared_data):
    pose = read_pose(shared_data / REAL["dgs-576"])
    xyz = points(features(pose))
    legs = [column("reduced-face", BODY, p) for p in LEG_POINTS]
    assert len(legs) == 8 and (xyz[:, legs] == 0).all()
    assert (xyz[:, column("reduced-face", BODY, "LEFT_HIP")] != 0).any()


def test_missing_points_are_exactly_zero(shared_data):
    pose = read_pose(shared_data / REAL["dgs-576"])
    hand = pose.header.get_point_index(LEFT_HAND, "WRIST")
    lost = pose.body.confidence[:, 0, hand] == 0
    assert 0 < lost.sum() < len(lost)
    xyz = points(features(pose))
    wrist = column("reduced-face", LEFT_HAND, "WRIST")
    assert (xyz[lost, wrist] == 0).all()
    assert (xyz[~lost, wrist] != 0).any(-1).all()


def test_nan_and_inf_become_missing_never_nan():
    pose = fake_holistic_pose(num_frames=10, seed=4)
    data = pose.body.data.data
    nose = pose.header.get_point_index(BODY, "NOSE")
    shoulder = pose.header.get_point_index(BODY, "LEFT_SHOULDER")
    data[2, 0, nose, 1] = np.nan
    data[3, 0, nose, 0] = np.inf
    data[4, 0, shoulder, 2] = -np.inf  # this frame no longer anchors the normalisation
    for preset in FEATURES:
        assert np.isfinite(features(pose, preset)).all()
    xyz = points(features(pose))
    assert (xyz[[2, 3], 0] == 0).all() and (xyz[4, 11] == 0).all()
    assert (xyz[[1, 5], 0] != 0).any(-1).all()


def test_shoulders_never_detected_is_refused():
    pose = fake_holistic_pose(num_frames=5, seed=0, layout="reduced")
    for point in ("LEFT_SHOULDER", "RIGHT_SHOULDER"):
        pose.body.confidence[:, 0, pose.header.get_point_index(BODY, point)] = 0
    for preset in FEATURES:
        with pytest.raises(PoseFileError, match=r"^clip\.pose: shoulders never detected"):
            features(pose, preset)


def test_sign_vq_hands_are_relative_to_a_filled_wrist():
    pose = fake_holistic_pose(num_frames=30, seed=2, missing_hand_p=0.3)
    full = points(features(pose, "reduced-face"))
    vq = points(features(pose, "sign-vq"))
    for hand, side in ((LEFT_HAND, "LEFT"), (RIGHT_HAND, "RIGHT")):
        wrist = column("sign-vq", hand, "WRIST")
        lost = (full[:, column("reduced-face", hand, "WRIST")] == 0).all(-1)
        assert 0 < lost.sum() < len(lost)
        body_wrist = full[:, column("reduced-face", BODY, f"{side}_WRIST")]
        np.testing.assert_allclose(vq[lost, wrist], body_wrist[lost], atol=1e-6)
        np.testing.assert_allclose(
            vq[~lost, wrist], full[~lost, column("reduced-face", hand, "WRIST")], atol=1e-6
        )
        fingers_vq = vq[:, wrist + 1 : wrist + 21]
        start = column("reduced-face", hand, "THUMB_CMC")
        fingers = full[:, start : start + 20]
        assert (fingers_vq[lost] == 0).all()
        relative = fingers[~lost] - full[~lost, column("reduced-face", hand, "WRIST")][:, None]
        np.testing.assert_allclose(fingers_vq[~lost], relative, atol=1e-5)


def test_dominant_hand_is_the_right_hand(shared_data):
    pose = read_pose(shared_data / ASE)
    full = points(features(pose))
    start = column("reduced-face", RIGHT_HAND, "WRIST")
    np.testing.assert_allclose(points(features(pose, "dominant-hand")), full[:, start : start + 21])


def test_dominant_hand_of_a_left_handed_clip_is_the_mirrored_left_hand(shared_data):
    pose = read_pose(shared_data / ISE)
    full = points(features(pose))
    start = column("reduced-face", LEFT_HAND, "WRIST")
    expected = full[:, start : start + 21] * [-1, 1, 1]
    hand = points(features(pose, "dominant-hand"))
    assert (hand != 0).any()
    np.testing.assert_allclose(hand, expected)


def test_hand_only_file_is_normalised_by_the_hand(shared_data):
    hand = points(features(read_pose(shared_data / REAL["hand-only-21"]), "dominant-hand"))
    wrist, knuckle = hand[:, 0], hand[:, 9]  # WRIST, MIDDLE_FINGER_MCP
    seen = (wrist != 0).any(-1) & (knuckle != 0).any(-1)
    np.testing.assert_allclose(((wrist + knuckle) / 2)[seen].mean(0), 0, atol=1e-5)
    assert np.linalg.norm(wrist - knuckle, axis=-1)[seen].mean() == pytest.approx(1, abs=1e-5)


def test_resampling_50_to_25_fps_keeps_every_other_frame(shared_data):
    pose = read_pose(shared_data / REAL["dgs-576"])
    assert pose.body.fps == 50
    recorded = features(pose)
    resampled = features(pose, fps=25)
    assert len(resampled) == (len(recorded) + 1) // 2
    np.testing.assert_array_equal(resampled, recorded[::2])
    np.testing.assert_array_equal(features(pose, fps=50), recorded)


def test_resampling_never_invents_points_next_to_missing_ones():
    pose = fake_holistic_pose(num_frames=40, seed=6, fps=30, missing_hand_p=0.4)
    recorded = points(features(pose, "dominant-hand"))
    resampled = points(features(pose, "dominant-hand", fps=25))
    lost = (recorded == 0).all(-1)
    for j in range(len(resampled)):
        position = j * 30 / 25
        lower = int(np.floor(position + 1e-6))
        near = lost[lower] | (lost[min(lower + 1, 39)] & (position - lower > 1e-6))
        assert ((resampled[j] == 0).all(-1) == near).all()


def _shuffled(pose: Pose, seed: int) -> Pose:
    """The same recording with its components and their points in another order."""
    rng = np.random.default_rng(seed)
    offsets = np.cumsum([0] + [len(c.points) for c in pose.header.components])
    components, columns = [], []
    for c in reversed(range(len(pose.header.components))):
        component = pose.header.components[c]
        order = rng.permutation(len(component.points))
        components.append(
            PoseHeaderComponent(
                component.name, [component.points[i] for i in order], [], [], component.format
            )
        )
        columns.extend(offsets[c] + order)
    header = PoseHeader(pose.header.version, pose.header.dimensions, components)
    body = NumPyPoseBody(
        pose.body.fps, pose.body.data.data[:, :, columns], pose.body.confidence[:, :, columns]
    )
    return Pose(header, body)


@pytest.mark.parametrize("layout", ["holistic-world", "reduced"])
def test_points_are_found_by_name_not_position(layout):
    pose = fake_holistic_pose(num_frames=12, seed=7, layout=layout, missing_hand_p=0.2)
    for preset in FEATURES:
        np.testing.assert_array_equal(features(_shuffled(pose, 1), preset), features(pose, preset))
