"""signclip data: look at a dataset. `signclip data stats MANIFEST` counts its clips per sign
language, concept, split and signer, measures clip lengths and missing hands, and writes the
numbers as a table, a JSON file and PNG figures."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "dataset tools: `data stats MANIFEST` (clips, lengths, missing hands; table, JSON, plots)"
STATS_JSON = "stats.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", required=True, metavar="TOOL")
    stats = sub.add_parser(
        "stats",
        help="statistics of a manifest's clips, as a table, stats.json and PNG plots",
        description="Clips per sign language, concept, split and signer; clip lengths; "
        "fractions of frames with the left, right or both hands missing.",
    )
    stats.add_argument("manifest", type=Path, help="a manifest (.csv or .jsonl)")
    stats.add_argument(
        "--out", type=Path, help="folder for stats.json and the plots (default: none written)"
    )
    stats.add_argument(
        "--cache-dir",
        type=Path,
        help="keep each pose file's summary here, so a rerun reads only new or changed files",
    )
    stats.add_argument(
        "--workers", type=int, default=0, help="processes reading pose files (0: all cores)"
    )
    stats.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import json

    from signclip.data.manifest import read_manifest
    from signclip.data.stats import compute_stats, read_summaries, summary_lines
    from signclip.errors import ConfigError

    if args.workers < 0:
        raise ConfigError(f"--workers {args.workers}: must be 0 (all cores) or more")
    # Refused before the work, not after it, when a folder would have to be made there.
    for option, folder in (("--out", args.out), ("--cache-dir", args.cache_dir)):
        if folder is not None and Path(folder).exists() and not Path(folder).is_dir():
            raise ConfigError(f"{option} {folder}: is a file, not a folder")
    records = read_manifest(args.manifest)
    summaries, unreadable = read_summaries(
        records, args.workers, args.cache_dir, progress=not args.no_progress
    )
    stats = compute_stats(records, summaries, unreadable)
    for line in summary_lines(stats):
        print(line)
    if args.out is not None:
        from signclip.data.stats_plots import write_plots

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / STATS_JSON).write_text(json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
        plots = write_plots(stats, args.out)
        print(f"→ {args.out / STATS_JSON}, {', '.join(p.name for p in plots)}")
    return 0
