"""signclip recognize: isolated-sign recognition of a saved model, zero-shot, few-shot and probe."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "isolated-sign recognition on frozen embeddings: zero-shot, few-shot, k-NN, linear probe"

METHOD_CHOICES = ("zero-shot", "few-shot", "knn", "prompt+prototype", "probe")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder")
    parser.add_argument("--manifest", required=True, help="CSV or JSONL manifest")
    parser.add_argument("--train-split", default="train", help="support / probe split")
    parser.add_argument(
        "--test-split", default="test", help="split to recognise; its glosses are the classes"
    )
    parser.add_argument(
        "--template",
        dest="templates",
        action="append",
        metavar="TEMPLATE",
        help="zero-shot prompt, repeatable (embeddings averaged); placeholders {gloss} (or "
        "{text}), {spoken_language}, {sign_language}; default: the model folder's own",
    )
    parser.add_argument(
        "--classes",
        metavar="FILE",
        help="the vocabulary to choose from, one gloss per line (or 'index<TAB>gloss' lines, as "
        "in WLASL's class list); default: the test split's glosses",
    )
    parser.add_argument(
        "--shots", type=int, nargs="+", default=[1, 5, 10, 100], help="support clips per class"
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the support draw")
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=METHOD_CHOICES,
        default=list(METHOD_CHOICES),
        help="few-shot: mean similarity to the support clips; knn: k-NN on z-scored features; "
        "prompt+prototype: cosine to the class prompt plus cosine to the support clips' mean",
    )
    parser.add_argument(
        "--probe-c",
        type=float,
        default=1.0,
        help="inverse L2 strength of the linear probe (default 1, the paper's)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="refuse when a signer is in both splits"
    )
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--cache-dir", help="feature cache root (default: ~/.cache/signclip)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def run(args: argparse.Namespace) -> int:
    from signclip.config import DataConfig
    from signclip.data.prepared import prepare_data
    from signclip.evaluation.class_list import read_class_list
    from signclip.evaluation.recognition import RecognitionOptions, check_options, recognize
    from signclip.inference import SignCLIPEncoder

    options = RecognitionOptions(
        train_split=args.train_split,
        test_split=args.test_split,
        templates=tuple(args.templates or ()),
        shots=tuple(dict.fromkeys(args.shots)),
        seed=args.seed,
        methods=tuple(dict.fromkeys(args.methods)),
        probe_c=args.probe_c,
        classes=read_class_list(Path(args.classes)) if args.classes else (),
        strict=args.strict,
        progress=not args.no_progress,
    )
    check_options(options)  # before the model loads and the cache builds
    encoder = SignCLIPEncoder.from_pretrained(args.model, device=args.device)
    data_cfg = DataConfig(manifest=args.manifest, cache_dir=args.cache_dir)
    data = prepare_data(data_cfg, encoder.pose_config, progress=options.progress)
    result = recognize(encoder, data, options, args.manifest)
    result = {"model": str(args.model), "manifest": str(args.manifest), **result}
    result["skipped_clips"] = [
        {"id": cid, "path": str(path), "reason": why} for cid, path, why in data.report.failures
    ]
    print_report(result)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False))
        print(f"written: {args.out}")
    return 0


def print_report(result: dict) -> None:
    from signclip.evaluation.recognition_metrics import format_recognition_table

    for warning in result["warnings"]:
        print(f"warning: {warning}")
    print(
        f"{result['test_split']}: {result['test_clips']} clips, {result['classes']} classes; "
        f"{result['train_split']}: {result['train_clips_of_test_classes']} clips of those classes"
    )
    missing = result["classes_without_train_clips"]
    if missing:
        print(
            f"{len(missing)} class(es) have no {result['train_split']} clip: few-shot, k-NN and "
            "the probe count their clips as misses"
        )
    short = {
        m["shots"]: len(m["classes_short_of_shots"])
        for m in result["methods"].values()
        if m.get("classes_short_of_shots")
    }
    for shots, count in short.items():
        print(f"k={shots}: {count} class(es) had fewer than {shots} clips and used all they had")
    if result["skipped_clips"]:
        print(f"skipped {len(result['skipped_clips'])} unusable clip(s)")
    print(format_recognition_table(result["methods"]))
