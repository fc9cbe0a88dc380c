"""The `.pose` side of an import: check one clip's recording, cut it, write it atomically.

Shared by the layouts whose clips are `.pose` files named by clip id in a `--poses` folder (made
from the dataset's videos by `signclip pose`): WLASL and Sem-Lex. Such files are already in the
project's coordinates (pixels of the frame); this module only makes sure each clip is usable:

- a missing file is `missing-pose`; one that cannot be parsed is `unreadable-file`, or
  `empty-sequence` when it has no frames;
- a point with a non-finite coordinate becomes missing (confidence 0, masked, stored as 0), so a
  written file never holds NaN; the clip is then written as a cleaned copy;
- frames without any detected point are reported as `checks.frames_usable` does (`empty-frames`,
  or `nan-only-frames` when the recording held NaN; kept as frames of missing points), and a
  clip without any detected point is `empty-sequence` (left out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pose_format import Pose
from pose_format.numpy import NumPyPoseBody

from signclip.data.formats.checks import frames_usable
from signclip.data.formats.report import ImportReport, Problem, map_with_reports
from signclip.data.manifest import ClipRecord
from signclip.errors import PoseFileError
from signclip.pose.convention import empty_frames, write_pose_atomically
from signclip.pose.io import read_pose


@dataclass(frozen=True)
class ClipJob:
    """The arguments of one `import_pose_clip` call."""

    source: Path
    target: Path
    item: str
    first: int = 0
    stop: int | None = None


def import_pose_clips(
    jobs: Sequence[ClipJob],
    report: ImportReport,
    workers: int = 0,
    progress: bool = True,
    desc: str = "poses",
) -> list[Path | None]:
    """`import_pose_clip` for every job, in worker processes (0: all cores), in job order; the
    problems land in `report` in that order too."""
    return map_with_reports(_run, jobs, report, workers, progress, desc)


def usable_records(
    labels: Iterable[tuple[str, str, str, str | None]],
    paths: Sequence[Path | None],
    spoken_language: str,
    sign_language: str,
) -> list[ClipRecord]:
    """Records of the clips whose pose file is usable. `labels` holds (clip id, text, split,
    signer) in the order of `paths`, where None marks a clip `import_pose_clips` reported."""
    return [
        ClipRecord(clip_id, path.absolute(), text, spoken_language, sign_language, split, signer)
        for (clip_id, text, split, signer), path in zip(labels, paths, strict=True)
        if path is not None
    ]


def _run(job: ClipJob) -> tuple[Path | None, list[Problem]]:
    # A report of its own: this may run in another process.
    report = ImportReport("", "")
    path = import_pose_clip(job.source, job.target, job.item, report, job.first, job.stop)
    return path, report.problems


def import_pose_clip(
    source: Path,
    target: Path,
    item: str,
    report: ImportReport,
    first: int = 0,
    stop: int | None = None,
) -> Path | None:
    """The pose file a manifest row should name for frames [first, stop) of `source`, or None
    after reporting why the clip cannot be used.

    The source itself when it is usable as it is (the whole recording, no NaN); otherwise the cut
    or cleaned clip is written to `target`. The source is always read and checked again: it is
    a `.pose` file, cheap to read, so a rerun reports what the first run did and honours changed
    frame ranges, and `target` may be the source itself.
    `stop` None means to the end; a `stop` past the end is clamped to it (as slicing does).
    """
    pose = read_source(source, item, report)
    if pose is None:
        return None
    total = pose.body.data.shape[0]
    end = total if stop is None else min(stop, total)
    if first >= end:
        wanted = f"{first + 1}-{'end' if stop is None else stop}"
        report.add(
            "bad-frame-range", item, f"frames {wanted} (1-based) but {source} has {total} frames"
        )
        return None
    whole = pose if (first, end) == (0, total) else cut(pose, first, end)
    clip = without_nan(whole)
    empty = empty_frames(np.ma.getdata(clip.body.confidence))
    kind = "empty-frames" if clip is whole else "nan-only-frames"
    if not frames_usable(empty, item, report, f"{source} frames {first + 1}-{end}", kind):
        return None
    if clip is pose:
        return source
    write_pose_atomically(clip, target)
    return target


def read_source(path: Path, item: str, report: ImportReport) -> Pose | None:
    """The clip's recording, or None after reporting why it cannot be used."""
    if not path.is_file():
        report.add("missing-pose", item, f"no pose file {path}")
        return None
    try:
        return read_pose(path)
    except PoseFileError as exc:
        # read_pose refuses a file without frames like a corrupt one; the report tells them apart.
        kind = "empty-sequence" if str(exc).endswith(": zero frames") else "unreadable-file"
        report.add(kind, item, str(exc))
        return None


def without_nan(pose: Pose) -> Pose:
    """The pose with every point that has a non-finite coordinate or confidence made missing
    (confidence 0, masked, stored as 0); the pose itself when it holds no such value."""
    data = np.ma.getdata(pose.body.data)
    confidence = np.ma.getdata(pose.body.confidence)
    bad = ~np.isfinite(data).all(axis=-1) | ~np.isfinite(confidence)
    if not bad.any():
        return pose
    confidence = np.where(bad, 0, confidence).astype(np.float32)
    data = np.where(bad[..., None], 0, data).astype(np.float32)
    return _with_arrays(pose, data, confidence)


def cut(pose: Pose, start: int, stop: int) -> Pose:
    """Frames [start, stop) (0-based) of the pose, as a new pose with the same header."""
    data = np.ma.getdata(pose.body.data)[start:stop]
    confidence = np.ma.getdata(pose.body.confidence)[start:stop]
    return _with_arrays(pose, data, confidence)


def _with_arrays(pose: Pose, data: np.ndarray, confidence: np.ndarray) -> Pose:
    data = np.ascontiguousarray(data, dtype=np.float32)
    confidence = np.ascontiguousarray(confidence, dtype=np.float32)
    # pose-format's convention: a point with confidence 0 is masked in every coordinate.
    mask = np.repeat((confidence == 0)[..., None], data.shape[-1], axis=-1)
    body = NumPyPoseBody(
        fps=pose.body.fps, data=np.ma.masked_array(data, mask), confidence=confidence
    )
    return Pose(pose.header, body)
