import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signclip.data.formats.clip_poses import import_pose_clip
from signclip.data.formats.report import ImportReport
from signclip.pose.convention import write_pose_atomically
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose


def undetected(num_frames: int) -> Pose:
    """A recording in which no point was detected in any frame."""
    pose = fake_holistic_pose(num_frames=num_frames, seed=0)
    data = np.zeros_like(np.ma.getdata(pose.body.data))
    confidence = np.zeros_like(np.ma.getdata(pose.body.confidence))
    body = NumPyPoseBody(
        fps=pose.body.fps, data=np.ma.masked_array(data, True), confidence=confidence
    )
    return Pose(pose.header, body)


def test_a_clip_in_its_own_target_place_is_still_checked(tmp_path):
    # As after `signclip pose` into OUT/poses: the source is where a cleaned copy would go.
    path = tmp_path / "poses" / "blank.pose"
    write_pose_atomically(undetected(6), path)
    for _ in range(2):  # the rerun reports the same
        report = ImportReport("test", "")
        assert import_pose_clip(path, path, "blank", report) is None
        assert [p.kind for p in report.problems] == ["empty-sequence"]


def test_a_changed_frame_range_is_cut_again(tmp_path):
    source = tmp_path / "source.pose"
    write_pose_atomically(fake_holistic_pose(num_frames=20, seed=1), source)
    target = tmp_path / "clip.pose"
    report = ImportReport("test", "")
    assert import_pose_clip(source, target, "clip", report, 0, 10) == target
    assert read_pose(target).body.data.shape[0] == 10
    assert import_pose_clip(source, target, "clip", report, 5, 20) == target
    assert read_pose(target).body.data.shape[0] == 15
    assert report.problems == []
