"""Import the fingerspelling lexicon of sign-language-processing/spoken-to-signed-translation.

Expected layout: a folder with one subfolder of `.pose` files per sign language and an
`index.csv` whose header names at least these columns:

    path,spoken_language,signed_language,start,end,words,glosses,priority
    ase/fs-sts28e9ac.pose,en,ase,0,2720,A,A,0

- `path`: the pose file, relative to the folder of `index.csv`; its stem becomes the clip id, so
  stems must be unique across the whole index.
- `spoken_language`, `signed_language`: language codes (`signed_language` is ISO 639-3).
- `words`: the letter, which becomes the clip's text.
- `start`, `end` (milliseconds), `glosses` and `priority` are not used: the lexicon's files are
  already trimmed to the letter, and `glosses` repeats `words`.

The lexicon has no splits; the caller decides them with `split`: one name for every clip, or a
function of the record (see `hold_out` and `seeded_fraction`).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from signclip.data.manifest import ClipRecord, records_from_rows
from signclip.errors import ManifestError

COLUMNS = ("path", "spoken_language", "signed_language", "words")

SplitFn = Callable[[ClipRecord], str]


def import_fingerspelling(
    index_csv: str | Path, split: str | SplitFn = "train"
) -> list[ClipRecord]:
    """Records for every row of the lexicon's `index.csv`, in file order."""
    index_csv = Path(index_csv)
    records = records_from_rows(_manifest_rows(index_csv), index_csv)
    if not records:
        raise ManifestError(f"manifest {index_csv}: no rows")
    rule = split if callable(split) else _constant(split)
    return [dataclasses.replace(r, split=_split_of(r, rule)) for r in records]


def hold_out(sign_language: str, split: str = "test", rest: str = "train") -> SplitFn:
    """A rule that puts one sign language in `split` and every other one in `rest`."""
    return lambda record: split if record.sign_language == sign_language else rest


def seeded_fraction(
    fraction: float, seed: int, split: str = "test", rest: str = "train"
) -> SplitFn:
    """A rule that puts about `fraction` of the clips in `split`, chosen by (seed, clip id).

    Each clip's draw hashes its own id, so adding or removing clips never moves the others.
    """

    def rule(record: ClipRecord) -> str:
        digest = hashlib.sha256(f"{seed}:{record.clip_id}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        return split if draw < fraction else rest

    return rule


def _constant(name: str) -> SplitFn:
    return lambda _record: name


def _split_of(record: ClipRecord, rule: SplitFn) -> str:
    name = rule(record)
    if not isinstance(name, str) or not name:
        raise ManifestError(f"clip {record.clip_id}: the split rule returned {name!r}, not a name")
    return name


def _manifest_rows(index_csv: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        f = index_csv.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ManifestError(f"manifest {index_csv}: cannot be read ({exc.strerror})") from None
    with f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"manifest {index_csv} line 1: missing column {missing[0]!r}")
        for row in reader:
            yield (
                reader.line_num,
                {
                    "id": Path(row["path"] or "").stem,
                    "pose": row["path"],
                    "text": row["words"],
                    "spoken_language": row["spoken_language"],
                    "sign_language": row["signed_language"],
                    # Placeholder that passes validation; the caller's rule replaces it.
                    "split": "unassigned",
                },
            )
