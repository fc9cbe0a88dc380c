"""Speed and disk use of the sign-language generator, and what a Spreadthesign-sized set costs.

(a) writing `.pose` files and the manifest (`generate_dataset`), one process and `--workers`;
(b) features straight from memory (`iter_features`, no files), one process, for each preset;
(c) `signclip synth --cache-only reduced-face` (`generate_cache`: the manifest and a feature cache,
no `.pose` files) with `--workers`.
Each is printed in clips/s per core from the wall clock and per CPU-second (this process and its
pool workers), with the mean clip length and the bytes per written clip. The projection scales
the per-CPU-second rates (per frame) and the disk use to 456,913 clips of 97.8 frames on average
(Spreadthesign's English subset), on 1 core and on `--cores`. `--only-cache` runs (c) alone.

    python benchmarks/synth_speed.py --help
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from signclip.config import PoseConfig
from signclip.synth.cache_only import generate_cache
from signclip.synth.dataset import SynthSpec, plan_clips
from signclip.synth.generate import generate_dataset, iter_features

SPREADTHESIGN_CLIPS = 456_913
SPREADTHESIGN_MEAN_FRAMES = 97.8
PRESETS = ("reduced-face", "sign-vq", "dominant-hand")


@dataclass
class Rate:
    name: str
    clips: int
    frames: int
    wall: float
    cpu: float
    cores: int = 1
    frames_width: int = 0  # features per frame (in-memory runs)

    def per_core(self) -> float:
        return self.clips / self.wall / self.cores

    def per_cpu_second(self) -> float:
        return self.clips / self.cpu

    def show(self) -> None:
        print(
            f"{self.name:38s} {self.clips:6d} clips {self.frames / self.clips:6.1f} frames/clip "
            f"{self.per_core():7.1f} clips/s per core (wall) {self.per_cpu_second():7.1f} "
            "per CPU-second"
        )


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def write_rate(spec: SynthSpec, workers: int, root: Path) -> tuple[Rate, float]:
    """(rate, bytes per clip as stored on disk) of writing the whole dataset."""
    cpu, started = cpu_seconds(), time.perf_counter()
    report = generate_dataset(root / f"w{workers}", spec, workers=workers, progress=False)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    blocks = sum(p.stat().st_blocks * 512 for p in (root / f"w{workers}").rglob("*.pose"))
    rate = Rate(f"(a) write .pose, workers={workers}", report.clips, report.frames, wall, cpu)
    rate.cores = workers
    return rate, blocks / report.clips


def memory_rate(spec: SynthSpec, preset: str) -> Rate:
    plans = plan_clips(spec)
    cpu, started, frames, width = cpu_seconds(), time.perf_counter(), 0, 0
    for _, features in iter_features(spec, PoseConfig(preset=preset), workers=1, plans=plans):
        frames, width = frames + len(features), features.shape[1]
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return Rate(f"(b) in memory, {preset}", len(plans), frames, wall, cpu, 1, width)


def cache_rate(spec: SynthSpec, workers: int, root: Path) -> tuple[Rate, float]:
    """(rate, bytes per clip on disk) of the cache-only dataset: features, index, manifest."""
    cpu, started = cpu_seconds(), time.perf_counter()
    report = generate_cache(root / "cache-only", spec, PoseConfig(), workers, progress=False)
    wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    files = [*report.features.iterdir(), report.manifest]
    blocks = sum(p.stat().st_blocks * 512 for p in files)
    name = f"(c) cache only, workers={workers}"
    return Rate(name, report.clips, report.frames, wall, cpu, workers), blocks / report.clips


def hours(rate: Rate, cores: int) -> float:
    """Hours for Spreadthesign's clips at this rate per CPU-second, cost scaled by clip length."""
    frames_per_cpu_second = rate.per_cpu_second() * rate.frames / rate.clips
    return SPREADTHESIGN_CLIPS * SPREADTHESIGN_MEAN_FRAMES / frames_per_cpu_second / cores / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concepts", type=int, default=40)
    parser.add_argument("--languages", type=int, default=3)
    parser.add_argument("--signers", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="processes for the parallel write")
    parser.add_argument("--cores", type=int, default=16, help="cores of the projection")
    parser.add_argument("--only-cache", action="store_true", help="measure (c) alone")
    args = parser.parse_args()
    spec = SynthSpec(args.concepts, args.languages, args.signers, seed=0)
    plan_clips(spec)  # warm the imports and caches outside the timings
    print(f"{spec}; load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.only_cache:
        show_files_and_memory(spec, args)
    show_cache_only(spec, args.workers, args.cores)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def show_cache_only(spec: SynthSpec, workers: int, cores: int) -> None:
    with tempfile.TemporaryDirectory(prefix="signclip-synth-") as tmp:
        rate, disk = cache_rate(spec, workers, Path(tmp))
    rate.show()
    frames = rate.frames / rate.clips
    gigabytes = disk / frames * SPREADTHESIGN_MEAN_FRAMES * SPREADTHESIGN_CLIPS / 1e9
    print(
        f"  {disk / 1e3:.0f} kB per clip of {frames:.1f} frames on disk; for "
        f"{SPREADTHESIGN_CLIPS:,} clips of {SPREADTHESIGN_MEAN_FRAMES} frames: {gigabytes:.0f} "
        f"GB, {hours(rate, 1):.2f} h on 1 core, {hours(rate, cores):.2f} h on {cores}"
    )


def show_files_and_memory(spec: SynthSpec, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="signclip-synth-") as tmp:
        one, disk = write_rate(spec, 1, Path(tmp))
        parallel, _ = write_rate(spec, args.workers, Path(tmp))
    memory = [memory_rate(spec, preset) for preset in PRESETS]
    for rate in (one, parallel, *memory):
        rate.show()
    frames = one.frames / one.clips
    per_clip = disk * SPREADTHESIGN_MEAN_FRAMES / frames
    print(f"disk: {disk / 1e3:.0f} kB per clip of {frames:.1f} frames on average")
    print(f"projection for {SPREADTHESIGN_CLIPS:,} clips of {SPREADTHESIGN_MEAN_FRAMES} frames:")
    gigabytes = per_clip * SPREADTHESIGN_CLIPS / 1e9
    print(
        f"  .pose files: {gigabytes:.0f} GB; {hours(one, 1):.2f} h on 1 core, "
        f"{hours(one, args.cores):.2f} h on {args.cores}"
    )
    for rate in memory:
        name = rate.name.removeprefix("(b) in memory, ")
        cache = SPREADTHESIGN_CLIPS * SPREADTHESIGN_MEAN_FRAMES * rate.frames_width * 4 / 1e9
        print(
            f"  in memory, {name}: no .pose files ({cache:.0f} GB of float32 features); "
            f"{hours(rate, 1):.2f} h on 1 core, {hours(rate, args.cores):.2f} h on {args.cores}"
        )


if __name__ == "__main__":
    main()
