"""WLASL300 isolated-sign recognition from hand landmarks: signclip against what a user would
train instead, on the same features, in one run.

1. `signclip import wlasl-landmarks` turns the landmark arrays into .pose files.
2. signclip trains contrastively (`--config`, default `small-data`) on the train split. Its best
   checkpoint is chosen on a dev split: with `--eval-split val`, one clip of every gloss with at
   least six training clips, carved from train; with `--eval-split test`, the official val split.
3. The best checkpoint recognises the evaluation clips among all glosses of the class list:
   zero-shot from the gloss prompts, few-shot prototypes, and the linear probe (`recognize`).
4. Baselines on the same features (the model folder's pose preset): a bidirectional GRU trained
   with cross-entropy on every training clip, dev included, for a fixed number of epochs, and
   cosine 1-NN on the raw features (`recognition_baselines.py`).

The last line printed is `RESULT signclip_top1=... signclip_top5=... supervised_top1=...
knn_top1=...`, where signclip's figures are those of its best method (named on the line above).

    python benchmarks/wlasl.py [--data DIR] [--eval-split val|test] [--work DIR]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from recognition_baselines import nearest_neighbour_scores, supervised_scores
from work_folder import in_work_folder

from signclip.cli.main import main as signclip_main
from signclip.config import DataConfig, load_config
from signclip.data.prepared import prepare_data
from signclip.evaluation.class_list import read_class_list
from signclip.evaluation.recognition import RecognitionOptions, class_labels, recognize
from signclip.evaluation.recognition_metrics import (
    classification_metrics,
    format_recognition_table,
)
from signclip.inference import SignCLIPEncoder
from signclip.training.loop import train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wlasl300-hands"
CLASS_LIST = "wlasl_class_list.txt"
# The importer's names for the split file's subsets.
EVAL_SPLITS = {"val": "dev", "test": "test"}
# A gloss gives a clip to the carved dev split only if it keeps at least five for training.
CARVE_MIN_CLIPS = 6
SHOTS = (1, 5, 100)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="WLASL landmark folder")
    parser.add_argument("--eval-split", choices=sorted(EVAL_SPLITS), default="val")
    parser.add_argument(
        "--work", type=Path, help="folder for the .pose files, cache and run (default: temporary)"
    )
    parser.add_argument("--config", default="small-data", help="signclip preset or YAML file")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a key of the signclip config, repeatable",
    )  # fmt: skip
    parser.add_argument("--gru-epochs", type=int, default=60, help="epochs of the GRU baseline")
    parser.add_argument("--seed", type=int, default=0, help="seed of the dev carving and the GRU")
    return parser.parse_args(argv)


def import_poses(data: Path, work: Path) -> Path:
    """The importer's manifest in `work/import` (reused when a previous run left it)."""
    manifest = work / "import" / "manifest.csv"
    if not manifest.is_file():
        # Exit 1 also means "imported, with problems reported" (frames where no hand was
        # detected, in most WLASL clips): the manifest then holds every usable clip.
        signclip_main(
            ["import", "wlasl-landmarks", str(data), "--out", str(work / "import"), "--fps",
             "action", "--no-progress"]
        )  # fmt: skip
        if not manifest.is_file():
            raise SystemExit(f"wlasl: importing {data} failed")
    return manifest


def benchmark_manifest(imported: Path, eval_split: str, seed: int, out: Path) -> Path:
    """train / dev / test splits for this run; see the module docstring for the dev split."""
    with imported.open(newline="") as f:
        rows = list(csv.DictReader(f))
    evaluated = EVAL_SPLITS[eval_split]
    kept = []
    by_gloss = defaultdict(list)
    for row in rows:
        if row["split"] == evaluated:
            kept.append({**row, "split": "test"})
        elif row["split"] == "train":
            kept.append(row)
            by_gloss[row["text"]].append(row)
        elif row["split"] == "dev" and eval_split == "test":
            kept.append(row)
    if not any(r["split"] == "test" for r in kept):
        raise SystemExit(f"wlasl: {imported} has no clips of the {eval_split} split")
    if eval_split == "val":
        rng = random.Random(seed)
        for gloss in sorted(by_gloss):
            if len(by_gloss[gloss]) >= CARVE_MIN_CLIPS:
                rng.choice(by_gloss[gloss])["split"] = "dev"
    path = out / f"manifest-{eval_split}.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        # Pose paths are relative to the manifest's folder: point them at the import.
        for row in kept:
            writer.writerow({**row, "pose": str((imported.parent / row["pose"]).resolve())})
    return path


def signclip_results(model: Path, manifest: Path, classes: tuple[str, ...], cache: Path) -> dict:
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    data = prepare_data(DataConfig(manifest=str(manifest), cache_dir=str(cache)),
                        encoder.pose_config, progress=False)  # fmt: skip
    options = RecognitionOptions(
        train_split="train", test_split="test", shots=SHOTS, classes=classes,
        methods=("zero-shot", "few-shot", "prompt+prototype", "probe"), progress=False,
    )  # fmt: skip
    return recognize(encoder, data, options, str(manifest))["methods"]


def baseline_results(
    model: Path, manifest: Path, classes: tuple[str, ...], cache: Path, gru_epochs: int, seed: int
) -> dict:
    """The GRU and 1-NN on the model's own features, trained on train and dev together."""
    pose_config = SignCLIPEncoder.from_pretrained(model, device="cpu").pose_config
    data = prepare_data(DataConfig(manifest=str(manifest), cache_dir=str(cache)), pose_config,
                        progress=False)  # fmt: skip
    train_rows = np.concatenate([data.split_indices("train"), data.split_indices("dev")])
    test_rows = data.split_indices("test")
    y_train = class_labels([data.records[i] for i in train_rows], list(classes))
    y_test = class_labels([data.records[i] for i in test_rows], list(classes))
    x_train = [np.asarray(data.cache.get(i)) for i in train_rows]
    x_test = [np.asarray(data.cache.get(i)) for i in test_rows]
    results = {}
    started = time.perf_counter()
    knn = nearest_neighbour_scores(x_train, y_train, x_test, len(classes))
    results["raw 1-NN"] = classification_metrics(knn, y_test, list(classes))
    print(f"raw 1-NN: {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    gru = supervised_scores(x_train, y_train, x_test, len(classes), epochs=gru_epochs, seed=seed)
    results[f"GRU, {gru_epochs} epochs"] = classification_metrics(gru, y_test, list(classes))
    print(f"GRU: {time.perf_counter() - started:.0f} s", flush=True)
    return results


def run(args: argparse.Namespace, work: Path) -> None:
    started = time.perf_counter()
    classes = read_class_list(args.data / CLASS_LIST)
    manifest = benchmark_manifest(import_poses(args.data, work), args.eval_split, args.seed, work)
    cache = work / "cache"
    print(f"import: {time.perf_counter() - started:.0f} s; {len(classes)} classes", flush=True)

    cfg = load_config(args.config, [
        f"data.manifest={manifest}", f"data.cache_dir={cache}",
        f"train.out_dir={work / 'run'}", "train.progress=false", *args.overrides,
    ])  # fmt: skip
    trained = time.perf_counter()
    model = train(cfg).best
    print(f"signclip training: {time.perf_counter() - trained:.0f} s", flush=True)
    ours = signclip_results(model, manifest, classes, cache)
    theirs = baseline_results(model, manifest, classes, cache, args.gru_epochs, args.seed)

    print(f"\nWLASL {args.eval_split}, {len(classes)} classes, config {args.config} "
          f"{' '.join(args.overrides)}".rstrip())  # fmt: skip
    print(format_recognition_table({**{f"signclip {k}": v for k, v in ours.items()}, **theirs}))
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    best = max(ours, key=lambda method: ours[method]["top1"])
    gru = next(v for k, v in theirs.items() if k.startswith("GRU"))
    print(f"signclip's best method: {best}")
    print(
        f"RESULT signclip_top1={ours[best]['top1']:.4f} signclip_top5={ours[best]['top5']:.4f} "
        f"supervised_top1={gru['top1']:.4f} knn_top1={theirs['raw 1-NN']['top1']:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.data / CLASS_LIST).is_file():
        print(f"wlasl: no {CLASS_LIST} in {args.data} (--data names the landmark folder)",
              file=sys.stderr)  # fmt: skip
        return 1
    in_work_folder(args.work, "wlasl-", lambda work: run(args, work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
