"""Import How2Sign at sentence level: the realigned sentence CSV plus OpenPose JSON keypoints.

SOURCE is one split's realigned sentence file, e.g. `how2sign_realigned_val.csv`, whose keypoints
are the same split's `<split>_2D_keypoints` archive, unpacked (`--keypoints DIR`, default:
`<split>_2D_keypoints` beside the CSV file); or a folder that holds several splits' files side by
side, all imported into one manifest (`--keypoints DIR` then names the folder that holds the
`<split>_2D_keypoints` folders, default SOURCE itself):

    how2sign_realigned_val.csv
    val_2D_keypoints/
      openpose_output/
        json/
          -d5dN54tH2E_0-1-rgb_front/
            -d5dN54tH2E_0-1-rgb_front_000000000000_keypoints.json
            -d5dN54tH2E_0-1-rgb_front_000000000001_keypoints.json
            ...

For a single CSV file, `--keypoints` may name the `<split>_2D_keypoints` folder or its
`openpose_output/json` folder.

The CSV is tab-separated with a header row; fields are split at tabs only (no quoting, since
sentences contain quotation marks):

    VIDEO_ID  VIDEO_NAME  SENTENCE_ID  SENTENCE_NAME  START_REALIGNED  END_REALIGNED  SENTENCE
    -d5dN54tH2E  -d5dN54tH2E-1-rgb_front  -d5dN54tH2E_0  -d5dN54tH2E_0-1-rgb_front  0.0  5.69  ...

- `SENTENCE_NAME`: the clip id, and the keypoint folder's name;
- `SENTENCE`: the clip's text (English translation of American Sign Language: en, ase);
- the split: from the file name's last word (train / val / test become train / dev / test), or
  `--split NAME` for a single file;
- `VIDEO_ID`, `VIDEO_NAME`, `SENTENCE_ID` and the realigned times are not used: each keypoint
  folder holds the frames of one distributed sentence clip, and the times (seconds into the
  whole video) cannot be applied to a clip. How2Sign names no signer.

Each sentence's frames are converted into `OUT/poses/<SENTENCE_NAME>.pose` in pose-format's
OpenPose layout (see `openpose_json`: x, y in pixels of the `--frame-size` frame, default
1280x720, the videos' size; `--fps`, default 24, the videos' rate). Train on these files with
`pose.preset=openpose-body-hands`; the MediaPipe presets refuse them. A complete file from an
earlier run with the same frame size and rate is reused (and checked again).

Problems reported (the sentence is left out unless said otherwise): `malformed-row` (a row with
more or fewer fields than the header, or an empty name or sentence), `duplicate-id` (a name seen
before, in any of the files: the first row is kept), `missing-pose` (no keypoint folder),
`malformed-json` (a frame file that is not OpenPose JSON, or misnumbered frames),
`empty-sequence` (no frame files, or no point detected in any frame); kept: `missing-frames`
(numbers without a file) and `empty-frames` (frames without anyone detected), both stored as
frames of missing points.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from signclip.data.formats.checks import file_safe, frames_usable
from signclip.data.formats.openpose_json import (
    NoFramesError,
    OpenPoseJsonError,
    load_openpose_folder,
)
from signclip.data.formats.report import ImportReport, Problem, map_with_reports
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError
from signclip.pose.convention import (
    empty_frames,
    parse_frame_size,
    reusable_pose,
    write_pose_atomically,
)

LAYOUT = "how2sign"
HELP = "How2Sign sentences: how2sign_realigned_<split>.csv (or a folder of them) + OpenPose JSON"
REQUIRED = ("SENTENCE_NAME", "SENTENCE")
SPLITS = {"train": "train", "val": "dev", "test": "test"}
DEFAULT_FRAME_SIZE = "1280x720"
DEFAULT_FPS = 24.0


@dataclass(frozen=True)
class Sentence:
    name: str
    text: str
    split: str


@dataclass(frozen=True)
class Conversion:
    """One sentence's keypoint folder to its `.pose` file."""

    folder: Path
    target: Path
    name: str
    fps: float
    width: int
    height: int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keypoints",
        type=Path,
        help="for a CSV file: its unpacked <split>_2D_keypoints folder (or that folder's "
        "openpose_output/json), default: beside the file; for a folder of CSV files: the folder "
        "holding the <split>_2D_keypoints folders, default: SOURCE",
    )
    parser.add_argument(
        "--split",
        choices=("train", "dev", "test"),
        help="for a CSV file: the split of every sentence (default: from the file's name)",
    )
    parser.add_argument(
        "--frame-size",
        default=DEFAULT_FRAME_SIZE,
        help=f"the videos' WIDTHxHEIGHT in pixels (default {DEFAULT_FRAME_SIZE})",
    )
    parser.add_argument(
        "--fps",
        type=float,
        default=DEFAULT_FPS,
        help=f"the videos' frame rate (default {DEFAULT_FPS:g})",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes converting sentences (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    width, height = parse_frame_size(args.frame_size)
    if not (args.fps > 0 and np.isfinite(args.fps)):
        raise ConfigError(f"--fps {args.fps}: must be a positive number")
    sentences: list[Sentence] = []
    jobs: list[Conversion] = []
    seen: dict[str, str] = {}
    for csv_path, split, json_root in split_files(Path(source), args.split, args.keypoints):
        for s in read_sentences(csv_path, split, report, seen):
            sentences.append(s)
            target = out / "poses" / f"{s.name}.pose"
            jobs.append(Conversion(json_root / s.name, target, s.name, args.fps, width, height))
    progress = not getattr(args, "no_progress", False)
    converted = map_with_reports(convert, jobs, report, args.workers, progress, desc="how2sign")
    return [
        ClipRecord(
            clip_id=sentence.name,
            pose_path=job.target.absolute(),
            text=sentence.text,
            spoken_language="en",
            sign_language="ase",
            split=sentence.split,
        )
        for sentence, job, ok in zip(sentences, jobs, converted, strict=True)
        if ok
    ]


def split_files(
    source: Path, split: str | None, keypoints: Path | None
) -> list[tuple[Path, str, Path]]:
    """(CSV file, split, folder of its sentences' keypoint folders) for each file of SOURCE."""
    if not source.is_dir():
        default = source.parent / f"{_split_word(source)}_2D_keypoints"
        return [(source, split or split_from_name(source), keypoint_folder(keypoints or default))]
    if split:
        raise ConfigError(f"--split {split}: SOURCE {source} is a folder of splits, not one file")
    found = [(w, source / f"how2sign_realigned_{w}.csv") for w in SPLITS]
    found = [(w, path) for w, path in found if path.is_file()]
    if not found:
        raise ManifestError(
            f"How2Sign {source}: no how2sign_realigned_<train|val|test>.csv in the folder"
        )
    base = keypoints or source
    return [(path, SPLITS[w], keypoint_folder(base / f"{w}_2D_keypoints")) for w, path in found]


def split_from_name(csv_path: Path) -> str:
    """train / dev / test from `how2sign_realigned_<train|val|test>.csv`."""
    word = _split_word(csv_path)
    if word not in SPLITS:
        raise ConfigError(
            f"{csv_path.name}: the name ends in no split (train, val or test); give --split"
        )
    return SPLITS[word]


def keypoint_folder(folder: Path) -> Path:
    """The folder of per-sentence JSON folders: DIR/openpose_output/json when it exists."""
    nested = folder / "openpose_output" / "json"
    root = nested if nested.is_dir() else folder
    if not root.is_dir():
        raise ManifestError(f"How2Sign keypoints {folder}: no such folder (give --keypoints)")
    return root


def read_sentences(
    csv_path: Path, split: str, report: ImportReport, seen: dict[str, str]
) -> list[Sentence]:
    """Every usable row in file order; the others are reported. `seen` (name -> where) carries
    the names of earlier files, so that a name repeated in another file is a duplicate too."""
    sentences: list[Sentence] = []
    for line, fields in _tsv_rows(csv_path):
        where = f"{csv_path.name} line {line}"
        if None in fields or None in fields.values():
            report.add("malformed-row", where, "the number of fields differs from the header's")
            continue
        name, text = fields["SENTENCE_NAME"].strip(), fields["SENTENCE"].strip()
        if not file_safe(name):
            report.add("malformed-row", where, f"SENTENCE_NAME {name!r} cannot name a folder")
            continue
        if not text:
            report.add("malformed-row", where, f"{name}: empty SENTENCE")
            continue
        if name in seen:
            report.add("duplicate-id", name, f"{where}; first at {seen[name]}")
            continue
        seen[name] = where
        sentences.append(Sentence(name, text, split))
    return sentences


def convert(job: Conversion) -> tuple[bool, list[Problem]]:
    """Write the sentence's `.pose` (or reuse a complete one): (usable, its problems)."""
    # A report of its own: this may run in another process.
    report = ImportReport("", "")
    reused = reusable_pose(job.target, job.width, job.height, job.fps)
    if reused is None:
        return _convert(job, report), report.problems
    # A kept file is checked like a new one, so a rerun reports what the first run did.
    usable = frames_usable(empty_frames(reused), job.name, report, str(job.folder))
    return usable, report.problems


def _convert(job: Conversion, report: ImportReport) -> bool:
    folder, name = job.folder, job.name
    if not folder.is_dir():
        report.add("missing-pose", name, f"no keypoint folder {folder}")
        return False
    try:
        clip = load_openpose_folder(folder, job.fps, job.width, job.height)
    except NoFramesError as exc:
        report.add("empty-sequence", name, str(exc))
        return False
    except OpenPoseJsonError as exc:
        report.add("malformed-json", name, str(exc))
        return False
    if clip.absent.any():
        report.add(
            "missing-frames",
            name,
            f"{int(clip.absent.sum())} of {len(clip.absent)} frame numbers have no file "
            "(kept as frames of missing points)",
        )
    empty = empty_frames(np.ma.getdata(clip.pose.body.confidence))
    # Absent frames were reported above; the empty-frame count covers the files only.
    if not frames_usable(empty[~clip.absent], name, report, str(folder)):
        return False
    write_pose_atomically(clip.pose, job.target)
    return True


def _split_word(csv_path: Path) -> str:
    return csv_path.stem.rsplit("_", 1)[-1]


def _tsv_rows(csv_path: Path) -> Iterator[tuple[int, dict]]:
    with open_table(csv_path, "How2Sign sentences") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        try:
            columns = reader.fieldnames or []
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise ManifestError(
                    f"How2Sign sentences {csv_path} line 1: missing column {missing[0]!r} "
                    f"(columns: {', '.join(columns[:8]) or 'none'}; tab-separated)"
                )
            for fields in reader:
                yield reader.line_num, fields
        except UnicodeDecodeError as exc:
            raise ManifestError(f"How2Sign sentences {csv_path}: not UTF-8 ({exc})") from None
