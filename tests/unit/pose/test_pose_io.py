import struct

import numpy as np
import pytest

from signclip.errors import PoseFileError
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose, pose_bytes

# One recording of each header version and layout in ../shared/data.
REAL = {
    "dgs-dictionary/HOUSE1A^.pose": (0.1, 576),
    "dgs-dictionary/stitched.pose": (0.1, 178),
    "pose-format/hand_estimation_84322c38ff23406f222641da30d0a49b.pose": (0.2, 586),
    "pose-format/mediapipe_hand_normalized.pose": (0.1, 21),
    "pose-format/openpose.pose": (0.0, 137),
    "video/autsl/signer0_sample1000.pose": (0.1, 543),
}


def refusal(source, match: str, **kwargs) -> str:
    with pytest.raises(PoseFileError, match=match) as info:
        read_pose(source, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("relative", sorted(REAL))
def test_reads_every_real_layout_and_version(shared_data, relative):
    version, points = REAL[relative]
    pose = read_pose(shared_data / relative)
    assert round(pose.header.version, 3) == version
    assert pose.header.total_points() == points
    assert pose.body.data.shape[0] > 0


def test_bytes_and_path_give_the_same_pose(shared_data):
    path = shared_data / "sgg-words" / "essen.pose"
    from_path, from_bytes = read_pose(path), read_pose(path.read_bytes())
    np.testing.assert_array_equal(from_path.body.data, from_bytes.body.data)
    np.testing.assert_array_equal(from_path.body.confidence, from_bytes.body.confidence)


def test_fake_pose_round_trips():
    pose = fake_holistic_pose(num_frames=7, seed=3)
    again = read_pose(pose_bytes(pose))
    assert again.body.data.shape == (7, 1, 543, 3)
    np.testing.assert_allclose(again.body.data.filled(0), pose.body.data.filled(0))


def test_missing_file_is_named(tmp_path):
    path = tmp_path / "nowhere.pose"
    assert str(path) in refusal(path, "no such file")


def test_directory_is_refused(tmp_path):
    refusal(tmp_path, "is a directory")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pose"
    path.write_bytes(b"")
    assert str(path) in refusal(path, r"empty file \(0 bytes\)")


@pytest.mark.parametrize(
    "relative",
    [
        "dgs-dictionary/HOUSE1A^.pose",  # v0.1: pose-format would silently read fewer frames
        "pose-format/hand_estimation_84322c38ff23406f222641da30d0a49b.pose",  # v0.2
        "pose-format/openpose.pose",  # v0.0: frame by frame
    ],
)
def test_file_cut_in_half_is_truncated(shared_data, tmp_path, relative):
    data = (shared_data / relative).read_bytes()
    path = tmp_path / "cut.pose"
    path.write_bytes(data[: len(data) // 2])
    assert str(path) in refusal(path, "truncated")


def test_file_cut_inside_the_header(shared_data):
    data = (shared_data / "sgg-words" / "pizza.pose").read_bytes()
    refusal(data[:60], "truncated or corrupt header", name="pizza.pose")
    refusal(data[:3], "truncated", name="pizza.pose")


def test_file_cut_right_after_the_header():
    data = pose_bytes(fake_holistic_pose(num_frames=4, seed=0, layout="right-hand"))
    body = 4 * 21 * 4 * 4 + 10  # frames * points * (xyz + confidence) * 4 bytes + prefix
    refusal(data[: len(data) - body], "ends after the header")


def test_trailing_bytes_are_corrupt():
    data = pose_bytes(fake_holistic_pose(num_frames=4, seed=0, layout="right-hand"))
    refusal(data + b"\0" * 8, "corrupt")


def test_random_bytes_are_not_a_pose_file():
    noise = np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    assert refusal(noise, "not a .pose file", name="noise.pose").startswith("noise.pose: ")


def test_text_file_is_not_a_pose_file(tmp_path):
    path = tmp_path / "notes.pose"
    path.write_text("this is not a pose file\n" * 20)
    refusal(path, "not a .pose file")


def test_video_is_not_a_pose_file(shared_data):
    refusal(shared_data / "video" / "autsl" / "signer0_sample1000_color.mp4", "not a .pose file")


def test_unknown_version_is_named():
    data = pose_bytes(fake_holistic_pose(num_frames=2, seed=0, layout="right-hand"))
    refusal(struct.pack("<f", 0.3) + data[4:], r"unsupported \.pose version 0\.3")


def test_zero_frames(tmp_path):
    path = tmp_path / "zero.pose"
    path.write_bytes(pose_bytes(fake_holistic_pose(num_frames=0, seed=0)))
    assert str(path) in refusal(path, "zero frames")
