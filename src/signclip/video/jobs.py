"""Many videos → `.pose` files in worker processes: resumable, failures named, never fatal.

Each video becomes `<out>/<video stem>.pose`, written atomically, so an interrupted run leaves
only complete files; a rerun skips every output that already reads as a valid `.pose` (checked
before any worker starts) and extracts the rest. A video that fails (unreadable, zero frames,
a MediaPipe error) is recorded in the `ImportReport` by name and the others go on.

Workers are spawned, not forked: MediaPipe runs its graph on threads, and a fork of a process
that has already run one (a serial run before a parallel one, in a test or a notebook) can hang.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from signclip.data.formats.report import ImportReport
from signclip.errors import PoseFileError
from signclip.pose.convention import write_pose_atomically
from signclip.pose.io import read_pose
from signclip.video.errors import MissingExtraError, VideoError
from signclip.video.extract import video_to_pose
from signclip.video.holistic import load_mediapipe

WRITTEN, SKIPPED, FAILED = "written", "skipped", "failed"


@dataclass(frozen=True)
class Job:
    video: Path
    pose: Path


@dataclass(frozen=True)
class Outcome:
    video: Path
    pose: Path
    status: str  # WRITTEN, SKIPPED or FAILED
    frames: int = 0
    kind: str = ""  # the report's problem tag when FAILED
    detail: str = ""


def pose_path_for(video: Path, out: Path) -> Path:
    return out / f"{video.stem}.pose"


def complete_frames(pose: Path) -> int | None:
    """The frame count when `pose` exists and reads as a valid `.pose` file, else None."""
    if not pose.is_file():
        return None
    try:
        return int(read_pose(pose).body.data.shape[0])
    except PoseFileError:
        return None


def run_job(job: Job) -> Outcome:
    """Extract one video into its `.pose` file; failures become an Outcome."""
    try:
        pose = video_to_pose(job.video)
        write_pose_atomically(pose, job.pose)
    except MissingExtraError:
        raise  # not this video's fault: every other one would fail alike
    except VideoError as exc:
        # The report names the video beside the detail, so the message's own prefix goes.
        detail = str(exc).removeprefix(f"{job.video}: ")
        return Outcome(job.video, job.pose, FAILED, kind=exc.kind, detail=detail)
    except Exception as exc:  # a MediaPipe or codec error inside one video must not stop the rest
        detail = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:300]
        return Outcome(job.video, job.pose, FAILED, kind="extraction-failed", detail=detail)
    return Outcome(job.video, job.pose, WRITTEN, frames=int(pose.body.data.shape[0]))


def plan_jobs(videos: Sequence[Path], out: Path, report: ImportReport) -> list[Job]:
    """One job per video. A video that does not exist is reported here (no worker is started for
    it), and so is a later video whose stem repeats an earlier one's: both would write the same
    `.pose` file."""
    jobs, owner = [], {}
    for video in videos:
        if not video.is_file():
            what = "is a directory, not a video" if video.is_dir() else "no such file"
            report.add("missing-file", str(video), what)
            continue
        pose = pose_path_for(video, out)
        if pose in owner:
            report.add(
                "duplicate-id", str(video), f"its output {pose.name} is also {owner[pose]}'s"
            )
            continue
        owner[pose] = video
        jobs.append(Job(video, pose))
    return jobs


def extract_videos(
    jobs: Sequence[Job], workers: int, report: ImportReport, progress: bool = True
) -> list[Outcome]:
    """Run every job in `workers` spawned processes (0: all cores); outcomes in job order.

    Failed videos are added to `report`; `report.imported` counts the poses written or reused.
    Workers are spawned, so a script that calls this needs the `if __name__ == "__main__":` guard.
    """
    from tqdm import tqdm

    load_mediapipe()  # fail once, in one line, before any worker starts
    done = {i: complete_frames(job.pose) for i, job in enumerate(jobs)}
    outcomes: list[Outcome | None] = [
        None if frames is None else Outcome(jobs[i].video, jobs[i].pose, SKIPPED, frames=frames)
        for i, frames in done.items()
    ]
    todo = [i for i, outcome in enumerate(outcomes) if outcome is None]
    with tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        unit="video",
        disable=not progress,
        desc="pose",
    ) as bar:
        for i, outcome in zip(todo, _in_pool([jobs[i] for i in todo], workers, bar), strict=True):
            outcomes[i] = outcome
    for outcome in outcomes:
        if outcome.status == FAILED:
            report.add(outcome.kind, str(outcome.video), outcome.detail)
    report.imported = sum(o.status != FAILED for o in outcomes)
    return outcomes


def _quiet_worker() -> None:
    # MediaPipe's native code logs several lines per video straight to file descriptor 2, which
    # would bury the progress bar; a worker's real failures come back as Outcomes, not as logs.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _in_pool(jobs: Sequence[Job], workers: int, bar) -> list[Outcome]:
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    results: list[Outcome | None] = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_quiet_worker) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i = futures[future]
            try:
                results[i] = future.result()
            except BrokenProcessPool:
                job = jobs[i]
                detail = "the worker process died while extracting it"
                results[i] = Outcome(job.video, job.pose, FAILED, kind="worker-died", detail=detail)
            bar.update()
    return [r for r in results if r is not None]
