"""signclip eval: retrieval metrics of a saved model on a split of a manifest."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from signclip.cli.prompt_option import add_prompt_option
from signclip.config import DataConfig

HELP = "evaluate text→pose and pose→text retrieval on a split of a manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--manifest", required=True, help="CSV or JSONL manifest")
    parser.add_argument("--split", default="test", help="split to evaluate (default: test)")
    parser.add_argument("--out", help="write the metrics as JSON here")
    parser.add_argument("--cache-dir", help="feature cache root (default: ~/.cache/signclip)")
    add_prompt_option(parser)
    parser.add_argument("--device", default="auto")


def run(args: argparse.Namespace) -> int:
    from signclip.data.prepared import prepare_data, require_split
    from signclip.evaluation.evaluate import evaluate_clips
    from signclip.evaluation.retrieval import format_table
    from signclip.inference import SignCLIPEncoder

    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device, prompt=args.prompt)
    data_cfg = DataConfig(
        manifest=args.manifest, cache_dir=args.cache_dir, prompt=encoder.contract.prompt
    )
    data = prepare_data(data_cfg, encoder.pose_config)
    indices = require_split(data, args.split, args.manifest)
    metrics = evaluate_clips(encoder, data, indices)
    metrics["prompt"] = encoder.contract.prompt
    metrics["skipped_clips"] = [
        {"id": cid, "path": str(path), "reason": why} for cid, path, why in data.report.failures
    ]
    print(
        f"{args.split}: {metrics['clips']} clips, {metrics['texts']} distinct texts, "
        f"prompts like {data.prompts[0]!r}"
    )
    print(format_table(metrics))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(metrics, indent=1))
        print(f"written: {args.out}")
    return 0
