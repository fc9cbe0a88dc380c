"""Corrupt coordinates (NaN, ±inf, |value| > 1e6) are missing points; a clip that cannot give
finite features of sane magnitude is refused in one line."""

import warnings

import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signclip.config import PoseConfig
from signclip.errors import PoseFileError
from signclip.pose.components import BODY, RIGHT_HAND
from signclip.pose.features import MAX_FEATURE, extract_features
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose

PRESETS = ("reduced-face", "sign-vq", "dominant-hand")
CORRUPT = (np.nan, np.inf, -np.inf, 3e38, -3e38, 1e7, -2e6)


def features(pose: Pose, preset: str = "reduced-face", **kwargs) -> np.ndarray:
    return extract_features(pose, PoseConfig(preset=preset, **kwargs), name="clip.pose")


def copy(pose: Pose) -> Pose:
    body = NumPyPoseBody(pose.body.fps, pose.body.data.data.copy(), pose.body.confidence.copy())
    return Pose(pose.header, body)


def missing(features: np.ndarray) -> np.ndarray:
    return (features.reshape(len(features), -1, 3) == 0).all(-1)


def corrupted_and_masked(pose: Pose, frames, points, values) -> tuple[Pose, Pose]:
    """The pose with `values` written into one coordinate of each (frame, point), and the pose
    with those points masked as pose-format masks them (confidence 0)."""
    corrupt, masked = copy(pose), copy(pose)
    rng = np.random.default_rng(0)
    for t, p, value in zip(frames, points, values, strict=True):
        corrupt.body.data.data[t, 0, p, rng.integers(3)] = value
        masked.body.confidence[t, 0, p] = 0
    return corrupt, masked


def refusal(pose: Pose, match: str, preset: str = "reduced-face") -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a refusal, not an overflow warning and then a refusal
        with pytest.raises(PoseFileError, match=match) as info:
            features(pose, preset)
    message = str(info.value)
    assert message.startswith("clip.pose: ") and "\n" not in message
    return message


def index(pose: Pose, component: str, point: str) -> int:
    return pose.header.get_point_index(component, point)


@pytest.mark.parametrize("value", CORRUPT)
@pytest.mark.parametrize("preset", PRESETS)
def test_a_corrupt_value_masks_its_point_exactly_as_confidence_0(preset, value):
    pose = fake_holistic_pose(num_frames=8, seed=1)
    wrist = index(pose, RIGHT_HAND, "WRIST")
    shoulder = index(pose, BODY, "LEFT_SHOULDER")
    nose = index(pose, BODY, "NOSE")
    # A hand point, a reference point of the normalisation, a body point, in different frames.
    corrupt, masked = corrupted_and_masked(
        pose, [1, 3, 5, 5], [wrist, shoulder, nose, wrist + 4], [value] * 4
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = features(corrupt, preset)
    np.testing.assert_array_equal(got, features(masked, preset))
    assert np.isfinite(got).all()


def test_many_mixed_corrupt_values_in_a_real_recording(shared_data):
    pose = read_pose(shared_data / "sgg-words" / "kinder.pose")
    frames, _, points, _ = pose.body.data.shape
    rng = np.random.default_rng(7)
    count = frames * points // 20
    at = rng.choice(frames * points, count, replace=False)
    values = rng.choice(np.array(CORRUPT), count)
    corrupt, masked = corrupted_and_masked(pose, at // points, at % points, values)
    for preset in PRESETS:
        got = features(corrupt, preset)
        np.testing.assert_array_equal(got, features(masked, preset))
        assert np.isfinite(got).all() and np.abs(got).max() < 10


def test_values_up_to_1e6_are_coordinates():
    pose = fake_holistic_pose(num_frames=4, seed=2)
    shifted = copy(pose)
    shifted.body.data.data[..., :3] += 1e6 - pose.body.data.data[..., :3].max()
    assert shifted.body.data.data.max() == 1e6
    # The same clip moved far away: centring cancels the shift, nothing becomes missing.
    expected = features(pose)
    got = features(shifted)
    np.testing.assert_array_equal(missing(got), missing(expected))
    np.testing.assert_allclose(got, expected, atol=1e-2)


def test_nan_confidence_is_missing():
    pose = fake_holistic_pose(num_frames=6, seed=3)
    masked = copy(pose)
    nose = index(pose, BODY, "NOSE")
    pose.body.confidence[2, 0, nose] = np.nan
    masked.body.confidence[2, 0, nose] = 0
    np.testing.assert_array_equal(features(pose), features(masked))
    assert (features(pose).reshape(6, -1, 3)[2, 0] == 0).all()


@pytest.mark.parametrize("value", [np.nan, np.inf, 3e38, 1e7])
def test_a_clip_of_corrupt_values_only_is_refused(value):
    pose = fake_holistic_pose(num_frames=5, seed=4)
    pose.body.data.data[..., 0] = value
    message = refusal(
        pose, r"shoulders never detected \(\d+ points with corrupt coordinates count as missing\)"
    )
    assert message.endswith("cannot normalise")


def test_corrupt_values_where_confidence_is_already_0_are_not_counted():
    pose = fake_holistic_pose(num_frames=5, seed=4)
    pose.body.data.data[..., 0] = np.nan
    pose.body.confidence[...] = 0  # as datasets that store missing points as NaN
    refusal(pose, r"^clip\.pose: shoulders never detected; cannot normalise$")


def put_shoulders(pose: Pose, left, right) -> Pose:
    pose.body.data.data[:, 0, index(pose, BODY, "LEFT_SHOULDER"), :3] = left
    pose.body.data.data[:, 0, index(pose, BODY, "RIGHT_SHOULDER"), :3] = right
    return pose


@pytest.mark.parametrize("gap", [1e-3, 1e-30, 1e-44])  # 1e-44: 1 / gap overflows float32
@pytest.mark.parametrize("preset", PRESETS)
def test_shoulders_almost_together_are_refused(preset, gap):
    pose = put_shoulders(fake_holistic_pose(num_frames=5, seed=5), [0, 0, 0], [gap, 0, 0])
    message = refusal(pose, r"points lie up to .* shoulders widths from the centre", preset)
    assert "(at most 1000 expected); corrupt points or shoulders (width" in message


def test_shoulders_far_apart_give_small_finite_features():
    pose = put_shoulders(fake_holistic_pose(num_frames=5, seed=5), [-5e5, 0, 0], [5e5, 0, 0])
    for preset in PRESETS:
        got = features(pose, preset)
        assert np.isfinite(got).all() and np.abs(got).max() <= 1


def test_one_wild_point_within_1e6_is_refused():
    pose = fake_holistic_pose(num_frames=5, seed=6)
    pose.body.data.data[3, 0, index(pose, BODY, "NOSE"), 1] = 9e5  # shoulders ~100 px apart
    refusal(pose, r"points lie up to [0-9.e+]+ shoulders widths")


def test_hand_only_clip_is_measured_in_hand_widths():
    pose = fake_holistic_pose(num_frames=5, seed=6, layout="right-hand")
    pose.body.data.data[2, 0, 5, 0] = 9e5
    refusal(pose, r"points lie up to .* hand widths .* corrupt points or hand", "dominant-hand")


@pytest.mark.parametrize(
    ("preset", "layout"),
    [*((preset, "holistic") for preset in PRESETS), ("hands", "holistic"), ("hands", "hands")],
)
@pytest.mark.parametrize("seed", range(4))
def test_accepted_features_are_finite_and_bounded(preset, layout, seed):
    """Whatever the coordinates, features are finite and within ±2 * MAX_FEATURE, or refused."""
    rng = np.random.default_rng(seed)
    pose = fake_holistic_pose(num_frames=6, seed=seed, layout=layout, missing_hand_p=0.3)
    data = pose.body.data.data
    hit = rng.random(data.shape[:3]) < 0.05
    scales = 10.0 ** rng.integers(-40, 39, hit.sum())
    with np.errstate(over="ignore"):
        data[hit, :3] = (data[hit, :3] * scales[:, None]).astype(np.float32)
    try:
        got = features(pose, preset, fps=20)
    except PoseFileError as exc:
        assert "\n" not in str(exc)
        return
    assert np.isfinite(got).all() and np.abs(got).max() <= 2 * MAX_FEATURE
