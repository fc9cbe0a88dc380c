import numpy as np
import pytest

from signclip.config import PoseConfig
from signclip.data.attached import feature_settings
from signclip.data.cache import FeatureCache
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, PoseFileError
from signclip.pose import convention
from signclip.pose.components import get_point_set, select_points
from signclip.pose.features import extract_features, feature_layout
from signclip.pose.io import read_pose
from signclip.testing import fake_holistic_pose, pose_bytes

PRESETS = ("reduced-face", "sign-vq", "dominant-hand")


def test_parse_frame_size():
    assert convention.parse_frame_size("1920x1080") == (1920, 1080)
    assert convention.parse_frame_size(" 640 X 480 ") == (640, 480)
    for bad in ("1920", "0x10", "axb", "", "-5x3", "1.5x2"):
        with pytest.raises(ConfigError, match="frame size"):
            convention.parse_frame_size(bad)


def test_to_stored_matches_a_point_by_point_reference():
    rng = np.random.default_rng(0)
    normalised = rng.random((4, 5, 3))
    normalised[1, 2, 0] = np.nan
    normalised[3] = np.nan
    normalised[0, 4, 2] = np.inf
    xyz, confidence = convention.to_stored(normalised, 640, 360)
    for t in range(4):
        for k in range(5):
            x, y, z = normalised[t, k]
            if np.isfinite([x, y, z]).all():
                assert confidence[t, k] == 1
                np.testing.assert_allclose(xyz[t, k], [x * 640, y * 360, z], rtol=1e-6)
            else:
                assert confidence[t, k] == 0 and (xyz[t, k] == 0).all()
    assert xyz.dtype == np.float32 and np.isfinite(xyz).all()
    assert convention.empty_frames(confidence).tolist() == [False, False, False, True]


def test_written_holistic_file_reads_back_and_serves_every_preset(tmp_path):
    source = fake_holistic_pose(num_frames=5, seed=1)
    data = np.ma.getdata(source.body.data)[:, 0]
    confidence = np.ma.getdata(source.body.confidence)[:, 0]
    header = convention.holistic_header(640, 480)
    assert header.total_points() == 543
    target = tmp_path / "sub" / "clip.pose"
    convention.write_pose_atomically(convention.make_pose(data, confidence, 25.0, header), target)
    assert [p.name for p in target.parent.iterdir()] == ["clip.pose"]  # no temporary file left
    pose = read_pose(target)
    np.testing.assert_array_equal(np.ma.getdata(pose.body.data)[:, 0], data)
    assert pose.body.fps == 25
    for preset in PRESETS:
        assert (select_points(pose.header, get_point_set(preset)) >= 0).all()


def test_z_setting_scales_or_drops_depth_and_keys_the_caches(tmp_path):
    pose = fake_holistic_pose(num_frames=6, seed=2)
    width = pose.header.dimensions.width
    raw = extract_features(pose, PoseConfig(depth="raw"))
    dropped = extract_features(pose, PoseConfig(depth="drop"))
    pixels = extract_features(pose, PoseConfig(depth="pixels"))
    assert dropped.shape[1] == feature_layout(PoseConfig(depth="drop")).num_features
    assert dropped.shape[1] * 3 == raw.shape[1] * 2
    assert pixels.shape == raw.shape and not np.allclose(pixels, raw)
    # Reference for "pixels": the same clip with z multiplied by the width in the file, read raw.
    scaled = fake_holistic_pose(num_frames=6, seed=2)
    scaled.body.data.data[..., 2] *= width
    np.testing.assert_allclose(pixels, extract_features(scaled, PoseConfig(depth="raw")), atol=1e-5)
    # Reference for "drop": a 2D shoulder frame, so x and y of a z-free copy match.
    flat = fake_holistic_pose(num_frames=6, seed=2)
    flat.body.data.data[..., 2] = 0
    expected = extract_features(flat, PoseConfig(depth="raw")).reshape(6, -1, 3)[..., :2]
    np.testing.assert_allclose(dropped.reshape(6, -1, 2), expected, atol=1e-6)
    assert feature_settings(PoseConfig(depth="raw")) != feature_settings(PoseConfig(depth="drop"))
    path = tmp_path / "a.pose"
    path.write_bytes(pose_bytes(pose))
    record = ClipRecord("a", path, "house", "en", "ase", "train")
    folders = {
        FeatureCache.build_or_open([record], PoseConfig(depth=z), tmp_path / "cache", workers=1,
                                   progress=False)[0].folder
        for z in ("raw", "pixels", "drop")
    }  # fmt: skip
    assert len(folders) == 3


def test_pixels_needs_a_frame_width():
    pose = fake_holistic_pose(num_frames=2)
    pose.header.dimensions.width = 0
    with pytest.raises(PoseFileError, match="no frame width"):
        extract_features(pose, PoseConfig(depth="pixels"), name="clip.pose")
