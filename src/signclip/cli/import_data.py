"""signclip import: turn a dataset's own layout into a manifest of usable clips and a report.

`signclip import LAYOUT SOURCE --out DIR` writes `DIR/manifest.csv`, converts sources that are
not `.pose` files into `DIR/poses/`, and writes `DIR/import-report.json`: every item that could
not be used, by kind. It exits 1 when anything was reported, after writing the manifest of the
usable clips; a rerun reuses the poses already converted.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

HELP = "write a manifest (and converted poses) for a dataset in its own published layout"
MANIFEST = "manifest.csv"
REPORT = "import-report.json"
MANIFEST_SUFFIXES = (".csv", ".jsonl")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from signclip.data.formats import layouts
    from signclip.data.formats.splits import add_split_arguments

    sub = parser.add_subparsers(dest="layout", required=True, metavar="LAYOUT")
    for name, module in layouts().items():
        layout = sub.add_parser(name, help=module.HELP, description=module.HELP)
        layout.add_argument("source", type=Path, help="the dataset (see the layout's description)")
        layout.add_argument(
            "--out",
            type=Path,
            required=True,
            help=f"output folder (gets {MANIFEST}, {REPORT}, poses/); a path ending in .csv or "
            ".jsonl names the manifest itself, its folder gets the rest",
        )
        layout.add_argument("--report", type=Path, help=f"problem report (default: OUT/{REPORT})")
        layout.add_argument("--no-progress", action="store_true", help="no progress bars")
        # Only layouts that draw splits get the options: elsewhere they would be ignored silently.
        if getattr(module, "GENERAL_SPLITS", False):
            add_split_arguments(layout)
        module.add_arguments(layout)
        layout.set_defaults(layout_module=module)


def run(args: argparse.Namespace) -> int:
    from signclip.data.formats.checks import first_of_each_id
    from signclip.data.formats.report import ImportReport
    from signclip.data.manifest import write_manifest
    from signclip.errors import ConfigError, ManifestError

    if getattr(args, "workers", 0) < 0:
        raise ConfigError(f"--workers {args.workers}: must be 0 (all cores) or more")
    folder, manifest = output_paths(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    report_path = args.report or folder / REPORT
    report = ImportReport(args.layout, str(args.source))
    records = args.layout_module.import_dataset(args.source, folder, args, report)
    # A layout may already have done this; here it is a guarantee for every layout.
    records = first_of_each_id(records, report)
    write_manifest(records, manifest)
    report.imported = len(records)
    report.write_json(report_path)
    for line in summary(records, manifest, report, report_path):
        print(line)
    if not records:
        raise ManifestError(f"{args.source}: no usable clip (see {report_path})")
    return 1 if report.problems else 0


def output_paths(out: Path) -> tuple[Path, Path]:
    """(folder, manifest path) for `--out`."""
    if out.suffix.lower() in MANIFEST_SUFFIXES:
        return out.parent, out
    return out, out / MANIFEST


def summary(records, manifest: Path, report, report_path: Path) -> list[str]:
    counts = Counter(r.split for r in records)
    splits = ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))
    lines = [f"{len(records)} clips ({splits or 'none'}) → {manifest}"]
    if report.problems:
        lines.append(f"{len(report.problems)} problems (all of them in {report_path}):")
        lines.extend(f"  {line}" for line in report.summary_lines())
    return lines
