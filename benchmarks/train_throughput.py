"""Training throughput on the CPU through the real training step: pairs/s of small models.

Each model is trained by `signclip.training.loop.Trainer.train_step`, unchanged: BatchMaker
(feature cache + prompt tokens) -> augment_batch -> forward -> info_nce -> backward -> gradient
clip -> AdamW step. Two of the Trainer's attributes are wrapped with clocks (the BatchMaker and
`_augment`), which splits each step into data path, augmentation and model + optimizer. The data
path alone (BatchMaker over the same batches, no model) is timed too, for comparison.

Data: fake MediaPipe Holistic clips (`signclip.testing`) written to a temporary folder as `.pose`
files and a manifest, then cached as in training; or an existing manifest (--manifest).

    python benchmarks/train_throughput.py --help
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from signclip.batch import Batch
from signclip.config import Config, load_config
from signclip.data.manifest import ClipRecord, write_manifest
from signclip.distributed import DistState
from signclip.testing import fake_holistic_pose, pose_bytes
from signclip.training.loop import Trainer, build_trainer

# Preset and overrides of each benchmarked model. "small" is the default architecture at a third
# of its compute (width 256 instead of 384) with the real, pretrained MiniLM text tower, which
# ships offline; "tiny" is the test preset. Both get the default preset's augmentations so that
# augmentation is part of every measured step (the tiny preset has none of its own).
MODELS: dict[str, tuple[str, list[str]]] = {
    "tiny": (
        "tiny",
        ["augment.speed_std=0.2", "augment.affine_std=0.1", "augment.noise_std=0.001"],
    ),
    "small": (
        "default",
        [
            "model.pose_width=256",
            "model.pose_layers=4",
            "model.pose_heads=4",
            "model.pose_ffn=1024",
        ],
    ),
}
# Words the fake texts are made of: 1-3 words each, like the concept strings of a sign dictionary.
WORDS = (
    "house", "tree", "water", "go", "come", "eat", "drink", "book", "school", "friend",
    "family", "work", "red", "blue", "big", "small", "happy", "sad", "morning", "night",
    "car", "bus", "city", "name", "sign", "hand", "learn", "help", "want", "need",
)  # fmt: skip
SIGN_LANGUAGES = ("ase", "bfi", "gsg", "fsl", "ssp")


# --- fake data ---------------------------------------------------------------------------------


def fake_texts(count: int, rng: np.random.Generator) -> list[str]:
    """`count` distinct short texts (1-3 words; a number breaks the rare tie)."""
    texts: dict[str, None] = {}
    while len(texts) < count:
        text = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        texts[text if text not in texts else f"{text} {len(texts)}"] = None
    return list(texts)


def write_fake_clips(
    folder: Path, file_lengths: np.ndarray, num_clips: int, num_texts: int, seed: int = 0
) -> Path:
    """A manifest of `num_clips` train clips over len(file_lengths) distinct `.pose` files.

    Clip i reads file i % len(file_lengths): writing a file costs ~0.2 ms per frame, so a few
    hundred distinct recordings stand in for thousands of clips. Each clip is still its own cache
    row, so the cache and the data path see `num_clips` clips. Returns the manifest's path.
    """
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, length in enumerate(file_lengths.tolist()):
        path = folder / f"clip{i:05d}.pose"
        path.write_bytes(pose_bytes(fake_holistic_pose(int(length), seed=seed + i)))
        paths.append(path)
    texts = fake_texts(num_texts, rng)
    records = [
        ClipRecord(
            f"c{i:06d}",
            paths[i % len(paths)],
            texts[int(rng.integers(len(texts)))],
            "en",
            SIGN_LANGUAGES[i % len(SIGN_LANGUAGES)],
            "train",
        )
        for i in range(num_clips)
    ]
    manifest = folder / "manifest.csv"
    write_manifest(records, manifest)
    return manifest


# --- the instrumented trainer ------------------------------------------------------------------


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so a host clock measures it (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@dataclass
class StepTimes:
    """Sums over the steps of one measured phase: seconds, pairs and frames."""

    steps: int = 0
    pairs: int = 0
    wall: float = 0.0
    data: float = 0.0  # BatchMaker: crop + gather from the cache, token gather (host)
    transfer: float = 0.0  # host -> device copy, timed apart only with sync_pieces
    augment: float = 0.0
    real_frames: int = 0  # after augmentation
    padded_frames: int = 0  # frames the pose tower runs over, padding included
    step_seconds: list[float] = field(default_factory=list)

    @property
    def model(self) -> float:
        """Everything else in a step: forward, loss, backward, clip, AdamW, scheduler."""
        return self.wall - self.data - self.transfer - self.augment

    def add(self, other: StepTimes) -> None:
        """Fold another phase's sums into this one (a phase run in chunks, for progress lines)."""
        for name in ("steps", "pairs", "wall", "data", "transfer", "augment", "real_frames"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.padded_frames += other.padded_frames
        self.step_seconds += other.step_seconds

    def pairs_per_s(self) -> float:
        return self.pairs / self.wall

    def ms_per_step(self) -> float:
        return 1000 * self.wall / self.steps


class Instrumented:
    """Runs `Trainer.train_step` over the Trainer's own batch plan, timing its parts.

    The clocks replace two attributes of this one Trainer instance (`batches`, `_augment`);
    train_step itself is untouched, so the step timed is the one `signclip train` runs. With
    `sync_pieces` the device is synchronised around each part, so asynchronous GPU work is charged
    to the part that queued it (and the host can no longer run ahead: use it for the split only).
    """

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self.device = trainer.device
        self.maker = trainer.batches
        self.augment = trainer._augment
        self.sync_pieces = False
        self.times = StepTimes()
        trainer.batches = self._timed_batches
        trainer._augment = self._timed_augment
        self._plan = self._batches_forever()

    def resize(self, batch_size: int) -> None:
        """Train on batches of `batch_size` from now on (the Trainer's plan, recut)."""
        self.trainer.batch_size = batch_size
        self._plan = self._batches_forever()

    def _batches_forever(self) -> Iterator[np.ndarray]:
        # The Trainer's own plan (seeded order, drop_last), epoch after epoch.
        epoch = 0
        while True:
            yield from self.trainer._plan(epoch)
            epoch += 1

    def _timed_batches(self, indices: np.ndarray, rng: np.random.Generator | None) -> Batch:
        started = time.perf_counter()
        batch = self.maker(indices, rng)
        made = time.perf_counter()
        if self.sync_pieces:
            # Moved here so the copy is timed apart; the Trainer's own .to() is then a no-op.
            batch = batch.to(self.device)
            synchronize(self.device)
        self.times.data += made - started
        self.times.transfer += time.perf_counter() - made
        return batch

    def _timed_augment(self, batch: Batch, step: int) -> Batch:
        started = time.perf_counter()
        batch = self.augment(batch, step)
        if self.sync_pieces:
            synchronize(self.device)
        self.times.augment += time.perf_counter() - started
        # Counted on the host only when the split is synchronised anyway: .sum() would wait.
        if self.sync_pieces or self.device.type == "cpu":
            self.times.real_frames += int(batch.pose.mask.sum())
            self.times.padded_frames += len(batch.pose) * self._tower_frames(batch)
        return batch

    def _tower_frames(self, batch: Batch) -> int:
        # The paper's pose tower always pads to max_frames; the default one to the batch's longest.
        model = self.trainer.cfg.model
        return model.max_frames if model.arch == "paper" else batch.pose.mask.shape[1]

    def run(self, steps: int, deadline: float = float("inf")) -> StepTimes:
        """`steps` training steps (fewer if `deadline`, a perf_counter time, passes first)."""
        self.times = StepTimes()
        synchronize(self.device)
        started = time.perf_counter()
        while self.times.steps < steps:
            if self.times.steps > 0 and time.perf_counter() > deadline:
                break  # at least one step, so a cut-off phase still has a number
            indices = next(self._plan)
            before = time.perf_counter()
            self.trainer.train_step(indices)
            self.trainer.progress.step += 1
            self.times.step_seconds.append(time.perf_counter() - before)
            self.times.steps += 1
            self.times.pairs += len(indices)
        synchronize(self.device)
        self.times.wall = time.perf_counter() - started
        return self.times

    def data_path_rate(self, seconds: float) -> tuple[float, float]:
        """(pairs/s, real frames/s) of the BatchMaker alone over the same plan, for `seconds`."""
        pairs = frames = 0
        started = time.perf_counter()
        step = 0
        while time.perf_counter() - started < seconds:
            indices = next(self._plan)
            batch = self.maker(indices, np.random.default_rng(step))
            pairs += len(indices)
            frames += int(batch.pose.mask.sum())
            step += 1
        wall = time.perf_counter() - started
        return pairs / wall, frames / wall


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def describe_model(cfg: Config, trainer: Trainer) -> str:
    m = cfg.model
    text = trainer.model.text_encoder.config
    source = "pretrained" if m.text_pretrained else "random"
    aug = cfg.augment
    return (
        f"arch {m.arch}, pose {m.pose_layers} layers x {m.pose_width} ({m.pose_heads} heads, "
        f"ffn {m.pose_ffn}), text {m.text_model} {source} ({text.num_hidden_layers} layers x "
        f"{text.hidden_size}), {parameter_count(trainer.model) / 1e6:.1f}M parameters; "
        f"batch {trainer.batch_size}, max_frames {m.max_frames}; augment speed {aug.speed_std}, "
        f"affine {aug.affine_std}, flip {aug.flip_p}, noise {aug.noise_std}"
    )


def cpu_seconds() -> float:
    """CPU time of this process, all its threads (torch's intra-op pool included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def show_split(times: StepTimes, label: str, transfer: bool = False) -> None:
    parts = [("data path (BatchMaker)", times.data)]
    if transfer:
        parts.append(("host->device copy", times.transfer))
    parts += [("augmentation", times.augment), ("model + optimizer", times.model)]
    shares = " | ".join(f"{name} {100 * t / times.wall:.1f} %" for name, t in parts)
    print(f"  {label}: {shares}")
    if times.padded_frames:
        padding = 1 - times.real_frames / times.padded_frames
        print(f"  padding: {100 * padding:.0f} % of the frames the pose tower sees are padding")


def show_steps(times: StepTimes) -> None:
    ms = 1000 * np.array(times.step_seconds)
    # On a shared machine a few slow steps drag the mean; the median step is the steadier figure.
    median_rate = 1000 * times.pairs / times.steps / np.median(ms)
    print(
        f"  {times.steps} steps: {times.pairs_per_s():,.1f} pairs/s, {times.ms_per_step():,.0f} "
        f"ms/step (min {ms.min():,.0f}, median {np.median(ms):,.0f}, max {ms.max():,.0f}); "
        f"{median_rate:,.1f} pairs/s at the median step"
    )


# --- the CPU benchmark -------------------------------------------------------------------------


def model_config(name: str, args: argparse.Namespace, manifest: Path, work: Path) -> Config:
    preset, overrides = MODELS[name]
    return load_config(
        preset,
        [
            *overrides,
            f"data.manifest={manifest}",
            f"data.cache_dir={args.cache_dir or work / 'cache'}",
            f"train.out_dir={work / ('run-' + name)}",
            f"train.batch_size={args.batch_size}",
            f"model.max_frames={args.max_frames}",
            "train.device=cpu",
            "train.progress=false",
            f"data.bucket_size={args.bucket_size}",
        ],
    )


def bench_model(name: str, args: argparse.Namespace, manifest: Path, work: Path) -> StepTimes:
    started = time.perf_counter()
    cfg = model_config(name, args, manifest, work)
    trainer = build_trainer(cfg, resume=False, dist=DistState.single(torch.device("cpu")))
    print(f"== {name}: {describe_model(trainer.cfg, trainer)}")
    if args.bucket_size:
        print(f"  batches bucketed by length (data.bucket_size {args.bucket_size})")
    print(f"  built in {time.perf_counter() - started:.1f} s ({len(trainer.train_idx)} clips)")
    bench = Instrumented(trainer)
    warm = bench.run(args.warmup)
    print(f"  warm-up: {warm.steps} steps, {warm.wall:.1f} s")
    cpu = cpu_seconds()
    times = bench.run(args.steps, time.perf_counter() + args.max_seconds)
    cores = (cpu_seconds() - cpu) / times.wall
    show_steps(times)
    print(f"  CPU use: {cores:.2f} cores on average (of {torch.get_num_threads()} threads)")
    show_split(times, "share of step time")
    rate, frames = bench.data_path_rate(args.data_seconds)
    print(
        f"  data path alone: {rate:,.0f} pairs/s ({frames:,.0f} real frames/s), "
        f"{rate / times.pairs_per_s():,.0f}x the training rate"
    )
    return times


def make_manifest(args: argparse.Namespace, work: Path) -> Path:
    if args.manifest:
        return args.manifest.absolute()
    rng = np.random.default_rng(0)
    lengths = rng.integers(args.min_frames, args.max_clip_frames + 1, size=args.files)
    started = time.perf_counter()
    manifest = write_fake_clips(work / "clips", lengths, args.clips, args.texts)
    print(
        f"fake data: {args.clips} clips over {args.files} recordings of {args.min_frames}-"
        f"{args.max_clip_frames} frames (mean {lengths.mean():.1f}), {args.texts} texts; "
        f"written in {time.perf_counter() - started:.1f} s"
    )
    return manifest


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["tiny", "small"])
    parser.add_argument("--manifest", type=Path, help="train on this manifest instead")
    parser.add_argument("--cache-dir", type=Path, help="feature cache root (default: temporary)")
    parser.add_argument("--clips", type=int, default=512, help="fake clips")
    parser.add_argument("--files", type=int, default=128, help="distinct fake recordings")
    parser.add_argument("--texts", type=int, default=64, help="distinct fake texts")
    parser.add_argument("--min-frames", type=int, default=40, help="shortest fake clip")
    parser.add_argument("--max-clip-frames", type=int, default=120, help="longest fake clip")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-frames", type=int, default=128, help="model context")
    parser.add_argument("--warmup", type=int, default=1, help="steps before timing")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per model")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="cap on timed steps")
    parser.add_argument("--bucket-size", type=int, default=0, help="data.bucket_size")
    parser.add_argument("--data-seconds", type=float, default=3.0, help="data path alone")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cores; "
        f"load average before: {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="signclip-train-bench-") as tmp:
        work = Path(tmp)
        manifest = make_manifest(args, work)
        for name in args.models:
            bench_model(name, args, manifest, work)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
