"""An ordered map over a process pool, shared by the cache builder and the dictionary generator."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import Pool
from typing import Any


@contextlib.contextmanager
def ordered_map(
    job: Callable[[Any], Any], items: Sequence[Any], workers: int, max_chunk: int = 16
) -> Iterator[Iterator[Any]]:
    """`job(item)` for every item, in order, in this process or a pool of `workers` (0: all
    cores); leaving the block stops the workers."""
    workers = min(workers or os.cpu_count() or 1, len(items))
    if workers <= 1:
        yield map(job, items)
        return
    # Chunks amortise pickling; small enough that every worker stays busy to the end.
    chunksize = max(1, min(max_chunk, len(items) // (workers * 8)))
    with Pool(workers) as pool:
        yield pool.imap(job, items, chunksize=chunksize)
