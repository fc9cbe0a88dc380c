"""signclip analyze: latent-space analysis of a saved model on a manifest (PNG figures + JSON)."""

from __future__ import annotations

import argparse
from pathlib import Path

from signclip.cli.prompt_option import add_prompt_option
from signclip.config import DataConfig
from signclip.errors import SignclipError

HELP = "latent-space analysis: 2-D maps, concept spread, analogies, sign-language identification"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--manifest", required=True, help="CSV or JSONL manifest")
    parser.add_argument("--split", help="analyse only this split (default: every row)")
    parser.add_argument(
        "--out", help="folder for the figures and analysis.json (default: MODEL/analysis)"
    )
    parser.add_argument(
        "--method",
        default="tsne",
        choices=("tsne", "umap", "pca"),
        help="2-D map method (tsne needs the 'analysis' extra, umap needs umap-learn)",
    )
    parser.add_argument(
        "--analogy",
        action="append",
        default=[],
        metavar="TERMS",
        help="extra probe a − b + c: 'A:X,B:X,B:Y' (language:concept) or three texts "
        "'king,man,woman' (repeatable)",
    )
    parser.add_argument(
        "--max-analogies", type=int, default=50, help="default probes drawn (0: none)"
    )
    add_prompt_option(parser)
    parser.add_argument("--cache-dir", help="feature cache root (default: ~/.cache/signclip)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from signclip.analysis.analogy import check_terms
    from signclip.analysis.maps import require_method
    from signclip.analysis.report import AnalysisOptions, analyze, embed_clips, parse_analogies
    from signclip.data.prepared import prepare_data, require_split
    from signclip.inference import SignCLIPEncoder

    if args.max_analogies < 0:
        raise SignclipError(f"--max-analogies {args.max_analogies}: must be >= 0")
    require_method(args.method)
    probes, free_texts = parse_analogies(args.analogy)
    out = Path(args.out) if args.out else Path(args.model) / "analysis"
    if out.exists() and not out.is_dir():  # refused before the model loads and clips embed
        raise SignclipError(f"--out {out}: is a file, not a folder")
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device, prompt=args.prompt)
    options = AnalysisOptions(
        method=args.method,
        probes=probes,
        free_texts=free_texts,
        max_analogies=args.max_analogies,
        seed=args.seed,
    )
    prompt = encoder.contract.prompt
    data_cfg = DataConfig(manifest=args.manifest, cache_dir=args.cache_dir, prompt=prompt)
    data = prepare_data(data_cfg, encoder.pose_config, progress=not args.no_progress)
    if args.split:
        indices = require_split(data, args.split, args.manifest)
    else:
        indices = np.arange(len(data.records), dtype=np.int64)
    # Checked before the clips are embedded, so a typo costs seconds, not the whole run.
    check_terms(probes, {(data.records[i].sign_language, data.records[i].text) for i in indices})
    embedded = embed_clips(encoder, data, indices, prompt)
    report = analyze(encoder, embedded, options, out)
    _summary(report, len(data.report.failures), out)
    return 0


def _summary(report: dict, skipped: int, out: Path) -> None:
    ident = report["language_id"]
    print(
        f"{report['clips']} clips ({skipped} unusable skipped); sign-language identification "
        f"from prompts alone: accuracy {ident['accuracy']:.3f} (chance "
        f"{ident['chance_uniform']:.3f}, majority {ident['chance_majority']:.3f})"
    )
    ranking = report["concept_spread"]
    if ranking:
        lowest = ", ".join(f"{r['concept']} {r['spread']:.3f}" for r in ranking[:5])
        print(f"lowest spread across sign languages (candidate iconic signs): {lowest}")
    for space in ("pose", "text"):
        summary = report["analogies"][space]["summary"]
        if summary["top1"] is not None:
            print(
                f"analogies on {space} embeddings: top-1 {summary['top1']:.3f}, MRR "
                f"{summary['mrr']:.3f} over {summary['with_answer']} probes (chance "
                f"{summary['top1_chance']:.3f})"
            )
    print(f"written: {out} ({', '.join(report['figures'])}, analysis.json)")
