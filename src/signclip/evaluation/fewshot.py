"""Few-shot recognition on frozen embeddings: k support clips per class, scored two ways.

- prototype: a clip's score for a class is its mean similarity (dot product, as the model
  compares) to the class's support clips, which equals the similarity to their mean;
- k-NN: features standardised with the support set's mean and std, Euclidean distance, a class's
  score is its number of votes among the n = round(sqrt(N)) nearest support clips (N = support
  size). Votes tie often, so a tie-break below one vote orders classes by the distance to their
  nearest support clip: the top-1 class is the majority vote, the rest of the ranking is sensible.

A class with no support clip cannot be predicted: its score is -inf, so a clip of that class is
ranked last and counted as a miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Support:
    """The support clips drawn for one k: rows of the training embeddings and their classes."""

    shots: int
    rows: np.ndarray  # [N] indices into the training embeddings
    labels: np.ndarray  # [N] class of each support clip
    short_classes: dict[int, int]  # class -> clips it had, for classes with fewer than `shots`


def draw_support(train_labels: np.ndarray, num_classes: int, shots: int, seed: int) -> Support:
    """`shots` training clips per class, drawn without replacement (seeded by (seed, shots));
    a class with fewer clips uses all it has."""
    if shots < 1:
        raise ValueError(f"shots must be at least 1, got {shots}")
    rng = np.random.default_rng((seed, shots))
    rows, labels, short = [], [], {}
    for c in range(num_classes):
        members = np.flatnonzero(train_labels == c)
        if len(members) < shots:
            short[c] = len(members)
        chosen = rng.permutation(members)[:shots]
        rows.append(np.sort(chosen))
        labels.append(np.full(len(chosen), c, np.int64))
    return Support(shots, np.concatenate(rows).astype(np.int64), np.concatenate(labels), short)


def prototype_scores(
    query: np.ndarray, support: np.ndarray, support_labels: np.ndarray, num_classes: int
) -> np.ndarray:
    """Scores [Q, C]: mean dot product of each query [Q, E] with each class's support [N, E]."""
    q = torch.as_tensor(query, dtype=torch.float64)
    s = torch.as_tensor(support, dtype=torch.float64)
    labels = torch.as_tensor(support_labels, dtype=torch.long)
    sums = torch.zeros(num_classes, s.shape[1], dtype=torch.float64).index_add_(0, labels, s)
    counts = torch.bincount(labels, minlength=num_classes).to(torch.float64)
    prototypes = sums / counts.clamp(min=1).unsqueeze(1)
    scores = q @ prototypes.T
    scores[:, counts == 0] = float("-inf")
    return scores.numpy()


def unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def prototype_cosines(
    query: np.ndarray, support: np.ndarray, support_labels: np.ndarray, num_classes: int
) -> np.ndarray:
    """Scores [Q, C]: cosine of each query with the mean of each class's support clips; 0 for a
    class without support (no evidence either way, so a sum with other scores keeps theirs)."""
    sums = np.zeros((num_classes, support.shape[1]))
    np.add.at(sums, support_labels, np.asarray(support, np.float64))
    return unit_rows(np.asarray(query, np.float64)) @ unit_rows(sums).T


def knn_neighbours(support_size: int) -> int:
    """The paper's n_neighbors = round(sqrt(N)), at least 1."""
    return max(1, round(support_size**0.5))


def standardise(support: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both sets z-scored with the support set's per-dimension mean and std (std 0 -> 1)."""
    mean = support.mean(axis=0)
    std = support.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    return (support - mean) / std, (query - mean) / std


def knn_scores(
    query: np.ndarray, support: np.ndarray, support_labels: np.ndarray, num_classes: int
) -> np.ndarray:
    """Scores [Q, C]: votes among the round(sqrt(N)) nearest standardised support clips, plus a
    tie-break in (0, 0.5] that grows as the class's nearest support clip gets closer."""
    s, q = standardise(np.asarray(support, np.float64), np.asarray(query, np.float64))
    distances = torch.cdist(torch.from_numpy(q), torch.from_numpy(s))  # [Q, N]
    labels = torch.as_tensor(support_labels, dtype=torch.long)
    n = knn_neighbours(len(labels))
    # Stable sort: among equally distant clips the earlier support row wins, as a loop would.
    nearest = torch.sort(distances, dim=1, stable=True).indices[:, :n]
    votes = torch.zeros(len(q), num_classes, dtype=torch.float64)
    votes.scatter_add_(1, labels[nearest], torch.ones(nearest.shape, dtype=torch.float64))
    closest = torch.full((len(q), num_classes), float("inf"), dtype=torch.float64)
    closest.scatter_reduce_(1, labels.expand(len(q), -1), distances, reduce="amin")
    scores = votes + 0.5 / (1.0 + closest)
    scores[:, torch.bincount(labels, minlength=num_classes) == 0] = float("-inf")
    return scores.numpy()
