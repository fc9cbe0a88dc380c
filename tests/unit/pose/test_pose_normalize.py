import numpy as np
import pytest

from signclip.pose import normalize


def random_clip(frames=20, points=6, seed=0, missing=0.2):
    rng = np.random.default_rng(seed)
    xyz = rng.normal(100, 30, (frames, points, 3)).astype(np.float32)
    gone = rng.random((frames, points)) < missing
    normalize.mark_missing(xyz, gone)
    return xyz, gone


def test_mark_missing_blanks_whole_points_for_confidence_nan_and_inf():
    xyz = np.ones((3, 4, 3), dtype=np.float32)
    xyz[0, 1, 2] = np.nan
    xyz[1, 2, 0] = np.inf
    xyz[2, 3, 1] = -np.inf
    missing = np.zeros((3, 4), dtype=bool)
    missing[2, 0] = True
    normalize.mark_missing(xyz, missing)
    blank = np.isnan(xyz)
    np.testing.assert_array_equal(blank.all(-1), blank.any(-1))  # whole points only
    expected = np.zeros((3, 4), dtype=bool)
    expected[[0, 1, 2, 2], [1, 2, 3, 0]] = True
    np.testing.assert_array_equal(blank.all(-1), expected)
    np.testing.assert_array_equal(normalize.detected(xyz), ~expected)


def test_pair_frame_matches_a_per_frame_loop():
    xyz, _ = random_clip()
    centres, widths = [], []
    for frame in xyz:
        a, b = frame[1].astype(np.float64), frame[4].astype(np.float64)
        if not (np.isnan(a).any() or np.isnan(b).any()):
            centres.append((a + b) / 2)
            widths.append(np.sqrt(((a - b) ** 2).sum()))
    centre, width = normalize.pair_frame(xyz, 1, 4)
    np.testing.assert_allclose(centre, np.mean(centres, axis=0), rtol=1e-6)
    assert width == pytest.approx(np.mean(widths), rel=1e-6)


def test_pair_frame_is_none_when_never_together():
    xyz = np.ones((4, 2, 3), dtype=np.float32)
    xyz[:2, 0] = np.nan
    xyz[2:, 1] = np.nan
    assert normalize.pair_frame(xyz, 0, 1) is None


def test_apply_frame_moves_present_points_only():
    xyz, gone = random_clip()
    before = xyz.copy()
    normalize.apply_frame(xyz, np.array([1.0, 2.0, 3.0]), 4.0)
    np.testing.assert_allclose(xyz[~gone], (before[~gone] - [1, 2, 3]) / 4, rtol=1e-5)
    assert np.isnan(xyz[gone]).all()


def test_apply_frame_refuses_a_copying_view():
    xyz, _ = random_clip()
    with pytest.raises(ValueError, match="C-contiguous"):
        normalize.apply_frame(xyz[:, :3], np.zeros(3), 1.0)


def test_fill_and_relative_keep_missing_semantics():
    xyz, _ = random_clip(points=4, missing=0.0)
    xyz[:5, 1] = np.nan  # "hand wrist" lost in frames 0-4
    xyz[:3, 0] = np.nan  # "body wrist" lost in frames 0-2 too
    before = xyz.copy()
    normalize.fill_from(xyz, target=1, source=0)
    np.testing.assert_array_equal(xyz[3:5, 1], before[3:5, 0])
    assert np.isnan(xyz[:3, 1]).all()
    normalize.relative_to(xyz, origin=1, columns=np.array([2, 3]))
    assert np.isnan(xyz[:3, 2:]).all()
    np.testing.assert_allclose(xyz[3:, 2:], before[3:, 2:] - xyz[3:, 1:2], rtol=1e-6)


def test_to_features_flattens_point_major_and_zeroes_missing():
    xyz, gone = random_clip()
    features = normalize.to_features(xyz.copy())
    assert features.dtype == np.float32 and features.shape == (20, 18)
    assert not np.isnan(features).any()
    points = features.reshape(20, 6, 3)
    assert (points[gone] == 0).all()
    np.testing.assert_array_equal(points[~gone], xyz[~gone])


def test_mark_missing_drops_values_beyond_1e6_and_counts_corrupt_points():
    xyz = np.ones((2, 5, 3), dtype=np.float32)
    xyz[0, 0, 0] = 1e6  # the limit itself is a coordinate
    xyz[0, 1, 1] = -1.5e6
    xyz[0, 2, 2] = 3e38
    xyz[1, 3, 0] = np.nan
    xyz[1, 4, 1] = np.nan  # already missing by confidence: not counted as corrupt
    missing = np.zeros((2, 5), dtype=bool)
    missing[1, 4] = missing[1, 0] = True
    assert normalize.MAX_COORDINATE == 1e6
    assert normalize.mark_missing(xyz, missing) == 3
    expected = np.zeros((2, 5), dtype=bool)
    expected[[0, 0, 1, 1, 1], [1, 2, 3, 4, 0]] = True
    np.testing.assert_array_equal(~normalize.detected(xyz), expected)
    assert xyz[0, 0, 0] == 1e6


def test_mark_missing_counts_nothing_on_a_clean_clip():
    xyz, _ = random_clip(missing=0.0)
    assert normalize.mark_missing(xyz, np.zeros((20, 6), dtype=bool)) == 0


def test_reach_is_the_largest_offset_of_a_present_coordinate():
    xyz, gone = random_clip(missing=0.3)
    centre = np.array([90.0, 100.0, 110.0])
    present = xyz[~gone].astype(np.float64)
    assert normalize.reach(xyz, centre) == np.abs(present - centre).max()


def test_reach_never_overflows():
    xyz = np.full((2, 2, 3), 3e38, dtype=np.float32)
    xyz[0, 0] = -3e38
    assert normalize.reach(xyz, np.zeros(3)) == pytest.approx(3e38, rel=1e-6)
