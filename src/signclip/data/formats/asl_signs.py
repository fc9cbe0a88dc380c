"""Kaggle's Google Isolated Sign Language Recognition data ("asl-signs"): landmarks in parquet.

SOURCE is the competition folder (or its `train.csv`):

    asl-signs/
      train.csv
      sign_to_prediction_index_map.json      (optional: the 250 signs)
      train_landmark_files/
        26734/1000035562.parquet
        ...

    path,participant_id,sequence_id,sign
    train_landmark_files/26734/1000035562.parquet,26734,1000035562,blow

`path` is relative to the folder of `train.csv`. Each parquet file is one sequence with one row
per (frame, landmark): columns `frame`, `row_id` (e.g. "20-face-0"), `type` (face, left_hand,
pose, right_hand), `landmark_index`, `x`, `y`, `z`. There are 543 landmarks per frame (face 468,
left_hand 21, pose 33, right_hand 21), the output of MediaPipe Holistic: x and y in [0, 1] of the
frame, z MediaPipe's relative depth, NaN where nothing was detected (a whole hand, usually).

Each sequence becomes `OUT/poses/<sequence_id>.pose` in the Holistic layout of
`signclip.pose.convention` (POSE_LANDMARKS, FACE_LANDMARKS, LEFT_HAND_LANDMARKS,
RIGHT_HAND_LANDMARKS; 543 points): x times the frame width, y times the frame height, z as given
(as pose-format stores MediaPipe output), NaN points missing (0, confidence 0). The dataset gives
no frame size: `--frame-size WxH` (default 1000x1000, pose-format's own default for Holistic;
shoulder normalisation removes the scale, so only the aspect ratio matters to the features,
except under `pose.depth: pixels`, which scales z by the width) and `--fps` (default 30). Frame
numbers are taken as they are: the first frame of the file is the first frame of the clip, and a
number missing in between becomes a frame of missing points. A rerun reuses each converted file
made with the same frame size and frame rate (and reports the frames of missing points it shows;
rows left out of it were reported by the run that converted it).

Records: id = `sequence_id`, text = `sign`, signer = `participant_id`, languages `--spoken-language`
(default en) and `--sign-language` (default ase). The dataset has no splits: the general split
options draw them by participant, so no signer is in two splits.

Problems (the clip is left out unless said otherwise): `malformed-row` (a row of train.csv with an
empty field or an id that cannot name a file), `duplicate-id` (the first is kept),
`unknown-label` (a sign missing from sign_to_prediction_index_map.json, when that file exists),
`missing-file`, `unreadable-file` (not parquet, or columns missing), `malformed-landmarks`
(rows with an unknown type or landmark index, or no frame number: those rows are left out, the
clip is kept), `empty-sequence` (no rows, or every value NaN), `nan-only-frames` (frames where
every point is NaN: kept as frames of missing points, so the timing stays true).

Reading parquet needs pyarrow (`pip install 'signclip[kaggle]'`).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.data.formats.checks import file_safe, first_of_each_id, frames_usable
from signclip.data.formats.report import ImportReport, Problem, map_with_reports
from signclip.data.formats.splits import assign_splits, split_rule
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError, SignclipError
from signclip.pose import convention

LAYOUT = "asl-signs"
HELP = "Kaggle asl-signs (Google ISLR): train.csv and one landmark parquet per sequence"
# The general split options apply (see `splits`).
GENERAL_SPLITS = True
INDEX = "train.csv"
LABELS = "sign_to_prediction_index_map.json"
COLUMNS = ("path", "participant_id", "sequence_id", "sign")
PARQUET_COLUMNS = ("frame", "type", "landmark_index", "x", "y", "z")
DEFAULT_FRAME_SIZE = "1000x1000"
DEFAULT_FPS = 30.0


def _component_offsets() -> dict[str, tuple[int, int]]:
    """Component name -> (its first point in the Holistic layout, its point count)."""
    offsets, start = {}, 0
    for component, points in convention.HOLISTIC_COMPONENTS:
        offsets[component] = (start, len(points))
        start += len(points)
    return offsets


_OFFSETS = _component_offsets()
# Kaggle's landmark types -> (first point, point count) in the layout of the written files.
TYPES = {
    "pose": _OFFSETS["POSE_LANDMARKS"],
    "face": _OFFSETS["FACE_LANDMARKS"],
    "left_hand": _OFFSETS["LEFT_HAND_LANDMARKS"],
    "right_hand": _OFFSETS["RIGHT_HAND_LANDMARKS"],
}
NUM_POINTS = sum(n for _, n in _OFFSETS.values())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--frame-size",
        default=DEFAULT_FRAME_SIZE,
        help=f"WIDTHxHEIGHT of the recordings in pixels (default {DEFAULT_FRAME_SIZE})",
    )
    parser.add_argument(
        "--fps", type=float, default=DEFAULT_FPS, help=f"frame rate (default {DEFAULT_FPS:g})"
    )
    parser.add_argument("--sign-language", default="ase", help="sign language code (default ase)")
    parser.add_argument("--spoken-language", default="en", help="text language (default en)")
    parser.add_argument(
        "--workers", type=int, default=0, help="processes converting sequences (0: all cores)"
    )


@dataclass(frozen=True)
class Task:
    """One sequence to convert (picklable, for the worker processes)."""

    clip_id: str
    parquet: Path
    target: Path
    width: int
    height: int
    fps: float


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    width, height = convention.parse_frame_size(args.frame_size)
    if not (np.isfinite(args.fps) and args.fps > 0):
        raise ConfigError(f"--fps {args.fps}: must be a positive number")
    rule = split_rule(args)
    index = source / INDEX if source.is_dir() else source
    labels = _labels(index.parent / LABELS)
    records, parquets = [], {}
    for line, row in _rows(index):
        where = f"{index.name} line {line}"
        record = _record(row, out, args, where, report)
        if record is None:
            continue
        if labels is not None and record.text not in labels:
            report.add("unknown-label", where, f"sign {record.text!r} is not in {LABELS}")
            continue
        records.append(record)
        parquets.setdefault(record.clip_id, index.parent / row["path"].strip())
    records = first_of_each_id(records, report)
    tasks = [
        Task(r.clip_id, parquets[r.clip_id], r.pose_path, width, height, args.fps) for r in records
    ]
    converted = _convert_all(tasks, args, report)
    return assign_splits([r for r, ok in zip(records, converted, strict=True) if ok], rule)


def _convert_all(tasks: list[Task], args: argparse.Namespace, report: ImportReport) -> list[bool]:
    return map_with_reports(
        convert_sequence, tasks, report, args.workers, not args.no_progress, desc="sequences"
    )


def convert_sequence(task: Task) -> tuple[bool, list[Problem]]:
    """Write `task.target` unless an earlier run did; (whether the clip is usable, its problems).

    Runs in worker processes, so it reports into a report of its own.
    """
    report = ImportReport(LAYOUT, str(task.parquet))
    reused = convention.reusable_pose(task.target, task.width, task.height, task.fps)
    if reused is not None:
        # The reused file shows the same frames of missing points the parquet file had.
        empty = convention.empty_frames(reused)
        usable = frames_usable(empty, task.clip_id, report, str(task.parquet), "nan-only-frames")
        return usable, report.problems
    normalised = _read_sequence(task.parquet, task.clip_id, report)
    if normalised is None:
        return False, report.problems
    xyz, confidence = convention.to_stored(normalised, task.width, task.height)
    empty = convention.empty_frames(confidence)
    if not frames_usable(empty, task.clip_id, report, str(task.parquet), "nan-only-frames"):
        return False, report.problems
    header = convention.holistic_header(task.width, task.height)
    pose = convention.make_pose(xyz, confidence, task.fps, header)
    convention.write_pose_atomically(pose, task.target)
    return True, report.problems


def _read_sequence(path: Path, item: str, report: ImportReport) -> np.ndarray | None:
    """[T, 543, 3] float64 as stored in the parquet (NaN where missing), or None if reported."""
    table = _read_table(path, item, report)
    if table is None:
        return None
    frame = _floats(table, "frame")
    values = np.stack([_floats(table, c) for c in ("x", "y", "z")], axis=-1)
    point = _point_index(table, _floats(table, "landmark_index"))
    bad = np.isnan(frame) | (point < 0)
    if bad.any():
        report.add(
            "malformed-landmarks",
            item,
            f"{path}: {int(bad.sum())} of {len(bad)} rows have an unknown type or landmark index, "
            "or no frame number (those rows are left out)",
        )
    frame, point, values = frame[~bad].astype(np.int64), point[~bad], values[~bad]
    if frame.size == 0:
        report.add("empty-sequence", item, f"{path}: no landmark rows")
        return None
    first, last = int(frame.min()), int(frame.max())
    normalised = np.full((last - first + 1, NUM_POINTS, 3), np.nan)
    normalised[frame - first, point] = values
    return normalised


def _read_table(path: Path, item: str, report: ImportReport):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise SignclipError(
            "reading asl-signs parquet files needs pyarrow: pip install 'signclip[kaggle]'"
        ) from None
    if not path.is_file():
        report.add("missing-file", item, f"{path}: no such file")
        return None
    try:
        return pq.read_table(path, columns=list(PARQUET_COLUMNS))
    except Exception as exc:  # pyarrow raises several types for corrupt files and missing columns
        detail = " ".join(str(exc).split())[:200]
        report.add("unreadable-file", item, f"{path}: not a landmark parquet file ({detail})")
        return None


def _floats(table, column: str) -> np.ndarray:
    # Nulls become NaN, so a missing value is handled like Kaggle's own NaN.
    return np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _point_index(table, landmark: np.ndarray) -> np.ndarray:
    """Flat point index in the Holistic layout per row; -1 for an unknown type or index."""
    types = np.asarray(table.column("type").to_numpy(zero_copy_only=False), dtype=object)
    start = np.full(len(types), -1, dtype=np.int64)
    count = np.zeros(len(types), dtype=np.int64)
    for name, (first, n) in TYPES.items():
        rows = types == name
        start[rows], count[rows] = first, n
    valid = (start >= 0) & (landmark >= 0) & (landmark < count) & (landmark == np.floor(landmark))
    return np.where(valid, start + np.nan_to_num(landmark).astype(np.int64), -1)


def _labels(path: Path) -> frozenset[str] | None:
    if not path.is_file():
        return None
    try:
        return frozenset(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise ManifestError(f"{path}: not a JSON object of signs ({exc})") from None


def _rows(index: Path):
    with open_table(index, f"the competition's {INDEX}") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"{index} line 1: missing column {missing[0]!r}")
        for row in reader:
            yield reader.line_num, row


def _record(
    row: dict, out: Path, args: argparse.Namespace, where: str, report: ImportReport
) -> ClipRecord | None:
    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    empty = [c for c in COLUMNS if not values[c]]
    if empty:
        report.add("malformed-row", where, f"empty {empty[0]!r}")
        return None
    clip_id = values["sequence_id"]
    if not file_safe(clip_id):
        report.add("malformed-row", where, f"sequence_id {clip_id!r} cannot name a file")
        return None
    return ClipRecord(
        clip_id=clip_id,
        pose_path=(out / "poses" / f"{clip_id}.pose").absolute(),
        text=values["sign"],
        spoken_language=args.spoken_language,
        sign_language=args.sign_language,
        split="train",  # replaced by the split rule
        signer=values["participant_id"],
    )
