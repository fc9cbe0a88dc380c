import base64

import numpy as np
import pytest

from signclip.serve.errors import PayloadTooLargeError, RequestError
from signclip.serve.limits import ServeLimits
from signclip.serve.payloads import check_texts, decode_base64, pose_features, poses_from_base64
from signclip.testing import fake_holistic_pose, pose_bytes
from tests.unit.serve.helpers import tiny_encoder

LIMITS = ServeLimits(max_batch=3, max_text_chars=20, max_frames=50)


@pytest.fixture(scope="module")
def encoder():
    return tiny_encoder()


def test_texts_within_limits_pass_unchanged():
    assert check_texts(["<en> <ase> house", "tree"], LIMITS) == ["<en> <ase> house", "tree"]


@pytest.mark.parametrize(
    ("texts", "error", "message"),
    [
        ([], RequestError, "empty; send at least one"),
        (["a", "b", "c", "d"], PayloadTooLargeError, "4 items, at most 3"),
        (["ok", "   "], RequestError, r"text\[1\]: empty text"),
        (["x" * 21], PayloadTooLargeError, "21 characters, at most 20"),
        (["a\x00b"], RequestError, "NUL"),
    ],
)
def test_bad_texts_are_refused(texts, error, message):
    with pytest.raises(error, match=message):
        check_texts(texts, LIMITS)


@pytest.mark.parametrize(
    "data", ["not base64!", "QU=D", "QUJ", "QUJD\nRA==", "QQ===", "====", "QUJDé===", "-_-_"]
)
def test_base64_garbage_is_refused(data):
    with pytest.raises(RequestError, match="not valid base64"):
        decode_base64(data, "pose[0]")


def test_base64_round_trip_and_empty():
    rng = np.random.default_rng(0)
    for length in range(1, 40):
        data = rng.integers(0, 256, length, dtype=np.uint8).tobytes()
        assert decode_base64(base64.b64encode(data).decode(), "p") == data
    with pytest.raises(RequestError, match="empty"):
        decode_base64("", "p")


def test_pose_features_equal_the_encoders(encoder):
    pose = fake_holistic_pose(num_frames=20, seed=4)
    features = pose_features(encoder, pose_bytes(pose), "pose[0]", LIMITS)
    assert np.array_equal(features, encoder.features(pose))


def test_bad_pose_files_are_refused_with_their_names(encoder):
    data = pose_bytes(fake_holistic_pose(num_frames=20, seed=4))
    with pytest.raises(RequestError, match=r"pose\[0\]: truncated"):
        pose_features(encoder, data[: len(data) - 100], "pose[0]", LIMITS)
    with pytest.raises(RequestError, match=r"not a \.pose file"):
        pose_features(encoder, b"GIF89a" + bytes(200), "pose[0]", LIMITS)
    long = pose_bytes(fake_holistic_pose(num_frames=51, seed=4))
    with pytest.raises(PayloadTooLargeError, match="51 frames, at most 50"):
        pose_features(encoder, long, "pose[0]", LIMITS)


def test_pose_of_only_nan_points_is_refused(encoder):
    pose = fake_holistic_pose(num_frames=10, seed=1)
    pose.body.data[:] = np.nan
    # The normalisation finds no shoulders: refused before the model sees anything.
    with pytest.raises(RequestError, match=r"pose\[0\]: shoulders never detected"):
        pose_features(encoder, pose_bytes(pose), "pose[0]", LIMITS)


def test_pose_list_names_the_bad_item(encoder):
    good = base64.b64encode(pose_bytes(fake_holistic_pose(num_frames=8))).decode()
    with pytest.raises(RequestError, match=r"pose\[1\]: not valid base64"):
        poses_from_base64(encoder, [good, "%%%"], LIMITS)
    assert len(poses_from_base64(encoder, [good, good], LIMITS)) == 2
