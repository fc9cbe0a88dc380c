"""Video -> pose speed: seconds per video and frames per second, on one real AUTSL video.

(a) decoding alone (OpenCV), in this process;
(b) decoding + MediaPipe Holistic (model_complexity 1) + conversion, in this process: the cost
    of one video on one core;
(c) `extract_videos` (what `signclip pose` runs) over COPIES links to the video with workers=1
    and workers=2, writing `.pose` files into a temporary folder: wall clock including the
    spawned workers' start, and CPU time of the workers.
The load average is printed: on a machine shared with other jobs the wall-clock figures drop,
the CPU-time ones much less.

    python benchmarks/video_to_pose.py [--video FILE] [--repeats 3] [--copies 4]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from signclip.data.formats.report import ImportReport
from signclip.video.decode import read_frames
from signclip.video.extract import video_to_pose
from signclip.video.jobs import extract_videos, plan_jobs

DEFAULT_VIDEO = (
    Path(__file__).resolve().parents[2] / "shared/data/video/autsl/signer0_sample1000_color.mp4"
)


def best_of(repeats: int, job) -> tuple[float, int]:
    """Fastest wall time of `repeats` runs of job() -> frames, and the frames."""
    best, frames = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        frames = job()
        best = min(best, time.perf_counter() - start)
    return best, frames


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pool_run(video: Path, copies: int, workers: int) -> tuple[float, float, int]:
    """(wall s, worker CPU s, frames) of extract_videos over `copies` links to `video`."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        videos = []
        for i in range(copies):
            link = folder / f"copy{i}{video.suffix}"
            link.symlink_to(video.resolve())
            videos.append(link)
        report = ImportReport("video", "benchmark")
        jobs = plan_jobs(videos, folder / "poses", report)
        cpu, start = children_cpu(), time.perf_counter()
        outcomes = extract_videos(jobs, workers, report, progress=False)
        wall = time.perf_counter() - start
        # Spawned workers count as children once the pool has shut down.
        cpu = children_cpu() - cpu
    if report.problems:
        raise SystemExit(f"extraction failed: {report.summary_lines()}")
    return wall, cpu, sum(o.frames for o in outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4)
    args = parser.parse_args()

    print(f"video: {args.video}; {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f}")
    video_to_pose(args.video, max_frames=1)  # MediaPipe's first graph start is not per video

    seconds, frames = best_of(args.repeats, lambda: sum(1 for _ in read_frames(args.video)))
    print(f"(a) decode only:        {seconds:6.3f} s/video  {frames / seconds:8.1f} frames/s")
    seconds, frames = best_of(
        args.repeats, lambda: int(video_to_pose(args.video).body.data.shape[0])
    )
    print(f"(b) one video, 1 core:  {seconds:6.3f} s/video  {frames / seconds:8.1f} frames/s")
    for workers in (1, 2):
        wall, cpu, frames = pool_run(args.video, args.copies, workers)
        print(
            f"(c) {args.copies} videos, workers={workers}: {wall:6.2f} s wall "
            f"({wall / args.copies:.2f} s/video, {frames / wall:.1f} frames/s), "
            f"worker CPU {cpu:.1f} s ({frames / cpu:.1f} frames per CPU-second)"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
