"""The fingerspelling lexicon of sign-language-processing/spoken-to-signed-translation.

SOURCE is the lexicon's `index.csv` (or the folder holding it). Layout: one subfolder of `.pose`
files per sign language beside the index, whose header names at least these columns:

    fingerspelling_lexicon/
      index.csv
      ase/fs-sts28e9ac.pose
      gsg/...

    path,spoken_language,signed_language,start,end,words,glosses,priority
    ase/fs-sts28e9ac.pose,en,ase,0,2720,A,A,0

- `path`: the pose file, relative to the folder of `index.csv`; its stem is the clip id.
- `spoken_language`, `signed_language`: language codes (`signed_language` is ISO 639-3).
- `words`: the letter, which becomes the clip's text.
- `start`, `end` (milliseconds), `glosses` and `priority` are not used: the lexicon's files are
  already trimmed to the letter, and `glosses` repeats `words`.

The `.pose` files are used where they are (the manifest points at them), so their coordinates
are those pose-format wrote (see `signclip.pose.convention`). The lexicon has no signers and no
splits: the general split options decide (`--test-language`, `--test-fraction`, ...).
"""

from __future__ import annotations

import argparse
import csv
import os
from pathlib import Path

from signclip.data.formats.checks import first_of_each_id
from signclip.data.formats.pose_clips import usable_clips
from signclip.data.formats.report import ImportReport
from signclip.data.formats.splits import assign_splits, split_rule
from signclip.data.formats.tables import open_table
from signclip.data.manifest import ClipRecord
from signclip.errors import ManifestError

LAYOUT = "fingerspelling"
HELP = "fingerspelling lexicon of spoken-to-signed-translation (SOURCE: its index.csv)"
# The general split options apply (see `splits`).
GENERAL_SPLITS = True
INDEX = "index.csv"
COLUMNS = ("path", "spoken_language", "signed_language", "words")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", type=int, default=0, help="processes checking pose files (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    index_csv = source / INDEX if source.is_dir() else source
    rule = split_rule(args)
    records = []
    for line, row in _rows(index_csv):
        record = _record(row, index_csv.parent, f"{index_csv.name} line {line}", report)
        if record is not None:
            records.append(record)
    records = first_of_each_id(records, report)
    usable = usable_clips(records, out, report, args.workers, not args.no_progress)
    return assign_splits(usable, rule)


def _rows(index_csv: Path):
    with open_table(index_csv) as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"{index_csv} line 1: missing column {missing[0]!r}")
        for row in reader:
            yield reader.line_num, row


def _record(row: dict, folder: Path, where: str, report: ImportReport) -> ClipRecord | None:
    values = {c: (row.get(c) or "").strip() for c in COLUMNS}
    empty = [c for c in COLUMNS if not values[c]]
    if empty:
        report.add("malformed-row", where, f"empty {empty[0]!r}")
        return None
    path = Path(os.path.abspath(folder / values["path"]))
    return ClipRecord(
        clip_id=path.stem,
        pose_path=path,
        text=values["words"],
        spoken_language=values["spoken_language"],
        sign_language=values["signed_language"],
        split="train",  # replaced by the split rule
    )
