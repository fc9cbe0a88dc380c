import numpy as np
import pytest

from signclip.pose.resample import resample, resampled_length


def naive_resample(xyz: np.ndarray, src_fps: float, dst_fps: float) -> np.ndarray:
    """Per point and axis with np.interp; a point missing in either neighbour stays missing."""
    frames = xyz.shape[0]
    old_t = np.arange(frames) / src_fps
    new_t = np.arange(resampled_length(frames, src_fps, dst_fps)) / dst_fps
    out = np.zeros((len(new_t), *xyz.shape[1:]), dtype=np.float32)
    for k in range(xyz.shape[1]):
        missing = np.isnan(xyz[:, k, 0])
        for d in range(xyz.shape[2]):
            out[:, k, d] = np.interp(new_t, old_t, np.nan_to_num(xyz[:, k, d]))
        for j, t in enumerate(new_t):
            position = t * src_fps
            lower = min(int(np.floor(position + 1e-6)), frames - 1)
            on_frame = abs(position - lower) < 1e-6
            if missing[lower] or (not on_frame and missing[lower + 1]):
                out[j, k] = np.nan
    return out


def clip(frames: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    xyz = rng.normal(0, 1, (frames, 5, 3)).astype(np.float32)
    xyz[rng.random((frames, 5)) < 0.15] = np.nan
    return xyz


@pytest.mark.parametrize("frames", [1, 2, 139, 140])
def test_50_to_25_fps_halves_the_length_and_keeps_every_other_frame(frames):
    xyz = clip(frames)
    out = resample(xyz, 50, 25)
    assert out.shape[0] == (frames + 1) // 2
    np.testing.assert_array_equal(out, xyz[::2])


@pytest.mark.parametrize(("src", "dst"), [(30, 25), (25, 30), (29.97, 25), (24, 50)])
def test_matches_a_naive_per_point_interpolation(src, dst):
    xyz = clip(47, seed=1)
    out = resample(xyz, src, dst)
    expected = naive_resample(xyz, src, dst)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(np.isnan(out), np.isnan(expected))
    np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(expected), atol=1e-5)


def test_length_covers_the_clip_span():
    assert resampled_length(100, 30, 25) == 83  # 99 / 30 s = 3.3 s -> frames at 0..3.28 s
    assert resampled_length(1, 50, 25) == 1
