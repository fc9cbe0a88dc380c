"""Planning, resumability checks and one-line errors of video -> pose, without running MediaPipe."""

import sys

import pytest

from signclip.cli.main import main
from signclip.data.formats.report import ImportReport
from signclip.testing import fake_holistic_pose
from signclip.video.errors import INSTALL_HINT, MissingExtraError, VideoError
from signclip.video.holistic import load_mediapipe
from signclip.video.jobs import complete_frames, plan_jobs


def test_missing_mediapipe_is_one_line_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # makes `import mediapipe` fail
    with pytest.raises(MissingExtraError, match="mediapipe is not installed") as caught:
        load_mediapipe()
    assert INSTALL_HINT in str(caught.value) and "\n" not in str(caught.value)


def test_cli_without_mediapipe_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "mediapipe", None)
    video = tmp_path / "a.mp4"
    video.write_bytes(b"not looked at")
    assert main(["pose", str(video), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"signclip pose: error: mediapipe is not installed: {INSTALL_HINT}"


def test_plan_reports_missing_videos_and_repeated_stems(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "clip.mp4").write_bytes(b"x")
    (tmp_path / "other.mov").write_bytes(b"x")
    videos = [tmp_path / "a/clip.mp4", tmp_path / "gone.mp4", tmp_path / "b/clip.mp4"]
    videos.append(tmp_path / "other.mov")
    report = ImportReport("video", "test")
    jobs = plan_jobs(videos, tmp_path / "out", report)
    assert [(j.video.relative_to(tmp_path).as_posix(), j.pose.name) for j in jobs] == [
        ("a/clip.mp4", "clip.pose"),
        ("other.mov", "other.pose"),
    ]
    assert [(p.kind, p.item) for p in report.problems] == [
        ("missing-file", str(tmp_path / "gone.mp4")),
        ("duplicate-id", str(tmp_path / "b/clip.mp4")),
    ]


def test_only_a_valid_pose_counts_as_done(tmp_path):
    pose = tmp_path / "clip.pose"
    assert complete_frames(pose) is None
    with pose.open("wb") as f:
        fake_holistic_pose(num_frames=6, seed=0).write(f)
    assert complete_frames(pose) == 6
    pose.write_bytes(pose.read_bytes()[:-10])  # cut short, as by a crash without atomic writes
    assert complete_frames(pose) is None


def test_decoder_names_the_problem(tmp_path):
    pytest.importorskip("cv2", reason="decoding needs opencv (the [video] extra)")
    from signclip.video.decode import probe

    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    for path, kind in ((garbage, "unreadable-file"), (empty, "unreadable-file")):
        with pytest.raises(VideoError, match=str(path)) as caught:
            probe(path)
        assert caught.value.kind == kind
    with pytest.raises(VideoError, match="no such file") as caught:
        probe(tmp_path / "absent.mp4")
    assert caught.value.kind == "missing-file"
