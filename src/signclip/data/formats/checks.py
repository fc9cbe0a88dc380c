"""Checks every importer applies to its items, each failure recorded in the `ImportReport`.

Problem kinds used here: `empty-sequence` (no point detected in any frame), `empty-frames` (some
frames with no point detected: kept, as frames of missing points, so timing stays true;
`nan-only-frames` for sources that mark missing points with NaN), `duplicate-id` (a later record
with an id already seen: the first is kept).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from signclip.data.formats.report import ImportReport
from signclip.data.manifest import ClipRecord


def frames_usable(
    empty: np.ndarray, item: str, report: ImportReport, where: str, kind: str = "empty-frames"
) -> bool:
    """Report frames with nothing detected (`empty` [T] bool) under `kind`; False (and an
    `empty-sequence`) when that is every frame."""
    if empty.all():
        report.add("empty-sequence", item, f"{where}: no point detected in any of its frames")
        return False
    if empty.any():
        report.add(
            kind,
            item,
            f"{where}: {int(empty.sum())} of {len(empty)} frames have no point detected "
            "(kept as frames of missing points)",
        )
    return True


def first_of_each_id(records: Iterable[ClipRecord], report: ImportReport) -> list[ClipRecord]:
    """Keep the first record of each id; report every later one."""
    kept: dict[str, ClipRecord] = {}
    for record in records:
        first = kept.get(record.clip_id)
        if first is None:
            kept[record.clip_id] = record
        else:
            report.add(
                "duplicate-id",
                record.clip_id,
                f"{record.pose_path} has the id of {first.pose_path} (the first is kept)",
            )
    return list(kept.values())


def file_safe(clip_id: str) -> bool:
    """Whether an id can name a file in `OUT/poses/` (no folder parts, not hidden)."""
    return bool(clip_id) and not clip_id.startswith(".") and not any(c in clip_id for c in "/\\")
