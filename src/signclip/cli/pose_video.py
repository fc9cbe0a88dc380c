"""signclip pose: MediaPipe Holistic `.pose` files from videos, many at once, resumable."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "extract MediaPipe Holistic poses from videos into .pose files (needs signclip[video])"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("videos", nargs="+", metavar="VIDEO", help="video files (mp4, mov, ...)")
    parser.add_argument("--out", required=True, help="folder for the <video stem>.pose files")
    parser.add_argument(
        "--workers", type=int, default=0, help="worker processes (default 0: all cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--report", help="JSON report of the failures (default: OUT/pose-report.json)"
    )


def run(args: argparse.Namespace) -> int:
    from signclip.data.formats.report import ImportReport
    from signclip.errors import ConfigError
    from signclip.video.jobs import SKIPPED, WRITTEN, extract_videos, plan_jobs

    if args.workers < 0:
        raise ConfigError(f"--workers {args.workers}: must be 0 (all cores) or more")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    videos = [Path(v) for v in args.videos]
    report = ImportReport(layout="video", source=", ".join(args.videos))
    jobs = plan_jobs(videos, out, report)
    outcomes = extract_videos(jobs, args.workers, report, progress=not args.no_progress)
    report_path = Path(args.report) if args.report else out / "pose-report.json"
    report.write_json(report_path)
    written = sum(o.status == WRITTEN for o in outcomes)
    skipped = sum(o.status == SKIPPED for o in outcomes)
    failed = len(report.problems)
    print(f"{written} written, {skipped} already done, {failed} failed → {out}")
    for line in report.summary_lines():
        print(line)
    if report.problems:
        print(f"report: {report_path}")
    return 1 if report.problems else 0
