"""signclip finetune: continue contrastive training of a saved model, then measure recognition."""

from __future__ import annotations

import argparse
import json
import os

from signclip.cli.overrides import add_overrides

HELP = "fine-tune a saved model on a downstream manifest, then report zero-shot recognition"

# Config sections a fine-tuning run takes from the model folder, never from overrides.
FIXED = ("model", "pose")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="saved model folder to start from")
    parser.add_argument("--manifest", required=True, help="downstream CSV or JSONL manifest")
    parser.add_argument(
        "--config", default="finetune", help="recipe: a YAML file or preset (default: finetune)"
    )
    add_overrides(parser, "--set train.out_dir=runs/ft --set train.epochs=5")
    parser.add_argument(
        "--test-split", default="test", help="split whose glosses are recognised after training"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue the run in train.out_dir where it stopped"
    )


def run(args: argparse.Namespace) -> int:
    from signclip.config import load_config
    from signclip.data.manifest import read_manifest
    from signclip.errors import ConfigError, ManifestError
    from signclip.training.loop import train
    from signclip.training.pretrained import config_from_folder

    fixed = [o for o in args.overrides if o.split("=", 1)[0].strip().split(".")[0] in FIXED]
    if fixed:
        raise ConfigError(
            f"override {fixed[0]!r}: the model and pose settings come from --model's folder"
        )
    cfg = load_config(args.config, [*args.overrides, f"data.manifest={args.manifest}"])
    cfg = config_from_folder(cfg, args.model, keep_prompt=_sets_prompt(args))
    # The test split must be unseen: neither trained on nor used to pick the best checkpoint.
    if args.test_split in (cfg.data.train_split, cfg.data.val_split):
        raise ConfigError(
            f"--test-split {args.test_split!r} is also the training or validation split "
            f"({cfg.data.train_split!r}, {cfg.data.val_split!r}): recognition would be scored "
            "on clips the run learned from or chose its checkpoint with"
        )
    # Checked before training, so a manifest without the test split costs nothing.
    splits = {r.split for r in read_manifest(args.manifest)}
    for split in (cfg.data.train_split, args.test_split):
        if split not in splits:
            raise ManifestError(
                f"{args.manifest}: no clips in split {split!r} (splits: {sorted(splits)})"
            )
    folder = train(cfg, resume=args.resume)
    if int(os.environ.get("RANK", "0")) != 0:
        return 0  # under torchrun, one process evaluates and reports
    result = recognition_after_training(cfg, folder.model, args.test_split)
    out = folder.path / "recognition.json"
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"model: {folder.model}")
    print(f"recognition: {out}")
    return 0


def _sets_prompt(args: argparse.Namespace) -> bool:
    """Whether the user chose the prompt (`--set data.prompt=...` or a recipe that sets one);
    otherwise fine-tuning keeps the template the model folder was trained with."""
    from signclip.config import DataConfig, load_config

    if any(o.split("=", 1)[0].strip() == "data.prompt" for o in args.overrides):
        return True
    return load_config(args.config).data.prompt != DataConfig().prompt


def recognition_after_training(cfg, model_folder, test_split: str) -> dict:
    """Zero-shot recognition (pose→text R@1 over the class prompts) of the fine-tuned model, with
    the prompt template it was trained with."""
    from signclip.cli.recognize import print_report
    from signclip.data.prepared import prepare_data
    from signclip.evaluation.recognition import RecognitionOptions, recognize
    from signclip.inference import SignCLIPEncoder

    encoder = SignCLIPEncoder.from_pretrained(model_folder, device=cfg.train.device)
    data = prepare_data(cfg.data, encoder.pose_config, progress=cfg.train.progress)
    options = RecognitionOptions(
        train_split=cfg.data.train_split,
        test_split=test_split,
        templates=(cfg.data.prompt,),
        methods=("zero-shot",),
        progress=cfg.train.progress,
    )
    result = recognize(encoder, data, options, cfg.data.manifest)
    result = {"model": str(model_folder), "manifest": cfg.data.manifest, **result}
    result["skipped_clips"] = [
        {"id": cid, "path": str(path), "reason": why} for cid, path, why in data.report.failures
    ]
    print_report(result)
    return result
