"""signclip demo: the whole system on generated data, on CPU, in a few minutes."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "generate a dictionary, train, evaluate on held-out signers, search, write a report"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="folder for everything the demo makes")
    parser.add_argument("--concepts", type=int, default=40)
    parser.add_argument("--languages", type=int, default=3)
    parser.add_argument("--signers", type=int, default=12, help="split 70/15/15 by signer")
    parser.add_argument(
        "--clips-per-sign", type=int, default=5, help="signers per (concept, language)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, help="override the demo preset's epochs")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import shutil

    from signclip.demo import DemoSettings, print_result, run_demo
    from signclip.demo_report import write_report

    out = Path(args.out)
    # A demo always starts from scratch: an earlier demo's run folder would refuse a new run.
    if out.exists():
        shutil.rmtree(out)
    settings = DemoSettings(
        out=out,
        concepts=args.concepts,
        languages=args.languages,
        signers=args.signers,
        clips_per_sign=args.clips_per_sign,
        seed=args.seed,
        epochs=args.epochs,
        workers=args.workers,
        progress=not args.no_progress,
    )
    result = run_demo(settings)
    print_result(result)
    report = write_report(result, out / "report")
    print(f"report: {report}")
    print(f"time: {result.seconds['total']:.0f} s")
    return 0
