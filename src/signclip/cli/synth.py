"""signclip synth: generate a sign-language dictionary of MediaPipe Holistic `.pose` clips."""

from __future__ import annotations

import argparse

HELP = "generate a synthetic sign-language dictionary (.pose files and a manifest)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder for poses/, manifest.csv, synth.json")
    parser.add_argument("--concepts", type=int, default=50, help="concepts (English words)")
    parser.add_argument("--languages", type=int, default=3, help="sign languages")
    parser.add_argument("--signers", type=int, default=10, help="signers (split by signer)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same files")
    parser.add_argument("--workers", type=int, default=0, help="processes (0: all cores)")
    parser.add_argument(
        "--iconicity", type=float, default=0.3, help="share of concepts signed alike everywhere"
    )
    parser.add_argument(
        "--clips-per-sign", type=int, default=3, help="signers per (concept, language)"
    )
    parser.add_argument(
        "--minimal-pairs", type=float, default=0.1, help="share of near-copies of other signs"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from signclip.synth.dataset import SynthSpec
    from signclip.synth.generate import generate_dataset

    spec = SynthSpec(
        concepts=args.concepts,
        languages=args.languages,
        signers=args.signers,
        seed=args.seed,
        iconicity=args.iconicity,
        clips_per_sign=args.clips_per_sign,
        minimal_pairs=args.minimal_pairs,
    )
    report = generate_dataset(args.out, spec, workers=args.workers, progress=not args.no_progress)
    splits = ", ".join(f"{name} {n}" for name, n in report.splits.items())
    print(
        f"{report.clips} clips ({splits}), {report.frames} frames, "
        f"{report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s"
    )
    print(f"manifest: {report.manifest}")
    return 0
