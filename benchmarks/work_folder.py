"""Where a benchmark keeps its imports, caches and runs: a folder the user names, which a later
run reuses, or a temporary one removed at the end."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path


def in_work_folder(work: Path | None, prefix: str, run: Callable[[Path], None]) -> None:
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        run(work)
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        run(Path(folder))
