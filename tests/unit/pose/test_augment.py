"""Batched augmentations against plain per-clip NumPy references fed the same parameters."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch

from signclip.config import AugmentConfig
from signclip.errors import ConfigError
from signclip.pose.augment import (
    SCALE_RANGE,
    SPEED_RANGE,
    add_noise,
    affine_2d,
    augment_batch,
    change_speed,
    flip_hands,
    sample_params,
)

K, D = 5, 3
LENGTHS = (7, 1, 12, 2, 9, 12, 0)  # varied, with a one-frame clip and an empty row
ALL_ON = AugmentConfig(speed_std=0.3, affine_std=0.2, flip_p=0.5, noise_std=0.01)


@dataclass(frozen=True)
class TinyLayout:
    num_points: int
    dims: int
    mirror: tuple[int, ...]


# Point 0 is central, 1 <-> 2 and 3 <-> 4 are left/right pairs.
LAYOUT = TinyLayout(K, D, (0, 2, 1, 4, 3))


def make_batch(seed: int = 0, lengths: tuple[int, ...] = LENGTHS) -> tuple[torch.Tensor, ...]:
    """Random features [B, T, K*D] with padding at the end and about 20% missing points."""
    rng = np.random.default_rng(seed)
    frames = max(lengths)
    points = rng.normal(size=(len(lengths), frames, K, D)).astype(np.float32)
    points[rng.random(points.shape[:3]) < 0.2] = 0
    points[0, 2, 1] = (0, 0, 0.5)  # only z non-zero: present
    points[0, 3, 1] = (0.5, -0.5, 0)  # z exactly 0: present
    mask = np.arange(frames)[None, :] < np.array(lengths)[:, None]
    points[~mask] = 0
    return torch.from_numpy(points.reshape(len(lengths), frames, K * D)), torch.from_numpy(mask)


def as_points(features: torch.Tensor) -> np.ndarray:
    return features.numpy().reshape(features.shape[0], features.shape[1], K, D).astype(np.float64)


def missing(features: torch.Tensor) -> torch.Tensor:
    """[B, T, K] bool: every coordinate of the point is exactly 0."""
    return (features.unflatten(-1, (K, D)) == 0).all(dim=-1)


# --- NumPy references: one clip, one frame, one point at a time -------------------------------


def reference_length(length: int, ratio: np.float32, max_frames: int) -> int:
    if length == 0:
        return 0
    # float32 division, as torch does it, so a length near .5 rounds the same way
    return min(max(1, int(np.round(np.float32(length) / ratio))), max_frames)


def reference_speed(features, mask, ratio, max_frames):
    points, ratio = as_points(features), ratio.numpy()
    clips = []
    for b in range(len(points)):
        length = int(mask[b].sum())
        new_length = reference_length(length, ratio[b], max_frames)
        source = points[b, :length]
        clip = np.zeros((new_length, K, D))
        positions = [
            j * (length - 1) / (new_length - 1) if new_length > 1 else 0.0
            for j in range(new_length)
        ]
        for k in range(K if length else 0):  # an empty row has nothing to interpolate
            for d in range(D):
                clip[:, k, d] = np.interp(positions, np.arange(length), source[:, k, d])
        for j, position in enumerate(positions):
            for k in range(K):
                before, after = source[math.floor(position), k], source[math.ceil(position), k]
                if not before.any() or not after.any():
                    clip[j, k] = 0
        clips.append(clip)
    frames = max(len(c) for c in clips)
    out = np.zeros((len(clips), frames, K, D))
    out_mask = np.zeros((len(clips), frames), dtype=bool)
    for b, clip in enumerate(clips):
        out[b, : len(clip)] = clip
        out_mask[b, : len(clip)] = True
    return out, out_mask


def reference_affine(features, angle, shear, scale):
    points = as_points(features)
    for b in range(len(points)):
        cos, sin = math.cos(angle[b]), math.sin(angle[b])
        rotation = np.array([[cos, -sin], [sin, cos]])
        shear_x = np.array([[1.0, float(shear[b])], [0.0, 1.0]])
        scale_y = np.array([[1.0, 0.0], [0.0, float(scale[b])]])
        matrix = rotation @ shear_x @ scale_y
        for t in range(points.shape[1]):
            for k in range(K):
                points[b, t, k, :2] = matrix @ points[b, t, k, :2]
    return points


def reference_flip(features, flip, mirror):
    points = as_points(features)
    out = points.copy()
    for b in range(len(points)):
        if not flip[b]:
            continue
        for t in range(points.shape[1]):
            frame = [list(points[b, t, k]) for k in range(K)]
            mirrored = [frame[mirror[k]] for k in range(K)]
            for k in range(K):
                x, y, z = mirrored[k]
                out[b, t, k] = (-x, y, z)
    return out


def reference_noise(features, mask, noise, std):
    points, noise = as_points(features), as_points(noise)
    for b in range(len(points)):
        for t in range(points.shape[1]):
            for k in range(K):
                if mask[b, t] and points[b, t, k].any():
                    points[b, t, k] += std * noise[b, t, k]
    return points


def close(actual: torch.Tensor, expected: np.ndarray) -> None:
    np.testing.assert_allclose(as_points(actual), expected, atol=1e-5, rtol=0)


# --- speed ------------------------------------------------------------------------------------


def test_change_speed_matches_reference():
    features, mask = make_batch(1)
    sampled = sample_params(
        AugmentConfig(speed_std=0.4), len(mask), torch.Generator().manual_seed(3), "cpu"
    )
    explicit = torch.tensor([0.5, 2.0, 1.3, 0.7, 1.0, 0.61, 1.7])
    for ratio in (sampled.ratio, explicit):
        out, out_mask = change_speed(features, mask, ratio, max_frames=16)
        expected, expected_mask = reference_speed(features, mask, ratio, 16)
        assert out.dtype == torch.float32
        assert np.array_equal(out_mask.numpy(), expected_mask)
        close(out, expected)


@pytest.mark.parametrize("ratio", [0.5, 0.6, 0.8, 1.0, 1.25, 1.9, 2.0])
def test_change_speed_lengths_are_rounded_and_capped(ratio):
    features, mask = make_batch(2)
    out, out_mask = change_speed(features, mask, torch.full((len(mask),), ratio), max_frames=16)
    expected = [reference_length(n, np.float32(ratio), 16) for n in LENGTHS]
    assert out_mask.sum(dim=1).tolist() == expected
    assert out.shape == (len(LENGTHS), max(expected), K * D)
    # the mask is a prefix and padded frames are zero
    assert torch.equal(out_mask, torch.arange(out.shape[1])[None, :] < out_mask.sum(1)[:, None])
    assert not out[~out_mask].any()


def test_change_speed_squeezes_a_long_clip_into_the_context():
    features, mask = make_batch(3, lengths=(12,))
    out, out_mask = change_speed(features, mask, torch.tensor([0.5]), max_frames=10)
    assert out_mask.sum() == 10
    # first and last frames survive the squeeze
    assert torch.equal(out[0, 0], features[0, 0])
    assert torch.equal(out[0, 9], features[0, 11])


def test_change_speed_ratio_one_is_the_identity():
    features, mask = make_batch(4)
    out, out_mask = change_speed(features, mask, torch.ones(len(mask)), max_frames=64)
    assert torch.equal(out, features)
    assert torch.equal(out_mask, mask)


def test_change_speed_point_missing_in_a_neighbour_is_missing():
    # 3 frames to 5: source positions 0, 0.5, 1, 1.5, 2; point 0 is missing in frame 1 only.
    features = torch.arange(1.0, 1 + 3 * K * D).reshape(1, 3, K * D)
    features[0, 1, :D] = 0
    out, _ = change_speed(features, torch.ones(1, 3, dtype=torch.bool), torch.tensor([0.6]), 8)
    assert missing(out)[0, :, 0].tolist() == [False, True, True, True, False]
    assert not missing(out)[0, :, 1:].any()
    assert torch.equal(out[0, 2, D:], features[0, 1, D:])  # a whole position copies its frame


# --- affine, flip, noise ----------------------------------------------------------------------


def test_affine_matches_reference():
    features, _ = make_batch(5)
    params = sample_params(
        AugmentConfig(affine_std=0.5), len(features), torch.Generator().manual_seed(1), "cpu"
    )
    out = affine_2d(features, params.angle, params.shear, params.scale)
    close(out, reference_affine(features, params.angle, params.shear, params.scale))
    assert torch.equal(out.unflatten(-1, (K, D))[..., 2], features.unflatten(-1, (K, D))[..., 2])
    assert torch.equal(missing(out), missing(features))


def test_affine_composition_order():
    # p = (0, 1): scale y by 2 -> (0, 2), shear x += 1 * y -> (2, 2), rotate 90 degrees -> (-2, 2)
    features = torch.zeros(1, 1, K * D)
    features[0, 0, :D] = torch.tensor([0.0, 1.0, 0.3])
    out = affine_2d(features, torch.tensor([math.pi / 2]), torch.tensor([1.0]), torch.tensor([2.0]))
    np.testing.assert_allclose(out[0, 0, :D].numpy(), [-2.0, 2.0, 0.3], atol=1e-6)


@pytest.mark.parametrize("mirror", [(0, 2, 1, 4, 3), (1, 2, 0, 4, 3)])
def test_flip_matches_reference(mirror):
    features, _ = make_batch(6)
    flip = torch.tensor([True, False, True, True, False, True, True])
    out = flip_hands(features, flip, mirror)
    close(out, reference_flip(features, flip.tolist(), mirror))


def test_flip_twice_is_the_identity_and_keeps_missing_points():
    features, _ = make_batch(7)
    flip = torch.ones(len(features), dtype=torch.bool)
    once = flip_hands(features, flip, LAYOUT.mirror)
    assert torch.equal(missing(once), missing(features)[:, :, list(LAYOUT.mirror)])
    assert torch.equal(flip_hands(once, flip, LAYOUT.mirror), features)


def test_flip_rejects_a_mirror_that_is_not_a_permutation():
    features, _ = make_batch(7)
    with pytest.raises(ValueError, match="permutation"):
        flip_hands(features, torch.ones(len(features), dtype=torch.bool), (0, 1, 1, 3, 4))


def test_noise_matches_reference():
    features, mask = make_batch(8)
    out = add_noise(features, 0.1, torch.Generator().manual_seed(5))
    noise = torch.randn(features.shape, generator=torch.Generator().manual_seed(5))
    close(out, reference_noise(features, mask, noise, 0.1))
    assert torch.equal(missing(out), missing(features))


def test_noise_has_the_requested_std():
    features, _ = make_batch(9, lengths=(200, 150, 180, 120, 200, 90, 60, 200))
    delta = add_noise(features, 0.05, torch.Generator().manual_seed(0)) - features
    present = (~missing(features)).repeat_interleave(D, dim=-1)
    values = delta[present]
    assert values.numel() > 10_000
    assert abs(values.mean().item()) < 0.002
    assert values.std().item() == pytest.approx(0.05, rel=0.03)
    assert not delta[~present].any()


# --- sampling and the whole pipeline ----------------------------------------------------------


def test_sample_params_clamps_and_gives_identity_when_off():
    gen = torch.Generator().manual_seed(0)
    wild = sample_params(AugmentConfig(speed_std=5.0, affine_std=5.0, flip_p=1.0), 1000, gen, "cpu")
    assert SPEED_RANGE[0] <= wild.ratio.min() and wild.ratio.max() <= SPEED_RANGE[1]
    assert SCALE_RANGE[0] <= wild.scale.min() and wild.scale.max() <= SCALE_RANGE[1]
    assert wild.flip.all()
    state = gen.get_state()
    off = sample_params(AugmentConfig(), 4, gen, "cpu")
    assert torch.equal(gen.get_state(), state)
    assert off.ratio.tolist() == [1.0] * 4 and off.scale.tolist() == [1.0] * 4
    assert not off.angle.any() and not off.shear.any() and not off.flip.any()


def test_flip_probability():
    params = sample_params(
        AugmentConfig(flip_p=0.2), 20_000, torch.Generator().manual_seed(0), "cpu"
    )
    assert params.flip.float().mean().item() == pytest.approx(0.2, abs=0.01)


def test_disabled_config_returns_the_input_and_draws_nothing():
    features, mask = make_batch(10)
    gen = torch.Generator().manual_seed(0)
    state = gen.get_state()
    out, out_mask = augment_batch(features, mask, AugmentConfig(), LAYOUT, gen, 16)
    assert torch.equal(out, features) and torch.equal(out_mask, mask)
    assert torch.equal(gen.get_state(), state)


def test_disabled_augmentations_draw_nothing():
    features, mask = make_batch(11)
    only_noise = AugmentConfig(noise_std=0.1)
    out, _ = augment_batch(features, mask, only_noise, LAYOUT, torch.Generator().manual_seed(2), 16)
    expected = add_noise(features, 0.1, torch.Generator().manual_seed(2))
    assert torch.equal(out, expected)


def test_pipeline_is_speed_then_affine_then_flip_then_noise():
    features, mask = make_batch(12)
    out, out_mask = augment_batch(
        features, mask, ALL_ON, LAYOUT, torch.Generator().manual_seed(4), 16
    )
    gen = torch.Generator().manual_seed(4)
    params = sample_params(ALL_ON, len(mask), gen, "cpu")
    expected, expected_mask = change_speed(features, mask, params.ratio, 16)
    expected = affine_2d(expected, params.angle, params.shear, params.scale)
    expected = flip_hands(expected, params.flip, LAYOUT.mirror)
    expected = add_noise(expected, ALL_ON.noise_std, gen)
    assert torch.equal(out, expected) and torch.equal(out_mask, expected_mask)


def test_pipeline_keeps_padding_and_missing_points_zero():
    features, mask = make_batch(13)
    gen = torch.Generator().manual_seed(6)
    params = sample_params(ALL_ON, len(mask), torch.Generator().manual_seed(6), "cpu")
    with torch.no_grad():
        out, out_mask = augment_batch(features, mask, ALL_ON, LAYOUT, gen, 16)
    assert out.dtype == torch.float32 and out_mask.dtype == torch.bool
    assert not out[~out_mask].any()
    # affine, flip and noise keep presence, so missing points are those of the speed change,
    # mirrored for flipped clips
    resampled, _ = change_speed(features, mask, params.ratio, 16)
    expected = missing(resampled)
    expected[params.flip] = expected[params.flip][:, :, list(LAYOUT.mirror)]
    assert torch.equal(missing(out), expected)


def test_pipeline_without_speed_keeps_missing_points_and_mask():
    features, mask = make_batch(14)
    cfg = replace(ALL_ON, speed_std=0.0, flip_p=0.0)
    out, out_mask = augment_batch(features, mask, cfg, LAYOUT, torch.Generator().manual_seed(0), 16)
    assert torch.equal(out_mask, mask)
    assert torch.equal(missing(out), missing(features))


def test_same_seed_same_result_other_seed_other_result():
    features, mask = make_batch(15)

    def run(seed):
        return augment_batch(
            features, mask, ALL_ON, LAYOUT, torch.Generator().manual_seed(seed), 16
        )

    first, again, other = run(0), run(0), run(1)
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert first[0].shape != other[0].shape or not torch.equal(first[0], other[0])


def test_bad_config_and_layout_are_rejected():
    features, mask = make_batch(16)
    gen = torch.Generator().manual_seed(0)
    with pytest.raises(ConfigError, match=r"augment\.noise_std"):
        augment_batch(features, mask, AugmentConfig(noise_std=-1.0), LAYOUT, gen, 16)
    with pytest.raises(ConfigError, match=r"augment\.flip_p"):
        augment_batch(features, mask, AugmentConfig(flip_p=1.5), LAYOUT, gen, 16)
    with pytest.raises(ValueError, match="layout expects"):
        augment_batch(features, mask, ALL_ON, TinyLayout(4, 3, (0, 1, 2, 3)), gen, 16)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_for_the_same_parameters():
    features, mask = make_batch(17)
    params = sample_params(ALL_ON, len(mask), torch.Generator().manual_seed(0), "cpu")
    cuda = torch.device("cuda")
    speed_cpu = change_speed(features, mask, params.ratio, 16)
    speed_gpu = change_speed(features.to(cuda), mask.to(cuda), params.ratio.to(cuda), 16)
    assert torch.equal(speed_gpu[1].cpu(), speed_cpu[1])
    torch.testing.assert_close(speed_gpu[0].cpu(), speed_cpu[0], atol=1e-5, rtol=0)
    affine_cpu = affine_2d(features, params.angle, params.shear, params.scale)
    affine_gpu = affine_2d(
        features.to(cuda), params.angle.to(cuda), params.shear.to(cuda), params.scale.to(cuda)
    )
    torch.testing.assert_close(affine_gpu.cpu(), affine_cpu, atol=1e-5, rtol=0)
    flip_gpu = flip_hands(features.to(cuda), params.flip.to(cuda), LAYOUT.mirror)
    assert torch.equal(flip_gpu.cpu(), flip_hands(features, params.flip, LAYOUT.mirror))
    gen = torch.Generator(device=cuda).manual_seed(0)
    out, out_mask = augment_batch(features.to(cuda), mask.to(cuda), ALL_ON, LAYOUT, gen, 16)
    assert out.device.type == "cuda" and out_mask.device.type == "cuda"
    assert not out[~out_mask].any()
