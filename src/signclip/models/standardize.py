"""Per-feature z-scores of pose features inside the model (PoseConfig.zscore)."""

from __future__ import annotations

import torch
from torch import nn

# A feature that barely varies in the training split (a hidden leg point, a dead z axis) would be
# blown up by dividing by its tiny std; below this it is only shifted and mildly scaled.
MIN_STD = 1e-4


class PointStandardizer(nn.Module):
    """(x - mean) / std per feature, keeping exact zeros (missing points, padding) at zero.

    The statistics are buffers, so they travel with the weights; until `set_statistics` is called
    (mean 0, std 1) this is the identity.
    """

    def __init__(self, num_features: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_features))
        self.register_buffer("std", torch.ones(num_features))

    def set_statistics(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Use `mean` and `std` [F] (of the training split's real, non-missing values)."""
        expected = tuple(self.mean.shape)
        if tuple(mean.shape) != expected or tuple(std.shape) != expected:
            raise ValueError(
                f"statistics must have shape {list(expected)}, got {list(mean.shape)} and "
                f"{list(std.shape)}"
            )
        if not (torch.isfinite(mean).all() and torch.isfinite(std).all()):
            raise ValueError("statistics contain NaN or infinite values")
        self.mean.copy_(mean.to(self.mean))
        self.std.copy_(std.to(self.std).clamp(min=MIN_STD))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Features [..., F] -> standardised features of the same shape and dtype."""
        scaled = (features - self.mean) / self.std
        # Zero means "missing" downstream; a shifted zero would look like a real coordinate.
        return torch.where(features == 0, torch.zeros_like(scaled), scaled).to(features.dtype)
