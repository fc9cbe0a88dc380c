import numpy as np
import pytest
import torch

from signclip.config import PoseConfig, load_config
from signclip.data.cache import FeatureCache
from signclip.data.manifest import ClipRecord
from signclip.errors import PoseFileError
from signclip.models.pose_encoder import PoseEncoder
from signclip.pose.components import (
    OPENPOSE_BODY,
    OPENPOSE_BODY_POINTS,
    OPENPOSE_FACE,
    OPENPOSE_HAND_POINTS,
    OPENPOSE_LEFT_HAND,
    OPENPOSE_PRESET,
    OPENPOSE_RIGHT_HAND,
    OPENPOSE_UPPER_BODY,
    get_point_set,
)
from signclip.pose.features import extract_features, feature_layout, load_features
from signclip.pose.io import read_pose

OPENPOSE = "pose-format/openpose.pose"  # pose-format's OpenPose sample: 137 points, x and y
MEDIAPIPE = "sgg-words/essen.pose"
CONFIG = PoseConfig(preset=OPENPOSE_PRESET)


def reference_features(pose) -> np.ndarray:
    """The preset written plainly: shoulders from BODY_25 LShoulder/RShoulder, z = 0, frame by
    frame and point by point."""
    header, point_set = pose.header, get_point_set(OPENPOSE_PRESET)
    data, confidence = (
        np.ma.getdata(pose.body.data)[:, 0],
        np.ma.getdata(pose.body.confidence)[:, 0],
    )
    left = header.get_point_index(OPENPOSE_BODY, "LShoulder")
    right = header.get_point_index(OPENPOSE_BODY, "RShoulder")
    centres, widths = [], []
    for frame, conf in zip(data, confidence, strict=True):
        if conf[left] > 0 and conf[right] > 0:
            a, b = frame[left].astype(np.float64), frame[right].astype(np.float64)
            centres.append((a + b) / 2)
            widths.append(np.linalg.norm(a - b))
    centre, width = np.mean(centres, axis=0), np.mean(widths)
    out = np.zeros((len(data), point_set.num_points, 3))
    for k, (component, point) in enumerate(point_set.points):
        i = header.get_point_index(component, point)
        for t in range(len(data)):
            if confidence[t, i] > 0:
                out[t, k, :2] = (data[t, i] - centre) / width
    return out.reshape(len(data), -1)


@pytest.fixture(scope="module")
def openpose(shared_data):
    return read_pose(shared_data / OPENPOSE)


def test_point_names_are_those_of_real_openpose_files(openpose):
    points = {c.name: tuple(c.points) for c in openpose.header.components}
    assert points[OPENPOSE_BODY] == OPENPOSE_BODY_POINTS
    assert points[OPENPOSE_LEFT_HAND] == points[OPENPOSE_RIGHT_HAND] == OPENPOSE_HAND_POINTS
    assert len(points[OPENPOSE_FACE]) == 70
    point_set = get_point_set(OPENPOSE_PRESET)
    assert point_set.num_points == 12 + 21 + 21
    assert point_set.points[:12] == tuple((OPENPOSE_BODY, p) for p in OPENPOSE_UPPER_BODY)
    assert {"MidHip", "RKnee", "LBigToe"}.isdisjoint(p for _, p in point_set.points)
    assert feature_layout(CONFIG).num_features == 162


def test_features_equal_the_plain_reference(openpose):
    features = extract_features(openpose, CONFIG)
    assert features.dtype == np.float32 and features.shape == (93, 162)
    assert np.isfinite(features).all()
    np.testing.assert_allclose(features, reference_features(openpose), atol=2e-5)
    xyz = features.reshape(93, -1, 3)
    assert (xyz[..., 2] == 0).all()  # 2D: z is 0
    # Shoulders centred on 0 with a mean width of 1, as for the MediaPipe presets.
    point_set = get_point_set(OPENPOSE_PRESET)
    left = point_set.index_of(OPENPOSE_BODY, "LShoulder")
    right = point_set.index_of(OPENPOSE_BODY, "RShoulder")
    both = (np.abs(xyz[:, left]).sum(1) > 0) & (np.abs(xyz[:, right]).sum(1) > 0)
    np.testing.assert_allclose(
        np.linalg.norm(xyz[both, left] - xyz[both, right], axis=1).mean(), 1, rtol=1e-5
    )
    np.testing.assert_allclose(((xyz[both, left] + xyz[both, right]) / 2).mean(0), 0, atol=1e-5)


def test_mirror_swaps_sides_and_hands():
    point_set = get_point_set(OPENPOSE_PRESET)
    mirror = np.array(point_set.mirror)
    np.testing.assert_array_equal(mirror[mirror], np.arange(point_set.num_points))
    partner = {point_set.points[k]: point_set.points[m] for k, m in enumerate(mirror)}
    assert partner[(OPENPOSE_BODY, "LShoulder")] == (OPENPOSE_BODY, "RShoulder")
    assert partner[(OPENPOSE_BODY, "REar")] == (OPENPOSE_BODY, "LEar")
    assert partner[(OPENPOSE_BODY, "Nose")] == (OPENPOSE_BODY, "Nose")
    assert partner[(OPENPOSE_BODY, "Neck")] == (OPENPOSE_BODY, "Neck")
    assert partner[(OPENPOSE_LEFT_HAND, "T_IP")] == (OPENPOSE_RIGHT_HAND, "T_IP")


@pytest.mark.parametrize("preset", ["reduced-face", "sign-vq", "dominant-hand", "hands"])
def test_mediapipe_presets_refuse_openpose_files_naming_the_fix(shared_data, preset):
    path = shared_data / OPENPOSE
    with pytest.raises(PoseFileError) as info:
        load_features(path, PoseConfig(preset=preset))
    message = str(info.value)
    assert message.startswith(f"{path}: lacks") and "\n" not in message
    assert message.endswith("an OpenPose file: use pose.preset=openpose-body-hands")


def test_the_openpose_preset_refuses_mediapipe_files_naming_the_fix(shared_data):
    with pytest.raises(PoseFileError) as info:
        load_features(shared_data / MEDIAPIPE, CONFIG)
    assert str(info.value).endswith(
        "a MediaPipe file: use pose.preset=reduced-face or sign-vq or dominant-hand or hands"
    )


def test_a_training_config_with_the_preset_validates_and_runs(shared_data, tmp_path):
    cfg = load_config("tiny", ["pose.preset=openpose-body-hands"])
    assert cfg.pose.preset == OPENPOSE_PRESET
    record = ClipRecord("sample", shared_data / OPENPOSE, "hello", "en", "ase", "train")
    cache, report = FeatureCache.build_or_open([record], cfg.pose, tmp_path, progress=False)
    assert report.failures == [] and cache.num_features == 162
    features = torch.from_numpy(np.array(cache.get(0)))[None]
    encoder = PoseEncoder(cfg.model, cache.num_features)
    embedding = encoder(features, torch.ones(features.shape[:2], dtype=torch.bool))
    assert embedding.shape == (1, cfg.model.pose_width) and torch.isfinite(embedding).all()
