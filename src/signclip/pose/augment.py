"""Training-only pose augmentations on batched tensors: speed, 2D affine, left/right flip, noise.

Everything works on features [B, T, F] (F = K * D, point-major then xyz) and mask [B, T] on the
device they already live on, with no Python loop over clips: the original ran scipy per clip in
the data loader, which doubled its training time. Randomness comes only from an explicit
`torch.Generator` on the tensors' device, so a run is reproducible from its seed.

Sampling (`sample_params`) is separate from the pure apply functions, so a test or a caller can feed
known parameters. Assumptions: the real frames of a clip form a prefix of its row (padding at the
end, as collation produces) and padded frames are all zero. Guarantees of every function: padded
frames stay zero and masked, and a point whose D coordinates are all exactly 0 in a frame (missing)
stays exactly 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch

from signclip.config import AugmentConfig
from signclip.errors import ConfigError

# Speed ratios are clamped to this range: beyond it a clip no longer looks like signing, and a ratio
# near 0 would stretch a short clip over the whole context.
SPEED_RANGE = (0.5, 2.0)
# The y-scale 1 + N(0, std) is clamped to this range so a large std never squashes the signer to a
# line or turns it upside down (a scale <= 0).
SCALE_RANGE = (0.5, 2.0)


class Layout(Protocol):
    """What augmentation needs of `pose.features.FeatureLayout` (read-only attributes)."""

    @property
    def num_points(self) -> int: ...

    @property
    def dims(self) -> int: ...

    @property
    def mirror(self) -> tuple[int, ...]: ...


@dataclass
class AugmentParams:
    """Per-clip parameters, each [B]. A switched-off augmentation gets its identity values."""

    ratio: torch.Tensor  # speed ratio; > 1 plays faster, so the clip gets fewer frames
    angle: torch.Tensor  # rotation of (x, y), radians, counter-clockwise
    shear: torch.Tensor  # x-shear: x += shear * y
    scale: torch.Tensor  # y-scale: y *= scale
    flip: torch.Tensor  # bool: mirror this clip


def sample_params(
    cfg: AugmentConfig, batch_size: int, generator: torch.Generator, device: torch.device | str
) -> AugmentParams:
    """Draw per-clip parameters in a fixed order (speed, affine, flip); off ones draw nothing.

    Drawing nothing for a switched-off augmentation keeps the random stream of the others the same
    whether or not it is enabled. The generator must live on `device`.
    """
    _check_config(cfg)
    device = torch.device(device)
    zeros = torch.zeros(batch_size, device=device)

    def normal(std: float) -> torch.Tensor:
        return torch.randn(batch_size, generator=generator, device=device) * std

    ratio, angle, shear, scale = zeros + 1, zeros, zeros, zeros + 1
    flip = torch.zeros(batch_size, dtype=torch.bool, device=device)
    if cfg.speed_std > 0:
        ratio = (1 + normal(cfg.speed_std)).clamp(*SPEED_RANGE)
    if cfg.affine_std > 0:
        angle = normal(cfg.affine_std)
        shear = normal(cfg.affine_std)
        scale = (1 + normal(cfg.affine_std)).clamp(*SCALE_RANGE)
    if cfg.flip_p > 0:
        flip = torch.rand(batch_size, generator=generator, device=device) < cfg.flip_p
    return AugmentParams(ratio, angle, shear, scale, flip)


def change_speed(
    features: torch.Tensor,
    mask: torch.Tensor,
    ratio: torch.Tensor,
    max_frames: int,
    *,
    dims: int = 3,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Replay each clip `ratio` times as fast by linear interpolation between neighbouring frames.

    A clip of L frames becomes L' = max(1, round(L / ratio)) frames, capped at `max_frames` (the
    model's context; a capped clip is squeezed into it whole rather than cut). Output frame j
    samples source position j * (L - 1) / (L' - 1) (0 when L' = 1), so first and last frames are
    kept. A point missing in either neighbouring source frame is missing in the output frame.
    `ratio` [B] must be positive (`sample_params` clamps it to SPEED_RANGE). Returns features
    [B, T', F] and mask [B, T'] with T' the longest new clip.
    """
    lengths = mask.sum(dim=1)
    new_lengths = torch.round(lengths / ratio).long().clamp(1, max_frames)
    new_lengths = torch.where(lengths > 0, new_lengths, 0)
    new_frames = int(new_lengths.max())  # one sync: the output size must be known on the host
    j = torch.arange(new_frames, device=features.device)[None, :]
    new_mask = j < new_lengths[:, None]

    # Source position j * span / steps in exact integer arithmetic: lo is its floor and rem / steps
    # its fraction, so a whole position reads exactly one frame (hi == lo) and its missing points
    # depend on that frame alone.
    span = (lengths - 1).clamp(min=0)[:, None]
    steps = (new_lengths - 1).clamp(min=1)[:, None]
    numerator = j * span
    lo = torch.div(numerator, steps, rounding_mode="floor")
    rem = numerator - lo * steps
    hi = lo + (rem > 0).long()
    weight = rem.to(features.dtype) / steps.to(features.dtype)

    last = features.shape[1] - 1  # padded output positions may point past the clip; keep in range
    lo_frames = _points(_take_frames(features, lo.clamp(max=last)), dims)
    hi_frames = _points(_take_frames(features, hi.clamp(max=last)), dims)
    mixed = torch.lerp(lo_frames, hi_frames, weight[:, :, None, None])
    keep = _present(lo_frames) & _present(hi_frames) & new_mask[:, :, None, None]
    out = torch.where(keep, mixed, torch.zeros((), dtype=mixed.dtype, device=mixed.device))
    return out.flatten(2), new_mask


def affine_2d(
    features: torch.Tensor,
    angle: torch.Tensor,
    shear: torch.Tensor,
    scale: torch.Tensor,
    *,
    dims: int = 3,
) -> torch.Tensor:
    """Apply p' = R(angle) @ Shear(shear) @ Scale(scale) @ p to (x, y) of every point; z untouched.

    Shear = [[1, shear], [0, 1]], Scale = [[1, 0], [0, scale]], all about the origin (the shoulder
    midpoint after normalisation), per clip. The map is linear, so missing points and padded
    frames, being zero, stay zero.
    """
    cos, sin = torch.cos(angle), torch.sin(angle)
    one, zero = torch.ones_like(angle), torch.zeros_like(angle)
    rotate = _matrices(cos, -sin, sin, cos)
    shear_x = _matrices(one, shear, zero, one)
    scale_y = _matrices(one, zero, zero, scale)
    matrix = (rotate @ shear_x @ scale_y).to(features.dtype)
    points = _points(features, dims)
    xy = torch.einsum("bij,btkj->btki", matrix, points[..., :2])
    return torch.cat([xy, points[..., 2:]], dim=-1).flatten(2)


def flip_hands(features: torch.Tensor, flip: torch.Tensor, mirror: tuple[int, ...]) -> torch.Tensor:
    """Mirror the flipped clips: negate x and let point k take the coordinates of `mirror[k]`.

    `mirror` swaps the hands, LEFT_/RIGHT_ body points and mirrored face points. No re-normalising
    is needed: the shoulders swap too, so their midpoint stays at the origin and their width is
    unchanged. A permutation and a sign change keep missing points and padded frames zero.
    """
    num_points = len(mirror)
    if sorted(mirror) != list(range(num_points)):
        raise ValueError(f"mirror must be a permutation of range({num_points}), got {mirror}")
    points = _points(features, features.shape[-1] // num_points)
    index = torch.as_tensor(mirror, device=features.device)
    sign = torch.ones(points.shape[-1], dtype=features.dtype, device=features.device)
    sign[0] = -1
    mirrored = points[:, :, index] * sign
    return torch.where(flip[:, None, None, None], mirrored, points).flatten(2)


def add_noise(
    features: torch.Tensor, std: float, generator: torch.Generator, *, dims: int = 3
) -> torch.Tensor:
    """Add N(0, std) to every coordinate of every present point.

    Padded frames are all zero, so no point in them is present and they need no mask. The noise is
    drawn for the whole tensor (one draw, whatever the content), so the random stream depends only
    on the shape.
    """
    noise = torch.randn(
        features.shape, generator=generator, device=features.device, dtype=features.dtype
    )
    points = _points(features, dims)
    return torch.where(_present(points), points + std * _points(noise, dims), points).flatten(2)


def augment_batch(
    features: torch.Tensor,
    mask: torch.Tensor,
    cfg: AugmentConfig,
    layout: Layout,
    generator: torch.Generator,
    max_frames: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Apply the enabled augmentations in the order speed → affine → flip → noise.

    Disabled ones (std 0, p 0) are skipped and draw no random numbers; with all disabled the
    inputs come back unchanged. The generator must live on the tensors' device.
    """
    if features.shape[-1] != layout.num_points * layout.dims:
        raise ValueError(
            f"features have {features.shape[-1]} values per frame, the layout expects "
            f"{layout.num_points} points x {layout.dims} = {layout.num_points * layout.dims}"
        )
    params = sample_params(cfg, features.shape[0], generator, features.device)
    if cfg.speed_std > 0:
        features, mask = change_speed(features, mask, params.ratio, max_frames, dims=layout.dims)
    if cfg.affine_std > 0:
        features = affine_2d(features, params.angle, params.shear, params.scale, dims=layout.dims)
    if cfg.flip_p > 0:
        features = flip_hands(features, params.flip, layout.mirror)
    if cfg.noise_std > 0:
        features = add_noise(features, cfg.noise_std, generator, dims=layout.dims)
    return features, mask


def _check_config(cfg: AugmentConfig) -> None:
    for name in ("speed_std", "affine_std", "flip_p", "noise_std"):
        value = getattr(cfg, name)
        if not math.isfinite(value) or value < 0:
            raise ConfigError(f"config key augment.{name}: must be >= 0 (0 = off), got {value}")
    if cfg.flip_p > 1:
        raise ConfigError(
            f"config key augment.flip_p: a probability, must be <= 1, got {cfg.flip_p}"
        )


def _points(features: torch.Tensor, dims: int) -> torch.Tensor:
    """View [B, T, F] as [B, T, K, D]."""
    return features.unflatten(-1, (-1, dims))


def _present(points: torch.Tensor) -> torch.Tensor:
    """[B, T, K, 1] bool: the point has at least one non-zero coordinate."""
    return (points != 0).any(dim=-1, keepdim=True)


def _take_frames(features: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """features[b, index[b, j]] for every b, j: [B, T', F]."""
    return features.gather(1, index[:, :, None].expand(-1, -1, features.shape[-1]))


def _matrices(a: torch.Tensor, b: torch.Tensor, c: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """[B, 2, 2] matrices [[a, b], [c, d]] from [B] entries."""
    return torch.stack([torch.stack([a, b], dim=-1), torch.stack([c, d], dim=-1)], dim=-2)
