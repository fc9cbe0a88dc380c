"""Records whose `.pose` files are used where they are: keep those whose file is usable.

Each file is checked by `clip_poses` (missing, unreadable, empty, NaN cleaned into a copy under
`OUT/poses/`), in worker processes: parsing every file is the slow part of such an import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from signclip.data.formats.clip_poses import ClipJob, import_pose_clips
from signclip.data.formats.report import ImportReport
from signclip.data.manifest import ClipRecord


def usable_clips(
    records: Sequence[ClipRecord],
    out: Path,
    report: ImportReport,
    workers: int = 0,
    progress: bool = True,
) -> list[ClipRecord]:
    """The records whose `.pose` file is usable, each naming the file to read (the original, or
    its cleaned copy `out/poses/<id>.pose`); every other one is reported and left out."""
    jobs = [ClipJob(r.pose_path, out / "poses" / f"{r.clip_id}.pose", r.clip_id) for r in records]
    paths = import_pose_clips(jobs, report, workers, progress, desc="pose files")
    return [
        replace(record, pose_path=path.absolute())
        for record, path in zip(records, paths, strict=True)
        if path is not None
    ]
