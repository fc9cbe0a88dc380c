"""What transfers to a sign language held out of training: the fingerspelling letters.

The lexicon holds the letters of five sign languages. Each language in turn is held out: signclip
trains on the other four, then recognises the held-out language's clips among its own letters
- zero-shot, from the prompts of its letters in its own language tag;
- by pose 1-NN: the letter of the most similar training clip (another language's clip of the same
  letter), on the model's embeddings.

The model-free baseline is the same 1-NN on raw hand shape: the fingers of the hand seen most,
relative to its wrist and divided by the hand size (the `hands` preset without depth), a left
hand mirrored, averaged over the clip (a letter is mostly one held shape; on these clips the mean
shape finds twice as many letters as the shape resampled to 16 frames). A letter no training clip
shows can be found zero-shot, never by 1-NN. Prints top-1 per held-out language and the mean
over the five.

    python benchmarks/fingerspelling_transfer.py [--config small-data] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np
from work_folder import in_work_folder

from signclip.cli.main import main as signclip_main
from signclip.config import DataConfig, PoseConfig, load_config
from signclip.data.prepared import PreparedData, prepare_data
from signclip.evaluation.recognition import class_labels, embed_rows, zero_shot_scores
from signclip.evaluation.recognition_metrics import classification_metrics
from signclip.inference import SignCLIPEncoder
from signclip.pose.components import HAND_POINTS, LEFT_HAND, RIGHT_HAND, get_point_set
from signclip.training.loop import train

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "fingerspelling"
RAW_SHAPE = PoseConfig(preset="hands", depth="drop")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the lexicon's folder")
    parser.add_argument("--config", default="small-data", help="signclip preset or YAML file")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a key of the signclip config, repeatable",
    )  # fmt: skip
    parser.add_argument("--work", type=Path, help="folder for manifests and runs (default: temp)")
    return parser.parse_args(argv)


def fold_manifest(imported: Path, held_out: str, out: Path) -> Path:
    with imported.open(newline="") as f:
        rows = list(csv.DictReader(f))
    path = out / f"holdout-{held_out}.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            split = "test" if row["sign_language"] == held_out else "train"
            pose = (imported.parent / row["pose"]).resolve()
            writer.writerow({**row, "split": split, "pose": str(pose)})
    return path


def nearest_scores(train: np.ndarray, labels: np.ndarray, test: np.ndarray, classes: int):
    """Cosine 1-NN on embeddings: a class scores its most similar training clip."""
    unit = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True).clip(min=1e-12)  # noqa: E731
    similarity = unit(test) @ unit(train).T
    scores = np.full((len(test), classes), -np.inf)
    for c in range(classes):
        if (labels == c).any():
            scores[:, c] = similarity[:, labels == c].max(axis=1)
    return scores


def split_parts(data: PreparedData) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    train_rows, test_rows = data.split_indices("train"), data.split_indices("test")
    classes = list(dict.fromkeys(data.records[i].text for i in test_rows))
    target = class_labels([data.records[i] for i in test_rows], classes)
    return train_rows, test_rows, classes, target


def hand_shape(clip: np.ndarray) -> np.ndarray:
    """[T, F] features of RAW_SHAPE -> [1, 40]: the mean finger offsets of the hand seen most
    (missing points are 0 in the features), x negated for a left hand."""
    points = get_point_set(RAW_SHAPE.preset)
    xy = clip.reshape(len(clip), -1, 2)
    shapes = []
    for hand in (LEFT_HAND, RIGHT_HAND):
        fingers = [points.index_of(hand, name) for name in HAND_POINTS[1:]]
        shapes.append(xy[:, fingers])
    left, right = shapes
    if np.abs(left).sum() > np.abs(right).sum():
        return (left * np.array([-1.0, 1.0])).mean(axis=0).reshape(1, -1)
    return right.mean(axis=0).reshape(1, -1)


def raw_top1(manifest: Path, cache: Path) -> float:
    data = prepare_data(DataConfig(manifest=str(manifest), cache_dir=str(cache)), RAW_SHAPE,
                        progress=False)  # fmt: skip
    train_rows, test_rows, classes, target = split_parts(data)
    labels = class_labels([data.records[i] for i in train_rows], classes)
    shape = lambda rows: np.concatenate([hand_shape(data.cache.get(i)) for i in rows])  # noqa: E731
    scores = nearest_scores(shape(train_rows), labels, shape(test_rows), len(classes))
    return classification_metrics(scores, target, classes)["top1"]


def signclip_top1(args: argparse.Namespace, manifest: Path, cache: Path, run: Path) -> dict:
    cfg = load_config(args.config, [
        f"data.manifest={manifest}", f"data.cache_dir={cache}", f"train.out_dir={run}",
        "train.progress=false", "data.val_split=none", *args.overrides,
    ])  # fmt: skip
    model = train(cfg).last  # no dev split here: the last epoch is the model
    encoder = SignCLIPEncoder.from_pretrained(model, device="cpu")
    data = prepare_data(DataConfig(manifest=str(manifest), cache_dir=str(cache)),
                        encoder.pose_config, progress=False)  # fmt: skip
    train_rows, test_rows, classes, target = split_parts(data)
    test_records = [data.records[i] for i in test_rows]
    test_emb = embed_rows(encoder, data, test_rows, "test", progress=False)
    train_emb = embed_rows(encoder, data, train_rows, "train", progress=False)
    labels = class_labels([data.records[i] for i in train_rows], classes)
    zero = zero_shot_scores(encoder, test_emb, test_records, classes, [encoder.contract.prompt])
    nearest = nearest_scores(train_emb, labels, test_emb, len(classes))
    return {
        "zero-shot": classification_metrics(zero, target, classes)["top1"],
        "pose 1-NN": classification_metrics(nearest, target, classes)["top1"],
    }


def run(args: argparse.Namespace, work: Path) -> None:
    started = time.perf_counter()
    imported = work / "manifest.csv"
    code = signclip_main(["import", "fingerspelling", str(args.data / "index.csv"), "--out",
                          str(imported)])  # fmt: skip
    if code != 0:
        raise SystemExit(f"fingerspelling_transfer: importing {args.data} failed")
    with imported.open(newline="") as f:
        languages = sorted({row["sign_language"] for row in csv.DictReader(f)})
    rows = {}
    for language in languages:
        manifest = fold_manifest(imported, language, work)
        rows[language] = {"raw hand-shape 1-NN": raw_top1(manifest, work / "cache")}
        rows[language].update(signclip_top1(args, manifest, work / "cache", work / language))
        print(language, {k: round(v, 3) for k, v in rows[language].items()}, flush=True)
    methods = list(rows[languages[0]])
    print(f"\nheld-out top-1, config {args.config} {' '.join(args.overrides)}".rstrip())
    print(" | ".join(["held out", *methods]))
    for language, row in rows.items():
        print(" | ".join([language, *(f"{row[m]:.3f}" for m in methods)]))
    means = {m: float(np.mean([row[m] for row in rows.values()])) for m in methods}
    print(" | ".join(["mean", *(f"{means[m]:.3f}" for m in methods)]))
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    print(
        f"RESULT zero_shot={means['zero-shot']:.4f} pose_1nn={means['pose 1-NN']:.4f} "
        f"raw_1nn={means['raw hand-shape 1-NN']:.4f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not (args.data / "index.csv").is_file():
        print(f"fingerspelling_transfer: no index.csv in {args.data}", file=sys.stderr)
        return 1
    in_work_folder(args.work, "fingerspelling-", lambda work: run(args, work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
