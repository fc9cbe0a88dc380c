"""Import ASL Citizen (isolated ASL signs by 52 signers): its split CSVs plus one pose per video.

SOURCE is the dataset's root folder as published (or its `splits/` folder):

    ASL_Citizen/
      splits/
        train.csv
        val.csv
        test.csv
      videos/
        00263398118041764-HOUSE.mp4
        ...

Each split file is comma-separated with a header row; the columns are found by name:

    Participant ID,Video file,Gloss,ASL-LEX Code
    P1,00263398118041764-HOUSE.mp4,HOUSE,D_02_044
    P15,5266225467568-HOUSE2.mp4,HOUSE2,D_02_045

- `Video file` (required): the video's file name in `videos/`; its stem is the clip id and the
  pose file's stem;
- `Gloss` (required): the sign. As SignCLIP did for its ASL Citizen prompts, the text is the
  gloss lowercased, with a trailing variant number dropped (`HOUSE2` -> `house`); this merges
  the variants of a sign into one text, as the paper's evaluation did. `--raw-glosses` keeps the
  gloss as written (one text per variant);
- `Participant ID` (required column): the signer. The dataset's splits are signer-independent
  (no participant is in two splits); they are kept as published, with `val` becoming `dev`;
- `ASL-LEX Code` is not used.

Every clip is American Sign Language with English glosses (en, ase).

Poses. `--poses DIR`: a folder of `<video stem>.pose` files, e.g. made earlier with
`signclip pose ASL_Citizen/videos/*.mp4 --out DIR`. `--extract`: the videos are turned into
poses here, into `OUT/poses/` (MediaPipe Holistic, see `signclip.video`; needs the `[video]`
extra); an interrupted import continues where it stopped. Either way the poses are in the
project's coordinates (pixels of the frame, MediaPipe's z); a pose holding NaN is written as a
cleaned copy to `OUT/poses/` (see `clip_poses`).

Problems reported (the clip is left out): `missing-file` (a split file, or with `--extract` a
video, that is absent), `malformed-row` (a row without a video file name or gloss, a name with
folder parts, or with more or fewer fields than the header), `duplicate-id` (a video listed
again, in the same or another split: the first, in the order train, val, test, is kept),
`missing-pose`, `unreadable-file`, `empty-sequence`; with `--extract`, every video that could not
be turned into a pose by its kind (`unreadable-file`, `empty-sequence`, ...). Frames with nothing
detected are reported as `empty-frames` (kept).
"""

from __future__ import annotations

import argparse
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from signclip.data.formats.checks import file_safe
from signclip.data.formats.clip_poses import ClipJob, import_pose_clips, usable_records
from signclip.data.formats.report import ImportReport
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ConfigError, ManifestError

LAYOUT = "asl-citizen"
HELP = "ASL Citizen: splits/{train,val,test}.csv and poses from --poses DIR or --extract"
SPLIT_FILES = {"train": "train", "val": "dev", "test": "test"}
SIGNER, VIDEO, GLOSS = "Participant ID", "Video file", "Gloss"
REQUIRED = (SIGNER, VIDEO, GLOSS)
_VARIANT = re.compile(r"\d+$")


@dataclass(frozen=True)
class Row:
    """One video of a split file, checked."""

    clip_id: str
    video: str  # the file name in videos/
    text: str
    split: str
    signer: str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    poses = parser.add_mutually_exclusive_group(required=True)
    poses.add_argument("--poses", type=Path, help="folder of <video stem>.pose files")
    poses.add_argument(
        "--extract",
        action="store_true",
        help="make the poses from videos/ into OUT/poses/ (needs signclip[video])",
    )
    parser.add_argument(
        "--raw-glosses",
        action="store_true",
        help="use the glosses as written (default: 'HOUSE2' becomes 'house')",
    )
    parser.add_argument("--workers", type=int, default=0, help="worker processes (0: all cores)")


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    root = dataset_root(Path(source))
    rows = read_splits(root / "splits", report, raw_glosses=args.raw_glosses)
    progress = not getattr(args, "no_progress", False)
    if args.extract:
        rows, poses = _extracted(
            root / "videos", rows, out / "poses", args.workers, report, progress
        )
    elif args.poses is not None:
        poses = Path(args.poses)
    else:
        raise ConfigError("asl-citizen: give --poses DIR or --extract")
    jobs = [
        ClipJob(poses / f"{row.clip_id}.pose", out / "poses" / f"{row.clip_id}.pose", row.clip_id)
        for row in rows
    ]
    paths = import_pose_clips(jobs, report, args.workers, progress, desc="asl-citizen")
    labels = ((row.clip_id, row.text, row.split, row.signer) for row in rows)
    return usable_records(labels, paths, "en", "ase")


def dataset_root(source: Path) -> Path:
    """The folder holding `splits/`: SOURCE itself, or its parent when SOURCE is `splits/`."""
    if (source / "splits").is_dir():
        return source
    if source.name == "splits" and source.is_dir():
        return source.parent
    raise ManifestError(f"ASL Citizen {source}: no splits/ folder (expected ASL_Citizen/splits/)")


def clean_gloss(gloss: str) -> str:
    """SignCLIP's prompt text for an ASL Citizen gloss: `HOUSE2` -> `house`."""
    return _VARIANT.sub("", gloss.strip()).strip().lower()


def read_splits(splits: Path, report: ImportReport, raw_glosses: bool = False) -> list[Row]:
    """Every usable row of train, val and test, in that order; the others are reported."""
    rows: list[Row] = []
    first: dict[str, str] = {}
    present = 0
    for name, split in SPLIT_FILES.items():
        path = splits / f"{name}.csv"
        if not path.is_file():
            report.add("missing-file", str(path), f"no {name} split file")
            continue
        present += 1
        for line, fields in _csv_rows(path):
            where = f"{name}.csv line {line}"
            row = _row(fields, split, raw_glosses, where, report)
            if row is None:
                continue
            if row.clip_id in first:
                report.add("duplicate-id", row.clip_id, f"{where}; first at {first[row.clip_id]}")
                continue
            first[row.clip_id] = where
            rows.append(row)
    if not present:
        raise ManifestError(f"ASL Citizen {splits}: none of train.csv, val.csv, test.csv")
    return rows


def _row(fields, split: str, raw: bool, where: str, report: ImportReport) -> Row | None:
    if isinstance(fields, str):
        report.add("malformed-row", where, f"not readable CSV ({fields})")
        return None
    if None in fields or None in fields.values():
        report.add("malformed-row", where, "the number of fields differs from the header's")
        return None
    video = fields[VIDEO].strip()
    gloss = fields[GLOSS].strip()
    clip_id = Path(video).stem
    if not video or not file_safe(video) or not file_safe(clip_id):
        report.add("malformed-row", where, f"video file {video!r} cannot name a clip")
        return None
    text = gloss if raw else clean_gloss(gloss)
    if not text:
        report.add("malformed-row", where, f"video {video}: gloss {gloss!r} gives no text")
        return None
    return Row(clip_id, video, text, split, fields[SIGNER].strip() or None)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str | None] | str]]:
    """(line, fields) per row, or (line, why) for a row the csv module cannot parse."""
    with open_table(path, "ASL Citizen") as f:
        reader = csv.DictReader(f)
        try:
            columns = [c.strip() for c in reader.fieldnames or []]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ManifestError(f"ASL Citizen {path}: not readable CSV ({exc})") from None
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ManifestError(
                f"ASL Citizen {path}: missing column {missing[0]!r} "
                f"(columns: {', '.join(columns) or 'none'})"
            )
        reader.fieldnames = columns  # the published files pad some names with spaces
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield reader.line_num, str(exc)
                continue
            yield reader.line_num, fields


def _extracted(
    videos: Path,
    rows: list[Row],
    poses: Path,
    workers: int,
    report: ImportReport,
    progress: bool,
) -> tuple[list[Row], Path]:
    """Run video -> pose for every row's video into `poses`; the rows whose pose exists now."""
    from signclip.video.jobs import FAILED, extract_videos, plan_jobs

    poses.mkdir(parents=True, exist_ok=True)
    by_video = {videos / row.video: row for row in rows}
    extraction = ImportReport(LAYOUT, str(videos))
    jobs = plan_jobs(list(by_video), poses, extraction)
    outcomes = extract_videos(jobs, workers, extraction, progress)
    # Problems name the video; the import report names clips.
    for problem in extraction.problems:
        clip_id = by_video[Path(problem.item)].clip_id
        report.add(problem.kind, clip_id, f"{problem.item}: {problem.detail}")
    done = {o.video for o in outcomes if o.status != FAILED}
    return [row for path, row in by_video.items() if path in done], poses
