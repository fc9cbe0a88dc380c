"""Import the Sem-Lex Benchmark (isolated ASL signs): its metadata CSV plus one `.pose` per video.

SOURCE is the Benchmark's `semlex_metadata.csv` (or the folder that holds it); `--poses DIR`
holds one `<video_id>.pose` per video, made from the Benchmark's videos with `signclip pose`:

    Sem-Lex/
      semlex_metadata.csv
    poses/
      0cZ5GxWm7r3pRwEaUbyT.pose
      ...

The metadata is comma-separated with a header row. Its first column is an unnamed row index (the
file was written by pandas); the columns this importer reads are found by name, so their order
and any further columns (duration, the ASL-LEX phonological features such as Handshape or Major
Location) do not matter:

    ,video_id,signer_id,duration,split,label_type,label,Handshape,...
    0,0cZ5GxWm7r3pRwEaUbyT,P12,1.93,train,asllex,book_1,...

- `video_id` (required): the clip id and the pose file's stem;
- `label` (required): the sign, which becomes the clip's text. As SignCLIP did, surrounding
  spaces are stripped, a trailing `_N` variant number is dropped and `_` becomes a space
  (`oh_i_see_2` -> `oh i see`); `--raw-labels` keeps the label as written. An empty label or
  `na` (the Benchmark's one unlabelled video) is reported as `unknown-label`;
- `split` (required): train / val / test become train / dev / test;
- `signer_id` (optional): the signer (participant);
- `label_type` and the rest are not used.

Every clip is American Sign Language with English labels (en, ase). The videos are isolated
signs, so each pose file is used whole (cleaned of NaN when needed, see `clip_poses`).

The Benchmark's own pose archives (`sem-lex-{train,val,test}-poses.tar.gz`: `<split>/<video_id>
.npy` MediaPipe arrays in [0, 1]) are not read: they record neither the frame size nor the frame
rate, both of which the project's coordinate convention needs.

Problems reported (the row is left out): `malformed-row` (a row without a video id, with a split
other than train/val/test, or with more or fewer fields than the header), `unknown-label`,
`duplicate-id` (the metadata repeats some videos, sometimes in two splits: the first row is
kept), `missing-pose`, `unreadable-file`, `empty-sequence`; frames with nothing detected are
reported as `empty-frames` (kept).
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
from signclip.errors import ManifestError

LAYOUT = "semlex"
HELP = "Sem-Lex Benchmark: semlex_metadata.csv and one <video_id>.pose per video (--poses)"
METADATA_NAME = "semlex_metadata.csv"
REQUIRED = ("video_id", "label", "split")
SPLITS = {"train": "train", "val": "dev", "test": "test"}
UNLABELLED = {"", "na"}
_VARIANT = re.compile(r"_\d+$")


@dataclass(frozen=True)
class Row:
    """One video of the metadata, checked."""

    video_id: str
    text: str
    split: str
    signer: str | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poses", type=Path, required=True, help="folder of <video_id>.pose files")
    parser.add_argument(
        "--raw-labels",
        action="store_true",
        help="use the labels as written (default: 'oh_i_see_2' becomes 'oh i see')",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="processes reading pose files (0: all cores)"
    )


def import_dataset(
    source: Path, out: Path, args: argparse.Namespace, report: ImportReport
) -> list[ClipRecord]:
    metadata = Path(source) / METADATA_NAME if Path(source).is_dir() else Path(source)
    rows = read_metadata(metadata, report, raw_labels=args.raw_labels)
    jobs = [
        ClipJob(
            Path(args.poses) / f"{row.video_id}.pose",
            out / "poses" / f"{row.video_id}.pose",
            row.video_id,
        )
        for row in rows
    ]
    progress = not getattr(args, "no_progress", False)
    paths = import_pose_clips(jobs, report, args.workers, progress, desc="semlex")
    labels = ((row.video_id, row.text, row.split, row.signer) for row in rows)
    return usable_records(labels, paths, "en", "ase")


def clean_label(label: str) -> str:
    """SignCLIP's prompt text for a Sem-Lex label: `oh_i_see_2` -> `oh i see`."""
    return " ".join(_VARIANT.sub("", label.strip()).split("_")).strip()


def read_metadata(metadata: Path, report: ImportReport, raw_labels: bool = False) -> list[Row]:
    """Every usable row in file order; the others are reported."""
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    for line, fields in _csv_rows(metadata):
        where = f"{metadata.name} line {line}"
        if isinstance(fields, str):
            report.add("malformed-row", where, f"not readable CSV ({fields})")
            continue
        if None in fields or None in fields.values():
            report.add("malformed-row", where, "the number of fields differs from the header's")
            continue
        video_id = fields["video_id"].strip()
        split = fields["split"].strip()
        if not file_safe(video_id):
            report.add("malformed-row", where, f"video_id {video_id!r} cannot name a file")
            continue
        if split not in SPLITS:
            report.add(
                "malformed-row",
                where,
                f"video {video_id}: split {split!r} is not train, val or test",
            )
            continue
        label = fields["label"].strip()
        text = label if raw_labels else clean_label(label)
        if label.lower() in UNLABELLED or not text:
            report.add("unknown-label", video_id, f"{where}: label {fields['label']!r}")
            continue
        if video_id in first_line:
            report.add("duplicate-id", video_id, f"{where}; first on line {first_line[video_id]}")
            continue
        first_line[video_id] = line
        signer = (fields.get("signer_id") or "").strip() or None
        rows.append(Row(video_id, text, SPLITS[split], signer))
    return rows


def _csv_rows(metadata: Path) -> Iterator[tuple[int, dict | str]]:
    """(line, fields) per row, or (line, why) for a row the CSV reader cannot parse."""
    with open_table(metadata, "Sem-Lex metadata") as f:
        reader = csv.DictReader(f)
        try:
            columns = reader.fieldnames or []
        except csv.Error as exc:
            raise ManifestError(f"Sem-Lex metadata {metadata}: not a CSV file ({exc})") from None
        except UnicodeDecodeError as exc:
            raise ManifestError(f"Sem-Lex metadata {metadata}: not UTF-8 ({exc})") from None
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            shown = ", ".join(c or "(unnamed)" for c in columns[:8]) or "none"
            raise ManifestError(
                f"Sem-Lex metadata {metadata} line 1: missing column {missing[0]!r} "
                f"(columns: {shown})"
            )
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # The reader resumes at the next line, so one bad row costs only itself.
                yield reader.line_num, str(exc)
                continue
            except UnicodeDecodeError as exc:
                raise ManifestError(
                    f"Sem-Lex metadata {metadata} after line {reader.line_num}: not UTF-8 ({exc})"
                ) from None
            yield reader.line_num, fields
