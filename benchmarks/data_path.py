"""The training data path against the original-style per-sample pipeline, in one run.

(a) original-style pipeline (benchmarks/original_pipeline.py), 1 process;
(b) training reads: FeatureCache + epoch_batches (batches of 64) + collate_poses (max_frames 256,
    random crops), 1 process;
(c) feature cache build with workers=1 and workers=2, per core.
Each is printed in frames/s and as a ratio to (a), from the wall clock and from CPU time: on a
machine shared with other jobs the wall-clock figures drop, the CPU-time ones much less.
The real recordings are repeated, each repeat with its own clip ids, to give enough clips; the
cache lives in a temporary folder.

    python benchmarks/data_path.py --help
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from original_pipeline import DEFAULT_DATA, holistic_files, measure, original_features

from signclip.config import PoseConfig
from signclip.data.cache import FeatureCache
from signclip.data.collate import collate_poses
from signclip.data.manifest import ClipRecord
from signclip.data.sampler import epoch_batches
from signclip.errors import PoseFileError

BATCH_SIZE = 64
MAX_FRAMES = 256


def original_extractor(path: Path, cfg: PoseConfig) -> np.ndarray:
    """Stand-in extractor while signclip.pose.features is missing."""
    try:
        return original_features(path)
    except Exception as exc:  # the original pipeline raises anything on a bad file
        raise PoseFileError(f"{path}: {exc}") from exc


def pick_extractor():
    try:
        from signclip.pose.features import load_features
    except ImportError:
        print("NOTE: signclip.pose.features is missing; (c) uses the original-style extractor")
        return original_extractor, "original-style (features.py missing)"
    return load_features, "signclip.pose.features.load_features"


def repeated_records(files: list[Path], repeat: int) -> list[ClipRecord]:
    return [
        ClipRecord(f"{path.stem}#{r}", path, path.stem, "en", "ase", "train")
        for r in range(repeat)
        for path in files
    ]


@dataclass
class Rate:
    name: str
    frames: int
    wall: float  # seconds
    cpu: float  # CPU seconds of this process and its pool workers
    cores: int = 1

    def per_core(self) -> float:
        return self.frames / self.wall / self.cores

    def per_cpu_second(self) -> float:
        return self.frames / self.cpu

    def show(self) -> None:
        print(
            f"{self.name}: {self.frames} frames in {self.wall:.2f} s = {self.per_core():,.0f}"
            f" frames/s per core (wall clock); {self.per_cpu_second():,.0f} per CPU-second"
        )


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def original_rate(files: list[Path], min_seconds: float) -> Rate:
    cpu = cpu_seconds()
    frames, wall = measure(files, min_seconds)
    return Rate("(a) original-style pipeline, 1 process", frames, wall, cpu_seconds() - cpu)


def build_rate(
    records, root: Path, workers: int, extractor, tries: int
) -> tuple[FeatureCache, Rate]:
    """The fastest of `tries` fresh builds: other jobs on the machine only ever slow one down."""
    best = None
    for attempt in range(tries):
        cpu = cpu_seconds()
        cache, report = FeatureCache.build_or_open(
            records,
            PoseConfig(),
            root / f"{workers}-{attempt}",
            workers,
            extractor=extractor,
            progress=False,
        )
        cpu = cpu_seconds() - cpu
        assert not report.reused and not report.failures, report.failures[:3]
        rate = Rate(
            f"(c) cache build, workers={workers}", report.num_frames, report.seconds, cpu, workers
        )
        if best is None or rate.wall < best.wall:
            best = rate
    return cache, best


def read_rate(cache: FeatureCache, min_seconds: float) -> Rate:
    """Sampler + collate over whole epochs, until `min_seconds` have passed; real frames only."""
    rng = np.random.default_rng(0)
    frames, epoch, cpu, started = 0, 0, cpu_seconds(), time.perf_counter()
    while time.perf_counter() - started < min_seconds:
        for indices in epoch_batches(len(cache), BATCH_SIZE, seed=0, epoch=epoch):
            batch = collate_poses(cache, indices, MAX_FRAMES, rng)
            frames += int(batch.mask.sum())
        epoch += 1
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return Rate("(b) cache + sampler + collate, 1 process", frames, wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--repeat", type=int, default=24, help="copies of the recordings")
    parser.add_argument("--tries", type=int, default=3, help="builds per setting (best counts)")
    parser.add_argument("--seconds", type=float, default=10.0, help="minimum time for (a), (b)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    files = holistic_files(args.data)
    records = repeated_records(files, args.repeat)
    extractor, name = pick_extractor()
    print(f"{len(files)} files x {args.repeat} = {len(records)} clips; extractor: {name}")
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    original = original_rate(files, args.seconds)
    original.show()
    with tempfile.TemporaryDirectory(prefix="signclip-bench-") as tmp:
        cache, one = build_rate(records, Path(tmp), 1, extractor, args.tries)
        _, two = build_rate(records, Path(tmp), 2, extractor, args.tries)
        reads = read_rate(cache, args.seconds)
        print(
            f"cache: mean clip length {cache.lengths.mean():.1f} frames, F = {cache.num_features}"
        )
    for rate in (one, two, reads):
        rate.show()
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("ratio to (a), per core: wall clock | CPU time   (targets: (b) >= 400x, (c) >= 5x)")
    for rate in (reads, one, two):
        wall = rate.per_core() / original.per_core()
        cpu = rate.per_cpu_second() / original.per_cpu_second()
        print(f"  {rate.name:42s} {wall:8.1f}x | {cpu:8.1f}x")


if __name__ == "__main__":
    main()
