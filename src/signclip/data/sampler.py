"""The order of clips in each epoch: a pure function of (seed, epoch), so resuming replays it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def epoch_batches(
    num_items: int,
    batch_size: int,
    seed: int,
    epoch: int,
    drop_last: bool = True,
    lengths: Sequence[int] | np.ndarray | None = None,
    bucket_size: int = 0,
) -> list[np.ndarray]:
    """Batches of item positions (int64) for one epoch; every item appears at most once.

    The order is a fresh permutation every epoch. With `lengths` and `bucket_size` > 0, the
    permutation is cut into runs of `bucket_size * batch_size` items, each run is sorted by length
    and cut into batches, and the batches are shuffled: clips of similar length share a batch (less
    padding), while which clips meet still changes from epoch to epoch. `drop_last` drops the one
    short batch (its items are drawn at random), so every batch has exactly `batch_size` items.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    rng = np.random.default_rng((seed, epoch))
    if lengths is not None and len(lengths) != num_items:
        raise ValueError(f"lengths has {len(lengths)} entries for {num_items} items")
    order = rng.permutation(num_items)
    if drop_last:
        # Dropped before bucketing, so the left-out items are random rather than the longest.
        order = order[: num_items - num_items % batch_size]
    bucketing = bucket_size > 0 and lengths is not None
    if bucketing:
        order = _sort_within_runs(order, np.asarray(lengths), bucket_size * batch_size)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if bucketing:
        # Sorted runs would otherwise feed short clips first and long ones last in every run.
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def _sort_within_runs(order: np.ndarray, lengths: np.ndarray, run: int) -> np.ndarray:
    # Pad to whole runs with an impossible key so one reshape sorts every run at once.
    padded = -(-len(order) // run) * run
    keys = np.full(padded, np.iinfo(np.int64).max)
    keys[: len(order)] = lengths[order]
    within = np.argsort(keys.reshape(-1, run), axis=1, kind="stable")
    positions = (within + np.arange(0, padded, run)[:, None]).ravel()
    return order[positions[positions < len(order)]]
