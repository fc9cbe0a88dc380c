"""A recognition vocabulary from a file: one gloss per line, or WLASL's `index<TAB>gloss` lines."""

from __future__ import annotations

import re
from pathlib import Path

from signclip.errors import ManifestError

_INDEXED = re.compile(r"^\s*(\d+)\s+(\S.*?)\s*$")


def read_class_list(path: Path) -> tuple[str, ...]:
    """The glosses of `path` in file order. Indices are dropped only when every line has one, so
    that a gloss which merely starts with a number keeps it."""
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.__class__.__name__
        raise ManifestError(f"class list {path}: cannot read it ({reason})") from None
    if not lines:
        raise ManifestError(f"class list {path}: no classes")
    indexed = [_INDEXED.match(line) for line in lines]
    glosses = [m.group(2) for m in indexed] if all(indexed) else [line.strip() for line in lines]
    seen: set[str] = set()
    for gloss in glosses:
        if gloss in seen:
            raise ManifestError(f"class list {path}: {gloss!r} is listed twice")
        seen.add(gloss)
    return tuple(glosses)
