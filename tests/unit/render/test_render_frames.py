import numpy as np
import pytest
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signclip.errors import SignclipError
from signclip.pose.components import BODY, RIGHT_HAND, point_indices
from signclip.render import render_frames, render_grid
from signclip.render.frames import frame_indices
from signclip.render.skeleton import RIGHT_ARM_COLOUR, RIGHT_HAND_COLOUR
from signclip.testing import fake_holistic_pose


def _near(picture, colour, centre=None, radius=None, tolerance=60):
    """Mask of the pixels within `tolerance` of `colour` (within `radius` of `centre`, if given)."""
    rgb = np.asarray(picture, dtype=np.int32)
    close = np.abs(rgb - colour).sum(axis=-1) < tolerance
    if centre is not None:
        ys, xs = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
        close &= np.hypot(xs - centre[0], ys - centre[1]) <= radius
    return close


def _xy(pose, frame, component, point):
    (i,) = point_indices(pose.header, [(component, point)])
    return np.ma.getdata(pose.body.data)[frame, 0, i, :2]


def _with_confidence(pose, points, value):
    confidence = np.array(pose.body.confidence)
    confidence[:, :, point_indices(pose.header, points)] = value
    body = NumPyPoseBody(pose.body.fps, np.ma.getdata(pose.body.data), confidence)
    return Pose(pose.header, body)


def test_size_keeps_the_header_aspect_ratio():
    pictures = render_frames(fake_holistic_pose(3), width=320)
    assert len(pictures) == 3
    assert {p.size for p in pictures} == {(320, 240)}  # 640 x 480 header
    assert all(p.mode == "RGB" and p.getpixel((0, 0)) == (255, 255, 255) for p in pictures)


def test_right_hand_is_drawn_in_its_colour_where_it_is():
    pose = fake_holistic_pose(4, seed=3)
    for frame, picture in enumerate(render_frames(pose, width=640)):  # 1 pixel per pose unit
        centre = _xy(pose, frame, RIGHT_HAND, "MIDDLE_FINGER_MCP")
        assert _near(picture, RIGHT_HAND_COLOUR, centre, 40).sum() > 30
        # ... and nowhere near the left hand (the signer's left is at larger x).
        assert not _near(picture, RIGHT_HAND_COLOUR)[:, 330:].any()


def test_missing_hands_are_not_drawn():
    pose = fake_holistic_pose(12, seed=1, missing_hand_p=0.5)
    (wrist,) = point_indices(pose.header, [(RIGHT_HAND, "WRIST")])
    gone = np.asarray(pose.body.confidence)[:, 0, wrist] == 0
    assert gone.any() and not gone.all()
    for frame, picture in enumerate(render_frames(pose, width=320)):
        assert _near(picture, RIGHT_HAND_COLOUR).any() != gone[frame]


def test_bones_touching_a_missing_point_are_not_drawn():
    pose = fake_holistic_pose(2, seed=2)
    shoulder = _xy(pose, 0, BODY, "RIGHT_SHOULDER")
    elbow = _xy(pose, 0, BODY, "RIGHT_ELBOW")
    middle = (shoulder + elbow) / 2
    drawn = render_frames(pose, width=640, max_frames=1)[0]
    assert _near(drawn, RIGHT_ARM_COLOUR, middle, 6).any()
    without = _with_confidence(pose, [(BODY, "RIGHT_ELBOW")], 0.0)
    assert not _near(
        render_frames(without, width=640, max_frames=1)[0], RIGHT_ARM_COLOUR, middle, 6
    ).any()


def test_nan_coordinates_count_as_missing():
    pose = fake_holistic_pose(1)
    data = np.array(np.ma.getdata(pose.body.data))
    data[:, :, point_indices(pose.header, [(RIGHT_HAND, "WRIST")])] = np.nan
    nan_pose = Pose(pose.header, NumPyPoseBody(25.0, data, pose.body.confidence))
    assert render_frames(nan_pose, width=200)[0].size == (200, 150)


def test_frame_selection_by_rate_and_limit():
    assert frame_indices(5, 25.0).tolist() == [0, 1, 2, 3, 4]
    assert frame_indices(10, 50.0, 25.0).tolist() == [0, 2, 4, 6, 8]
    assert frame_indices(3, 25.0, 50.0).tolist() == [0, 0, 1, 1, 2, 2]
    assert frame_indices(100, 25.0, max_frames=7).tolist() == list(range(7))
    assert len(render_frames(fake_holistic_pose(10), width=64, fps=12.5)) == 5


def test_grid_of_evenly_spaced_frames():
    sheet = render_grid(fake_holistic_pose(20), frames=6, columns=3, width=100)
    # 3 columns and 2 rows of 100 x 75 panels, 4-pixel gaps, no title.
    assert sheet.size == (3 * 104 + 4, 2 * 79 + 4)


@pytest.mark.parametrize("kwargs", [{"width": 8}, {"fps": 0.0}, {"max_frames": 0}])
def test_bad_options_are_refused(kwargs):
    with pytest.raises(SignclipError):
        render_frames(fake_holistic_pose(2), **kwargs)
