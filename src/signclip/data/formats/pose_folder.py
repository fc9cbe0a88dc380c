"""A plain folder of `.pose` files and a table of their texts (CSV with a header, or JSONL).

SOURCE is the table; pose paths in it are relative to the table's folder (or absolute):

    my-dataset/
      texts.csv
      poses/house.pose
      poses/tree.pose

    pose,text,signer,split
    poses/house.pose,house,anna,train
    poses/tree.pose,tree,ben,test

    {"pose": "poses/house.pose", "text": "house", "sign_language": "gsg"}      (texts.jsonl)

Columns (JSONL: keys): `pose` and `text` are required; optional ones, and what a missing column
or an empty value means:
- `id`: the clip id (default: the pose file's name without `.pose`; two files of one name in
  different folders then collide and are reported as `duplicate-id`: add an `id` column);
- `sign_language`: default `--sign-language` (no default: without the column it must be given);
- `spoken_language`: default `--spoken-language` (default en);
- `signer`: default unknown;
- `split`: train, dev (val and validation are read as dev) or test; default: the general split
  options (by signer when known).

The `.pose` files are used where they are, in the coordinates pose-format wrote (see
`signclip.pose.convention`); one holding NaN is written, cleaned, to `OUT/poses/<id>.pose`.
Problems (the row is left out): `malformed-row` (a required value missing, an unreadable JSONL
line), `duplicate-id`, `missing-pose`, `unreadable-file`, `empty-sequence`; `empty-frames` and
`nan-only-frames` are reported and the clip kept (see `clip_poses`).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace
from pathlib import Path

from signclip.data.formats.checks import file_safe, first_of_each_id
from signclip.data.formats.pose_clips import usable_clips
from signclip.data.formats.report import ImportReport
from signclip.data.formats.splits import SPLIT_NAMES, SplitRule, split_rule
from signclip.data.formats.tables import cell_text, clip_rows
from signclip.data.manifest import ClipRecord

LAYOUT = "pose-folder"
HELP = "a folder of .pose files and a CSV or JSONL table of their texts (SOURCE: the table)"
# The general split options apply (see `splits`).
GENERAL_SPLITS = True
REQUIRED = ("pose", "text")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sign-language", help="sign language of rows without one (required without the column)"
    )
    parser.add_argument(
        "--spoken-language", default="en", help="text language of rows without one (default en)"
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes checking pose files (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    rule = split_rule(args)
    records, unsplit = [], set()
    for line, row in clip_rows(
        source, report, REQUIRED, args.sign_language, "pose files and texts"
    ):
        record = _record(row, source.parent, args, f"{source.name} line {line}", report)
        if record is None:
            continue
        if not record.split:
            unsplit.add(record.clip_id)
        records.append(record)
    records = first_of_each_id(records, report)
    usable = usable_clips(records, out, report, args.workers, not args.no_progress)
    return [_with_split(r, rule) if r.clip_id in unsplit else r for r in usable]


def _with_split(record: ClipRecord, rule: SplitRule) -> ClipRecord:
    return replace(record, split=rule(record))


def _record(
    row: dict, folder: Path, args: argparse.Namespace, where: str, report: ImportReport
) -> ClipRecord | None:
    return table_record(row, "pose", folder, args, where, report)


def table_record(
    row: dict,
    path_column: str,
    folder: Path,
    args: argparse.Namespace,
    where: str,
    report: ImportReport,
) -> ClipRecord | None:
    """A clip table's row as a record whose `pose_path` is the file of `path_column` (relative to
    `folder`); None, with the reason reported, for a row without a required cell, with an unknown
    split or with an id that cannot name a file. Languages missing from the row fall back on
    `--sign-language` and `--spoken-language`; the split stays "" for the split rule."""
    values = {key: cell_text(row.get(key)) for key in row if key is not None}
    defaults = {"sign_language": args.sign_language, "spoken_language": args.spoken_language}
    for key, default in defaults.items():
        values[key] = values.get(key) or (default or "")
    for key in (path_column, "text", "sign_language", "spoken_language"):
        if not values.get(key):
            report.add("malformed-row", where, f"no {key!r}")
            return None
    split = values.get("split", "")
    if split and split.lower() not in SPLIT_NAMES:
        report.add("malformed-row", where, f"split {split!r} is not one of train, dev, test")
        return None
    path = Path(os.path.abspath(folder / Path(values[path_column]).expanduser()))
    clip_id = values.get("id") or path.stem
    if not file_safe(clip_id):
        report.add("malformed-row", where, f"id {clip_id!r} cannot name a file")
        return None
    return ClipRecord(
        clip_id=clip_id,
        pose_path=path,
        text=values["text"],
        spoken_language=values["spoken_language"],
        sign_language=values["sign_language"],
        split=SPLIT_NAMES.get(split.lower(), ""),  # "" until the split rule decides
        signer=values.get("signer") or None,
    )
