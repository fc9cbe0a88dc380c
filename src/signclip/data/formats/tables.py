"""Opening a dataset's own text tables (CSV, TSV, JSONL) with one kind of error for every layout."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from signclip.errors import ManifestError

if TYPE_CHECKING:
    from signclip.data.formats.report import ImportReport


def open_table(path: Path, what: str = "") -> TextIO:
    """The table as text: UTF-8 with or without the byte-order mark spreadsheets add, newlines
    left to the csv module. A missing or unreadable file is a one-line `ManifestError` that
    starts with `what` (e.g. "Sem-Lex metadata") when given."""
    name = f"{what} {path}" if what else str(path)
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise ManifestError(f"{name}: no such file") from None
    except OSError as exc:
        raise ManifestError(f"{name}: cannot be read ({exc.strerror})") from None


def clip_rows(
    table: Path,
    report: ImportReport,
    required: Sequence[str],
    sign_language: str | None,
    what: str,
) -> Iterator[tuple[int, dict]]:
    """(line number, row) of a CSV or JSONL table listing clips (`what` names its entries, e.g.
    "pose files and texts"). A CSV without a `required` column, or without `sign_language` when
    no default is given, is refused whole; a JSONL line that is not an object is reported as a
    `malformed-row` and skipped."""
    suffix = table.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ManifestError(f"{table}: expected a .csv or .jsonl table of {what}")
    with open_table(table) as f:
        if suffix == ".csv":
            yield from _csv_rows(f, table, required, sign_language)
        else:
            yield from _jsonl_rows(f, table, report)


def cell_text(value) -> str:
    """A cell as text; JSONL may carry numbers (an id of 17), anything nested counts as missing."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return str(value).strip()


def _csv_rows(
    f: TextIO, table: Path, required: Sequence[str], sign_language: str | None
) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(f)
    columns = reader.fieldnames or []
    missing = [c for c in required if c not in columns]
    if missing:
        raise ManifestError(f"{table} line 1: missing column {missing[0]!r}")
    if "sign_language" not in columns and not sign_language:
        raise ManifestError(f"{table}: no sign_language column; give --sign-language")
    for row in reader:
        yield reader.line_num, row


def _jsonl_rows(f: TextIO, table: Path, report: ImportReport) -> Iterator[tuple[int, dict]]:
    for line_no, line in enumerate(f, start=1):
        if not line.strip():
            continue
        where = f"{table.name} line {line_no}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            report.add("malformed-row", where, f"not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict):
            report.add("malformed-row", where, f"a JSON {type(row).__name__}, not an object")
            continue
        yield line_no, row
