"""signclip demo: the whole system on generated data, on CPU, in a few minutes."""

from __future__ import annotations

import argparse
import dataclasses
import shutil
from pathlib import Path

from signclip.errors import SignclipError

HELP = "generate a dictionary, train, evaluate on held-out signers, search, write a report"


MARKER = ".signclip-demo"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="runs/demo", help="folder for everything the demo makes")
    # Unset options keep the demo's own dictionary size (signclip.demo.DemoSettings).
    parser.add_argument("--concepts", type=int)
    parser.add_argument("--languages", type=int)
    parser.add_argument("--signers", type=int, help="split 70/15/15 by signer")
    parser.add_argument("--clips-per-sign", type=int, help="signers per (concept, language)")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--epochs", type=int, help="override the demo preset's epochs")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: all cores)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def fresh_folder(out: Path) -> None:
    """Empty `out` for a new demo, but only if an earlier demo made it: never delete a folder
    the user pointed at by mistake."""
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise SignclipError(f"--out {out}: not empty and not made by signclip demo")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("made by signclip demo; the next demo run empties this folder\n")


def run(args: argparse.Namespace) -> int:
    from signclip.demo import DemoSettings, print_result, run_demo
    from signclip.demo_report import write_report

    out = Path(args.out)
    fresh_folder(out)
    default = DemoSettings(out=out)
    chosen = {
        "concepts": args.concepts,
        "languages": args.languages,
        "signers": args.signers,
        "clips_per_sign": args.clips_per_sign,
        "seed": args.seed,
    }
    spec = dataclasses.replace(default.spec, **{k: v for k, v in chosen.items() if v is not None})
    settings = dataclasses.replace(
        default,
        spec=spec,
        epochs=args.epochs,
        workers=args.workers,
        progress=not args.no_progress,
    )
    result = run_demo(settings)
    print_result(result)
    report = write_report(result, out / "report")
    print(f"report: {report}")
    print(f"time: {result.seconds['total']:.0f} s")
    print("\ntry it:")
    for command in result.try_commands():
        print(f"  {command}")
    return 0
