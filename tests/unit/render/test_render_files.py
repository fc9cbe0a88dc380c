import argparse
import sys

import numpy as np
import pytest
from PIL import Image

from signclip.cli import render as render_cli
from signclip.errors import PoseFileError, SignclipError
from signclip.pose.io import read_pose
from signclip.render import render_frames, render_to_file
from signclip.render.canvas import FrameDrawer
from signclip.render.frames import sheet_indices
from signclip.render.writers import gif_durations
from signclip.testing import fake_holistic_pose, pose_bytes

# One recording per layout under ../shared/data: total points -> path.
LAYOUTS = {
    586: "fingerspelling/ase/fs-sts4db1d6889f5c6456b5dec1f8cdc63f78.pose",
    576: "dgs-dictionary/HOUSE1A^.pose",
    543: "video/autsl/signer0_sample1000.pose",
    178: "sgg-words/essen.pose",
    21: "pose-format/mediapipe_hand_normalized.pose",
    137: "pose-format/openpose.pose",  # OpenPose: drawn from the limbs its header declares
}


def _cli(argv):
    parser = argparse.ArgumentParser()
    render_cli.add_arguments(parser)
    return render_cli.run(parser.parse_args(argv))


def test_gif_has_every_frame_the_size_and_the_clip_rate(tmp_path):
    out = tmp_path / "clip.gif"
    done = render_to_file(fake_holistic_pose(16, fps=25.0), out, width=200)
    assert (done.frames, done.width, done.height, done.fps) == (16, 200, 150, 25.0)
    with Image.open(out) as gif:
        assert (gif.n_frames, gif.size, gif.info["loop"]) == (16, (200, 150), 0)
        assert gif.info["duration"] == 40


def test_gif_delays_keep_real_time():
    assert gif_durations(3, 25.0) == [40, 40, 40]
    assert sum(gif_durations(30, 30.0)) == 1000
    assert set(gif_durations(10, 24.0)) == {40, 50}


def test_png_sheet(tmp_path):
    out = tmp_path / "sheet.png"
    done = render_to_file(fake_holistic_pose(20), out, width=120, sheet_frames=6)
    assert done.frames == 6 and done.fps is None
    with Image.open(out) as sheet:
        assert sheet.size == (done.width, done.height) and sheet.width == 4 * 124 + 4


def test_mp4_when_imageio_ffmpeg_is_installed(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    out = tmp_path / "clip.mp4"
    done = render_to_file(fake_holistic_pose(5), out, width=101)  # odd: padded to even
    assert done.frames == 5 and out.stat().st_size > 0


def test_mp4_without_imageio_ffmpeg_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # import fails
    with pytest.raises(SignclipError, match=r"imageio-ffmpeg.*\.gif"):
        render_to_file(fake_holistic_pose(2), tmp_path / "clip.mp4")
    assert not (tmp_path / "clip.mp4").exists()


def test_unknown_extension_is_refused_before_reading(tmp_path):
    with pytest.raises(
        SignclipError, match=r"unknown output type '\.jpg'; use \.gif, \.mp4 or \.png"
    ):
        render_to_file(tmp_path / "missing.pose", tmp_path / "x.jpg")
    with pytest.raises(SignclipError, match="no extension"):
        render_to_file(fake_holistic_pose(1), tmp_path / "x")


def test_cli_writes_a_gif_from_a_pose_file(tmp_path, capsys):
    clip = tmp_path / "clip.pose"
    clip.write_bytes(pose_bytes(fake_holistic_pose(6)))
    assert _cli([str(clip), "--out", str(tmp_path / "a" / "c.gif"), "--width", "64"]) == 0
    assert "6 frames at 25 fps (64×48)" in capsys.readouterr().out
    assert (tmp_path / "a" / "c.gif").exists()


def test_cli_bad_files_fail_with_one_line(tmp_path):
    bad = tmp_path / "bad.pose"
    bad.write_bytes(b"not a pose file at all")
    for path, expected in ((bad, "not a .pose file"), (tmp_path / "none.pose", "no such file")):
        with pytest.raises(PoseFileError, match=expected) as info:
            _cli([str(path), "--out", str(tmp_path / "x.gif")])
        assert "\n" not in str(info.value)


@pytest.mark.parametrize("points", sorted(LAYOUTS))
def test_real_recording_of_each_layout_renders(shared_data, points):
    path = shared_data / LAYOUTS[points]
    if not path.exists():
        pytest.skip(f"{path} not found")
    assert len(render_frames(path, width=64, max_frames=2)) == 2
    # Frames spread over the clip: a hand-only recording has no hand in its first frames.
    drawer = FrameDrawer(read_pose(path), 96)
    drawn = [
        np.asarray(drawer.draw(f)).min(axis=-1) < 200 for f in sheet_indices(drawer.num_frames, 3)
    ]
    assert max(mask.sum() for mask in drawn) > 30
