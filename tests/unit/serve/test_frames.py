import json

import numpy as np

from signclip.pose.components import BODY, LEFT_HAND, point_indices
from signclip.pose.io import read_pose
from signclip.render.canvas import make_view
from signclip.render.skeleton import build_skeleton
from signclip.serve.frames import MAX_FRAMES_SENT, clip_drawing, drawing_json
from signclip.testing import fake_holistic_pose


def point_of(drawing: dict, used: np.ndarray, flat_index: int, frame: int):
    k = int(np.searchsorted(used, flat_index))
    return drawing["frames"][frame][2 * k : 2 * k + 2]


def test_points_are_the_poses_in_picture_pixels():
    pose = fake_holistic_pose(num_frames=12, seed=3)
    drawing = clip_drawing(pose, "clip", width=240)
    skeleton = build_skeleton(pose.header)
    view = make_view(pose, skeleton, 240)
    used = np.unique(np.concatenate([skeleton.points, *[p.unless for p in skeleton.parts]]))
    assert len(drawing["frames"]) == 12
    assert all(len(f) == 2 * len(used) for f in drawing["frames"])
    (wrist,) = point_indices(pose.header, [(BODY, "LEFT_WRIST")])
    for frame in (0, 7):
        x, y = np.asarray(pose.body.data[frame, 0, wrist, :2], dtype=np.float64)
        expected = [(x - view.x0) * view.scale, (y - view.y0) * view.scale]
        assert np.allclose(point_of(drawing, used, wrist, frame), expected, atol=0.051)
    assert (drawing["width"], drawing["height"]) == (view.width, view.height)


def test_bones_are_the_skeletons_renumbered():
    pose = fake_holistic_pose(num_frames=4, seed=1)
    drawing = clip_drawing(pose, "clip")
    skeleton = build_skeleton(pose.header)
    used = np.unique(np.concatenate([skeleton.points, *[p.unless for p in skeleton.parts]]))
    assert [p["name"] for p in drawing["parts"]] == [p.name for p in skeleton.parts]
    for sent, part in zip(drawing["parts"], skeleton.parts, strict=True):
        assert np.array_equal(used[np.array(sent["bones"], dtype=int).reshape(-1, 2)], part.bones)
        assert np.array_equal(used[np.array(sent["joints"], dtype=int)], part.joints)
        assert sent["colour"] == "#{:02x}{:02x}{:02x}".format(*part.colour)


def test_missing_points_are_null():
    pose = fake_holistic_pose(num_frames=30, seed=2, missing_hand_p=0.5)
    drawing = clip_drawing(pose, "clip")
    skeleton = build_skeleton(pose.header)
    used = np.unique(np.concatenate([skeleton.points, *[p.unless for p in skeleton.parts]]))
    (thumb,) = point_indices(pose.header, [(LEFT_HAND, "THUMB_TIP")])
    missing = np.asarray(pose.body.confidence[:, 0, thumb]) == 0
    assert missing.any() and not missing.all()
    for frame in range(30):
        x, y = point_of(drawing, used, thumb, frame)
        assert (x is None) == missing[frame] and (y is None) == missing[frame]


def test_long_clips_are_sent_at_a_lower_rate():
    pose = fake_holistic_pose(num_frames=2 * MAX_FRAMES_SENT + 10, seed=0, fps=30)
    drawing = json.loads(drawing_json(pose, "long"))
    assert len(drawing["frames"]) <= MAX_FRAMES_SENT
    assert drawing["fps"] == 10.0  # every third frame of 30 fps


def test_real_recordings_of_every_layout_can_be_drawn(shared_data):
    files = [
        shared_data / "dgs-dictionary" / "HOUSE1A^.pose",  # 576 points, 50 fps
        shared_data / "sgg-words" / "pizza.pose",  # reduced 178 points
        shared_data / "video" / "autsl" / "signer0_sample1000.pose",  # 543 points, 4 dims
    ]
    for path in files:
        pose = read_pose(path)
        drawing = json.loads(drawing_json(pose, path.name))
        assert len(drawing["frames"]) == min(len(pose.body.data), MAX_FRAMES_SENT)
        values = [v for frame in drawing["frames"] for v in frame if v is not None]
        assert values and all(-1e4 < v < 1e4 for v in values), path.name
        assert sum(len(p["bones"]) for p in drawing["parts"]) > 20, path.name
