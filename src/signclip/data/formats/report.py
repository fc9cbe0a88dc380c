"""What an import (or a pose extraction) could not use: every item by name, counted by kind.

Importers keep going past bad items and record each one here instead of dropping it silently;
the command prints the counts and the first names at the end and writes the whole list as JSON.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from signclip.parallel import ordered_map

Job = TypeVar("Job")

# How many names per kind the printed summary shows; the JSON report has them all.
SHOWN_PER_KIND = 5


@dataclass(frozen=True)
class Problem:
    kind: str  # a short stable tag, e.g. "missing-file", "malformed-row", "duplicate-id"
    item: str  # what it concerns: a clip id, a file, "index.csv line 12"
    detail: str  # one line that says what is wrong


@dataclass
class ImportReport:
    layout: str
    source: str
    imported: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, kind: str, item: str, detail: str) -> None:
        self.problems.append(Problem(kind, item, detail))

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(p.kind for p in self.problems).items()))

    def summary_lines(self) -> list[str]:
        """The end-of-run summary: one line per kind with its count and first names."""
        lines = []
        for kind, count in self.counts().items():
            items = [p for p in self.problems if p.kind == kind]
            shown = "; ".join(f"{p.item}: {p.detail}" for p in items[:SHOWN_PER_KIND])
            more = f" (+{count - SHOWN_PER_KIND} more)" if count > SHOWN_PER_KIND else ""
            lines.append(f"{kind}: {count} — {shown}{more}")
        return lines

    def to_dict(self) -> dict:
        return {
            "layout": self.layout,
            "source": self.source,
            "imported": self.imported,
            "problem_counts": self.counts(),
            "problems": [asdict(p) for p in self.problems],
        }

    def write_json(self, path: str | Path) -> None:
        """Write atomically, so a report is never half a file."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        os.replace(tmp, path)


def map_with_reports(
    work: Callable[[Job], tuple[Any, list[Problem]]],
    jobs: Sequence[Job],
    report: ImportReport,
    workers: int = 0,
    progress: bool = True,
    desc: str = "clips",
) -> list:
    """`work(job) -> (result, problems)` for every job in worker processes (0: all cores). Workers
    cannot share `report`, so each returns its problems; they land in `report` in job order, and
    the results come back in job order too."""
    results = []
    with ordered_map(work, jobs, workers) as done:
        for result, problems in tqdm(done, total=len(jobs), desc=desc, disable=not progress):
            report.problems.extend(problems)
            results.append(result)
    return results
