"""Opening a dataset's own text tables (CSV, TSV, JSONL) with one kind of error for every layout."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from signclip.errors import ManifestError


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
