"""Manifests: the list of clips of a dataset, one row per `.pose` file and its text.

A manifest is a CSV file with a header row or a JSONL file with one object per line. Columns:
`id`, `pose` (a path; a relative one is relative to the manifest's folder), `text` (or `gloss`
when there is no `text`), `spoken_language`, `sign_language`, `split` and, optionally, `signer`.

Reading validates the rows only. Whether each pose file exists and is usable is decided when the
feature cache is built, which reports unusable clips by id instead of failing the whole dataset.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signclip.errors import ManifestError

REQUIRED = ("id", "pose", "spoken_language", "sign_language", "split")
TEXT_COLUMNS = ("text", "gloss")
# The order columns are written in; `signer` last because it is optional.
WRITE_COLUMNS = ("id", "pose", "text", "spoken_language", "sign_language", "split", "signer")


@dataclass(frozen=True)
class ClipRecord:
    clip_id: str
    pose_path: Path  # absolute
    text: str
    spoken_language: str
    sign_language: str
    split: str
    signer: str | None = None


def read_manifest(path: str | Path) -> list[ClipRecord]:
    """Parse a `.csv` or `.jsonl` manifest; a `ManifestError` names the file, line and fault."""
    path = Path(path)
    rows = _ROW_READERS[_kind(path)](path)
    records = records_from_rows(rows, path)
    if not records:
        raise ManifestError(f"manifest {path}: no rows")
    return records


def records_from_rows(rows: Iterable[tuple[int, dict[str, Any]]], source: Path) -> list[ClipRecord]:
    """Validate (line number, row) pairs into records; pose paths resolve against `source`'s folder.

    Shared by `read_manifest` and the dataset importers, so every source reports faults alike.
    """
    folder = source.parent.absolute()
    records: list[ClipRecord] = []
    first_line: dict[str, int] = {}
    for line, row in rows:
        where = f"manifest {source} line {line}"
        record = _record(row, folder, where)
        first = first_line.get(record.clip_id)
        if first is not None:
            raise ManifestError(f"{where}: duplicate id {record.clip_id!r} (first on line {first})")
        first_line[record.clip_id] = line
        records.append(record)
    return records


def write_manifest(records: Iterable[ClipRecord], path: str | Path) -> None:
    """Write a `.csv` or `.jsonl` manifest that `read_manifest` reads back to the same records.

    Pose paths inside the manifest's folder are written relative to it, so the folder can move as
    a whole; others stay absolute, because a `../..` path would break when the manifest moves.
    """
    path = Path(path)
    kind = _kind(path)
    folder = path.parent.absolute()
    rows = [_row(record, folder) for record in records]
    with path.open("w", encoding="utf-8", newline="") as f:
        if kind == "csv":
            writer = csv.DictWriter(f, fieldnames=WRITE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        else:
            f.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ManifestError(f"manifest {path}: unknown extension {suffix!r} (use .csv or .jsonl)")
    return suffix[1:]


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open(path) as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        missing = [c for c in REQUIRED if c not in columns]
        if not any(c in columns for c in TEXT_COLUMNS):
            missing.append("text (or gloss)")
        if columns and missing:
            raise ManifestError(
                f"manifest {path} line 1: missing column {missing[0]!r} "
                f"(columns: {', '.join(columns)})"
            )
        for row in reader:
            # line_num is the physical line where the row ends, the one an editor shows.
            yield reader.line_num, row


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with _open(path) as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(
                    f"manifest {path} line {line_no}: not valid JSON ({exc.msg})"
                ) from exc
            if not isinstance(row, dict):
                raise ManifestError(f"manifest {path} line {line_no}: expected a JSON object")
            yield line_no, row


_ROW_READERS = {"csv": _csv_rows, "jsonl": _jsonl_rows}


def _open(path: Path):
    try:
        # utf-8-sig: spreadsheet programs often start CSV files with a byte-order mark.
        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ManifestError(f"manifest {path}: no such file") from None
    except OSError as exc:
        raise ManifestError(f"manifest {path}: cannot be read ({exc.strerror})") from None


def _record(row: dict[str, Any], folder: Path, where: str) -> ClipRecord:
    text_key = next((k for k in TEXT_COLUMNS if k in row), None)
    if text_key is None:
        raise ManifestError(f"{where}: missing field 'text' (or 'gloss')")
    values = {key: _field(row, key, where) for key in (*REQUIRED, text_key)}
    signer = _value(row.get("signer"), "signer", where)
    pose = Path(values["pose"]).expanduser()
    return ClipRecord(
        clip_id=values["id"],
        # abspath also folds `..` parts, so one file always gets the same cache fingerprint.
        pose_path=Path(os.path.abspath(folder / pose)),
        text=values[text_key],
        spoken_language=values["spoken_language"],
        sign_language=values["sign_language"],
        split=values["split"],
        signer=signer or None,
    )


def _field(row: dict[str, Any], key: str, where: str) -> str:
    if key not in row:
        raise ManifestError(f"{where}: missing field {key!r}")
    value = _value(row[key], key, where)
    if not value:
        raise ManifestError(f"{where}: empty {key!r}")
    return value


def _value(value: Any, key: str, where: str) -> str:
    # JSONL may carry numbers (an id of 17); nested values are a mistake worth naming.
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ManifestError(f"{where}: {key!r} must be a string, got {type(value).__name__}")
    return str(value).strip()


def _row(record: ClipRecord, folder: Path) -> dict[str, str]:
    pose = record.pose_path
    if pose.is_relative_to(folder):
        pose = pose.relative_to(folder)
    return {
        "id": record.clip_id,
        "pose": pose.as_posix(),
        "text": record.text,
        "spoken_language": record.spoken_language,
        "sign_language": record.sign_language,
        "split": record.split,
        "signer": record.signer or "",
    }
