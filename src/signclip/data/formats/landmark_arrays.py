"""Landmark arrays: one `.npy` per clip, in a declared point layout, listed in a CSV or JSONL table.

SOURCE is the table; array paths in it are relative to the table's folder (or absolute):

    my-dataset/
      clips.csv
      arrays/hello-1.npy

    id,array,text,sign_language,split,signer
    hello-1,arrays/hello-1.npy,hello,ase,train,anna

    {"array": "arrays/hello-1.npy", "text": "hello", "sign_language": "ase"}    (clips.jsonl)

Columns (JSONL: keys) as in `pose-folder`, with `array` in place of `pose`: `array` and `text` are
required; `id` (default: the array file's name without `.npy`), `sign_language` (default
`--sign-language`), `spoken_language` (default `--spoken-language`, en), `signer` (default
unknown) and `split` (train, dev, val, validation or test; default: the general split options,
by signer when known) are optional.

Every array is float [frames, ...] in the `--layout` it declares, x and y in [0, 1] of the video
frame, z MediaPipe's relative depth:
- `hands`: MediaPipe Hands, [T, 2, 21, 3] or [T, 42, 3]: two hand slots in detection order,
  assigned to the signer's left and right hand by `handedness` (`--hand-slots left-right` or
  `right-left` when the slots already are sides), written with `convention.hands_header`;
- `holistic-543`, `holistic-553`, `holistic-576`, `holistic-586`: MediaPipe Holistic [T, K, 3]
  in pose-format's component order, the order of its `.pose` files (`components.py` and
  `convention.HOLISTIC_COMPONENTS`): pose 33, face 468 (478 with the 10 refined iris points:
  553, 586), left hand 21, right hand 21, then the pose's world landmarks 33 (576, 586). Written
  with the 543-point `convention.holistic_header`: iris points and world landmarks (metres
  around the hips, not frame coordinates) are left out.

A point is missing (stored 0 with confidence 0) when a coordinate is not finite, or when all its
coordinates are exactly 0 or exactly -1: the placeholders extraction scripts write for an
undetected hand or body.

Each clip becomes `OUT/poses/<id>.pose` in the stored convention (`signclip.pose.convention`):
x times the frame width, y times the frame height, z as given. Arrays in [0, 1] do not tell the
frame's size: `--frame-size WxH` (default 1000x1000) should be the videos' size, because a wrong
aspect ratio stretches every clip's horizontal distances against its vertical ones, which no
normalisation undoes (a square default turns a 16:9 video's hands 16:9 too narrow); the scale
itself is removed by normalisation, except z under `pose.depth: pixels`. `--fps` (default 25)
because arrays store no frame rate. A rerun reuses each converted file with the same frame size,
frame rate, frame count and point count (after changing `--hand-slots`, use a new OUT).

Problems (the clip is left out unless said otherwise): `malformed-row` (a required value missing,
an id that cannot name a file, an unknown split, an unreadable JSONL line), `duplicate-id` (the
first is kept), `missing-file`, `unreadable-file` (not a `.npy` array), `malformed-array` (not
floating point, or a frame shape the layout does not have), `bad-frame-range` (a cut that starts
past the last frame), `empty-sequence` (zero frames, or no point in any frame), `empty-frames`
(frames with no point: kept as frames of missing points, so the timing stays true).

The conversion (`ArrayJob`, `convert_arrays`) serves `wlasl_landmarks` too.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from pose_format.pose_header import PoseHeader

from signclip.data.formats.checks import frames_usable
from signclip.data.formats.handedness import assign_hands
from signclip.data.formats.pose_folder import table_record
from signclip.data.formats.report import ImportReport, Problem, map_with_reports
from signclip.data.formats.splits import split_rule
from signclip.data.formats.tables import clip_rows
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError
from signclip.pose import convention
from signclip.pose.components import BODY_POINTS, HAND_POINTS

LAYOUT = "landmark-arrays"
HELP = "one landmark .npy array per clip (MediaPipe Hands or Holistic) and a CSV/JSONL table"
# The general split options apply to rows without a split (see `splits`).
GENERAL_SPLITS = True
REQUIRED = ("array", "text")
DEFAULT_FRAME_SIZE = "1000x1000"
DEFAULT_FPS = 25.0
HANDS = "hands"
# Holistic layouts: points per frame and face points (468, or 478 with the refined iris).
HOLISTIC = {
    "holistic-543": (543, 468),
    "holistic-553": (553, 478),
    "holistic-576": (576, 468),
    "holistic-586": (586, 478),
}
POINT_LAYOUTS = (HANDS, *HOLISTIC)
HAND_SLOTS = ("detection", "left-right", "right-left")
_HAND_SHAPES = ((2, len(HAND_POINTS), 3), (2 * len(HAND_POINTS), 3))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--layout", required=True, choices=POINT_LAYOUTS, help="what each array's frames hold"
    )
    parser.add_argument(
        "--hand-slots",
        choices=HAND_SLOTS,
        default="detection",
        help="layout hands: the slots are in detection order (default; sides assigned from the "
        "hands' positions) or already the signer's left and right hands in this order",
    )
    parser.add_argument(
        "--sign-language", help="sign language of rows without one (required without the column)"
    )
    parser.add_argument(
        "--spoken-language", default="en", help="text language of rows without one (default en)"
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=DEFAULT_FPS,
        help=f"frame rate (default {DEFAULT_FPS:g}: arrays do not store one)",
    )
    add_conversion_arguments(parser)


def add_conversion_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every array layout shares but the frame rate: frame size and workers."""
    parser.add_argument(
        "--frame-size",
        default=DEFAULT_FRAME_SIZE,
        help=f"WIDTHxHEIGHT of the videos in pixels (default {DEFAULT_FRAME_SIZE}: arrays in "
        "[0, 1] do not store it, and a wrong aspect ratio distorts every clip)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes converting arrays (0: all cores)"
    )


def checked_fps(value: float) -> float:
    if not (np.isfinite(value) and value > 0):
        raise ConfigError(f"--fps {value}: must be a positive number")
    return float(value)


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    width, height = convention.parse_frame_size(args.frame_size)
    fps = checked_fps(args.fps)
    rule = split_rule(args)
    records, jobs, seen = [], [], {}
    for line, row in clip_rows(source, report, REQUIRED, args.sign_language, "arrays and texts"):
        where = f"{source.name} line {line}"
        parsed = _record(row, source.parent, out, args, where, report)
        if parsed is None:
            continue
        record, array = parsed
        if record.clip_id in seen:
            report.add("duplicate-id", record.clip_id, f"{where}; first at {seen[record.clip_id]}")
            continue
        seen[record.clip_id] = where
        records.append(record if record.split else replace(record, split=rule(record)))
        job = ArrayJob(record.clip_id, array, record.pose_path, args.layout, width, height, fps)
        jobs.append(replace(job, hand_slots=args.hand_slots))
    usable = convert_arrays(jobs, report, args.workers, not args.no_progress)
    return [r for r, ok in zip(records, usable, strict=True) if ok]


@dataclass(frozen=True)
class ArrayJob:
    """One array to convert into a `.pose` file (picklable, for the worker processes)."""

    clip_id: str
    array: Path
    target: Path
    layout: str
    width: int
    height: int
    fps: float
    first: int = 0  # frames [first, stop) of the array, 0-based; stop None = to the end
    stop: int | None = None
    hand_slots: str = "detection"


def convert_arrays(
    jobs: Sequence[ArrayJob], report: ImportReport, workers: int = 0, progress: bool = True
) -> list[bool]:
    """`convert_array` for every job in worker processes (0: all cores); whether each clip is
    usable, in job order, with the problems added to `report` in that order too."""
    return map_with_reports(convert_array, jobs, report, workers, progress, desc="arrays")


def convert_array(job: ArrayJob) -> tuple[bool, list[Problem]]:
    """Write `job.target` unless an earlier run did; (whether the clip is usable, its problems).

    Runs in worker processes, so it reports into a report of its own.
    """
    report = ImportReport(LAYOUT, str(job.array))
    values = read_array(job, report)
    if values is None:
        return False, report.problems
    where = str(job.array)
    reused = convention.reusable_pose(job.target, job.width, job.height, job.fps)
    if reused is not None and reused.shape == (len(values), _written_points(job.layout)):
        empty = convention.empty_frames(reused)
        return frames_usable(empty, job.clip_id, report, where), report.problems
    normalised = layout_points(mark_missing(values), job.layout, job.hand_slots)
    xyz, confidence = convention.to_stored(normalised, job.width, job.height)
    if not frames_usable(convention.empty_frames(confidence), job.clip_id, report, where):
        return False, report.problems
    header = _header(job.layout, job.width, job.height)
    pose = convention.make_pose(xyz, confidence, job.fps, header)
    convention.write_pose_atomically(pose, job.target)
    return True, report.problems


def read_array(job: ArrayJob, report: ImportReport) -> np.ndarray | None:
    """Frames [first, stop) of the job's array, checked against its layout; None if reported."""
    path, item = job.array, job.clip_id
    if not path.is_file():
        report.add("missing-file", item, f"no array file {path}")
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        detail = " ".join(str(exc).split())[:200]
        report.add("unreadable-file", item, f"{path}: not a .npy array ({detail})")
        return None
    if not isinstance(array, np.ndarray):  # an .npz archive of several arrays
        array.close()
        report.add("unreadable-file", item, f"{path}: an archive of arrays, not one .npy array")
        return None
    problem = _shape_problem(array, job.layout)
    if problem:
        report.add("malformed-array", item, f"{path}: {problem}")
        return None
    if len(array) == 0:
        report.add("empty-sequence", item, f"{path}: zero frames")
        return None
    if job.first >= len(array):
        wanted = f"{job.first + 1}-{'end' if job.stop is None else job.stop}"
        report.add(
            "bad-frame-range", item, f"frames {wanted} (1-based) but {path} has {len(array)}"
        )
        return None
    return array[job.first : job.stop]


def mark_missing(values: np.ndarray) -> np.ndarray:
    """float64 copy with every missing point NaN: a non-finite coordinate, or all coordinates
    exactly 0 or exactly -1 (extraction scripts' placeholders for an undetected part)."""
    values = np.array(values, dtype=np.float64)
    placeholder = (values == 0).all(axis=-1) | (values == -1).all(axis=-1)
    values[placeholder | ~np.isfinite(values).all(axis=-1)] = np.nan
    return values


def layout_points(values: np.ndarray, layout: str, hand_slots: str = "detection") -> np.ndarray:
    """[T, K, 3] points of the written header (hands: left then right; holistic: the 543) from
    an array of `layout` with NaN where missing."""
    if layout == HANDS:
        slots = values.reshape(len(values), 2, len(HAND_POINTS), 3)
        if hand_slots == "detection":
            slots = assign_hands(slots)
        elif hand_slots == "right-left":
            slots = slots[:, ::-1]
        return slots.reshape(len(values), -1, 3)
    return values[:, _holistic_points(HOLISTIC[layout][1])]


def _holistic_points(face: int) -> np.ndarray:
    """Indices of the 543 written points in a Holistic frame whose face has `face` points."""
    body, hands = len(BODY_POINTS), 2 * len(HAND_POINTS)
    first_hand = body + face
    return np.r_[0 : body + len(convention.FACE_POINTS), first_hand : first_hand + hands]


def _shape_problem(array: np.ndarray, layout: str) -> str:
    if array.dtype.kind != "f":
        return f"dtype {array.dtype}, expected floating point"
    shapes = _HAND_SHAPES if layout == HANDS else ((HOLISTIC[layout][0], 3),)
    if array.ndim >= 2 and array.shape[1:] in shapes:
        return ""
    expected = " or ".join(str(list(("frames", *s))).replace("'", "") for s in shapes)
    return f"shape {list(array.shape)}, expected {expected} for layout {layout}"


def _written_points(layout: str) -> int:
    components = convention.HANDS_COMPONENTS if layout == HANDS else convention.HOLISTIC_COMPONENTS
    return sum(len(points) for _, points in components)


def _header(layout: str, width: int, height: int) -> PoseHeader:
    if layout == HANDS:
        return convention.hands_header(width, height)
    return convention.holistic_header(width, height)


def _record(
    row: dict, folder: Path, out: Path, args: argparse.Namespace, where: str, report: ImportReport
) -> tuple[ClipRecord, Path] | None:
    """The clip's record (naming its converted file) and its array's path; None if reported."""
    source = table_record(row, "array", folder, args, where, report)
    if source is None:
        return None
    converted = (out / "poses" / f"{source.clip_id}.pose").absolute()
    return replace(source, pose_path=converted), source.pose_path
