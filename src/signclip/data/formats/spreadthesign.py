"""Spreadthesign as the original SignCLIP used it: one metadata CSV, a flat folder of `.pose` files
and split files of row numbers.

SOURCE is the dataset folder (or the CSV itself):

    spreadthesign/
      SperadTheSign.csv              (the original's spelling; SpreadTheSign.csv is accepted too)
      sign-mt-poses/
        stsfacebeec5a8aaeb6d946890a20ea5d9d.pose
        ...
      splits/1.0.0-uzh/
        train.txt  val.txt  test.txt  (all.txt, split.py: not used)

    pose,videoLanguage,language,text
    stsfacebeec5a8aaeb6d946890a20ea5d9d.pose,ssp,ro,taxa de drum
    sts60f4f9a28b5f6baf204e91695b5c5a6b.pose,csl,en,compressed air

Columns: `pose` (the file, relative to the poses folder, `--poses`, default SOURCE/sign-mt-poses),
`videoLanguage` (the sign language, ISO 639-3 and a few regional codes like rsl-by), `language`
(the text's language) and `text` (the concept in that language). Every other column is ignored.
One video is listed once per text language, so several rows share a pose file.

Clip ids are `sts-<row>`, where row is the zero-based number of the data row (the header is not
a row), the number the split files use. `--text-languages` keeps the rows of these text languages
(comma-separated; default en, as the paper trained on English texts only; `all` keeps every row);
the other rows are not imported and not reported.

Splits: `--split-dir` (default SOURCE/splits/1.0.0-uzh when it exists) holds text files of row
numbers, one per line: `train.txt`, `dev.txt` or `val.txt` (read as dev), `test.txt`. A kept row
in none of them is reported as `no-split`, one in two of them as `split-conflict`, and both are
left out; a number that is not a row is reported as `unknown-id`, a line that is no number as
`malformed-row`. Without split files the general split options decide (Spreadthesign has no
signer column, so by clip).

The `.pose` files are used where they are, in the coordinates pose-format wrote (see
`signclip.pose.convention`). Other problems (the row is left out): `malformed-row` (an empty
value), `missing-pose`, `unreadable-file`, `empty-sequence`; `empty-frames` and `nan-only-frames`
are reported and the clip kept (see `clip_poses`).
"""

from __future__ import annotations

import argparse
import csv
import os
from dataclasses import replace
from pathlib import Path

from signclip.data.formats.pose_clips import usable_clips
from signclip.data.formats.report import ImportReport
from signclip.data.formats.splits import split_rule
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ManifestError

LAYOUT = "spreadthesign"
HELP = "Spreadthesign as the original SignCLIP used it: metadata CSV, pose folder, split files"
# The general split options apply (see `splits`).
GENERAL_SPLITS = True
CSV_NAMES = ("SperadTheSign.csv", "SpreadTheSign.csv")
POSES = "sign-mt-poses"
SPLIT_DIR = Path("splits") / "1.0.0-uzh"
COLUMNS = ("pose", "videoLanguage", "language", "text")
# Split file -> split name, in the order a row's first split is looked for.
SPLIT_FILES = (("train.txt", "train"), ("dev.txt", "dev"), ("val.txt", "dev"), ("test.txt", "test"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poses", type=Path, help=f"the pose folder (default SOURCE/{POSES})")
    parser.add_argument(
        "--split-dir",
        type=Path,
        help=f"folder of train/dev (or val)/test .txt row lists (default SOURCE/{SPLIT_DIR} "
        "when it exists; without it the general split options apply)",
    )
    parser.add_argument(
        "--text-languages",
        default="en",
        help="comma-separated text languages to import, or 'all' (default en, as the paper)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes checking pose files (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    table = _table(source)
    root = table.parent
    poses = args.poses or root / POSES
    split_dir = args.split_dir or (root / SPLIT_DIR if (root / SPLIT_DIR).is_dir() else None)
    rule = split_rule(args)  # checked now, so a bad option fails before any work
    languages = _languages(args.text_languages)
    rows, total = _rows(table, poses, languages, report)
    if split_dir is not None:
        records = _listed_splits(rows, total, split_dir, report)
    else:
        records = [replace(r, split=rule(r)) for _, r in rows]
    return usable_clips(records, out, report, args.workers, not args.no_progress)


def _table(source: Path) -> Path:
    if not source.is_dir():
        if not source.is_file():
            raise ManifestError(f"{source}: no such file or folder")
        return source
    for name in CSV_NAMES:
        if (source / name).is_file():
            return source / name
    raise ManifestError(f"{source}: holds no {' or '.join(CSV_NAMES)}")


def _languages(text: str) -> frozenset[str] | None:
    names = frozenset(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise ManifestError("--text-languages: give language codes, e.g. en,de, or 'all'")
    return None if "all" in names else names


def _rows(
    table: Path, poses: Path, languages: frozenset[str] | None, report: ImportReport
) -> tuple[list[tuple[int, ClipRecord]], int]:
    """(row number, record with split "") of each kept row, and the number of data rows."""
    kept, total = [], 0
    with open_table(table) as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"{table} line 1: missing column {missing[0]!r}")
        for number, row in enumerate(reader):
            total = number + 1
            values = {c: (row.get(c) or "").strip() for c in COLUMNS}
            if languages is not None and values["language"] not in languages:
                continue
            empty = [c for c in COLUMNS if not values[c]]
            if empty:
                where = f"{table.name} line {reader.line_num} (row {number})"
                report.add("malformed-row", where, f"empty {empty[0]!r}")
                continue
            record = ClipRecord(
                clip_id=f"sts-{number}",
                pose_path=Path(os.path.abspath(poses / values["pose"])),
                text=values["text"],
                spoken_language=values["language"],
                sign_language=values["videoLanguage"],
                split="",
            )
            kept.append((number, record))
    return kept, total


def _listed_splits(
    rows: list[tuple[int, ClipRecord]], total: int, split_dir: Path, report: ImportReport
) -> list[ClipRecord]:
    listed = _split_lists(split_dir, report)
    for number in sorted(n for n in listed if n >= total):
        files = ", ".join(name for name, _ in listed[number])
        report.add("unknown-id", f"row {number}", f"listed in {files}; the CSV has {total} rows")
    records = []
    for number, record in rows:
        splits = sorted({split for _, split in listed.get(number, [])})
        if not splits:
            report.add("no-split", record.clip_id, f"row {number} is in no split file")
        elif len(splits) > 1:
            detail = f"row {number} is in {' and '.join(splits)} (left out of both)"
            report.add("split-conflict", record.clip_id, detail)
        else:
            records.append(replace(record, split=splits[0]))
    return records


def _split_lists(split_dir: Path, report: ImportReport) -> dict[int, list[tuple[str, str]]]:
    """Row number -> (file name, split) of every split file listing it."""
    files = [(split_dir / name, split) for name, split in SPLIT_FILES]
    files = [(path, split) for path, split in files if path.is_file()]
    if not files:
        names = ", ".join(name for name, _ in SPLIT_FILES)
        raise ManifestError(f"{split_dir}: holds none of the split files {names}")
    listed: dict[int, list[tuple[str, str]]] = {}
    for path, split in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(f"{path}: cannot be read as text ({exc})") from None
        for line_no, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            if not text.isdigit():
                report.add("malformed-row", f"{path.name} line {line_no}", f"{text!r} is no row")
                continue
            listed.setdefault(int(text), []).append((path.name, split))
    return listed
