"""What a user would train instead of signclip to recognise isolated signs, on the same features:
a bidirectional GRU classifier trained with cross-entropy, and a model-free nearest neighbour on
the raw features. Both return class scores [Q, C] for `recognition_metrics.classification_metrics`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

# Frames every clip is resampled to for the nearest neighbour: enough for the shape of a sign's
# movement, few enough that a slightly slower signer still lines up.
NN_FRAMES = 16


def resample_clip(clip: np.ndarray, frames: int = NN_FRAMES) -> np.ndarray:
    """[T, F] -> [frames, F] by linear interpolation over the clip's duration."""
    positions = np.linspace(0, len(clip) - 1, frames)
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, len(clip) - 1)
    weight = (positions - low)[:, None]
    return (1 - weight) * clip[low] + weight * clip[high]


def nearest_neighbour_scores(
    train: Sequence[np.ndarray], labels: np.ndarray, test: Sequence[np.ndarray], num_classes: int
) -> np.ndarray:
    """Cosine 1-NN on time-resampled raw features: a class scores its closest training clip."""

    def flat(clips: Sequence[np.ndarray]) -> np.ndarray:
        rows = np.stack([resample_clip(c).reshape(-1) for c in clips]).astype(np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True).clip(min=1e-12)

    similarity = flat(test) @ flat(train).T  # [Q, N]
    scores = np.full((len(test), num_classes), -np.inf, np.float32)
    for c in range(num_classes):
        members = labels == c
        if members.any():
            scores[:, c] = similarity[:, members].max(axis=1)
    return scores


class GRUClassifier(nn.Module):
    """Frames -> a projection -> a 2-layer bidirectional GRU -> the last states -> classes."""

    def __init__(self, num_features: int, num_classes: int, width: int = 128):
        super().__init__()
        self.inputs = nn.Sequential(nn.Linear(num_features, width), nn.GELU(), nn.Dropout(0.2))
        self.gru = nn.GRU(width, width, num_layers=2, batch_first=True, bidirectional=True,
                          dropout=0.2)  # fmt: skip
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(2 * width, num_classes))

    def forward(self, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.inputs(features), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, hidden = self.gru(packed)  # [layers * 2, B, width]
        # The last layer's final states, forward and backward: each has read the whole clip.
        return self.head(torch.cat([hidden[-2], hidden[-1]], dim=1))


def _batch(clips: Sequence[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = torch.tensor([len(c) for c in clips])
    padded = np.zeros((len(clips), int(lengths.max()), clips[0].shape[1]), np.float32)
    for row, clip in enumerate(clips):
        padded[row, : len(clip)] = clip
    return torch.from_numpy(padded), lengths


def supervised_scores(
    train: Sequence[np.ndarray],
    labels: np.ndarray,
    test: Sequence[np.ndarray],
    num_classes: int,
    epochs: int = 60,
    seed: int = 0,
    batch_size: int = 64,
) -> np.ndarray:
    """Train a `GRUClassifier` with cross-entropy (AdamW, cosine schedule, label smoothing 0.1,
    Gaussian feature noise) and return its logits on `test`."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = GRUClassifier(train[0].shape[1], num_classes)
    steps = epochs * int(np.ceil(len(train) / batch_size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=2e-3, total_steps=steps)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
    target = torch.from_numpy(np.asarray(labels, np.int64))
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(train))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            features, lengths = _batch([train[i] for i in rows])
            features = features + 0.02 * torch.randn_like(features) * (features != 0)
            loss = loss_fn(model(features, lengths), target[rows])
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
    model.eval()
    with torch.inference_mode():
        out = [model(*_batch(test[start : start + 256])) for start in range(0, len(test), 256)]
    return torch.cat(out).numpy()
