"""One model thread fed by a bounded queue; requests that wait together run as one batch.

Torch gives its best throughput to one caller using every core, not to many callers fighting for
them, so every embedding goes through a single worker thread. Requests that arrive while the model
is busy are merged into one call, so under load batches grow by themselves. The model also waits a
short window for requests still being parsed (announced with `preparing()`), but never when none
is: a lone request does not pay for the window.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from signclip.errors import SignclipError

# kind -> function turning a list of items into a list (or array) of results of the same length
Runners = dict[str, Callable[[list[Any]], Sequence[Any]]]


class QueueFullError(SignclipError):
    """More requests are waiting for the model than the queue holds."""


@dataclass
class _Job:
    kind: str
    items: list[Any]
    future: Future = field(default_factory=Future)


class MicroBatcher:
    """Runs `runners[kind](items)` on one thread, merging queued jobs of the same kind."""

    def __init__(
        self,
        runners: Runners,
        queue_size: int = 256,
        wait_s: float = 0.002,
        max_items: int = 256,
        name: str = "signclip-model",
    ) -> None:
        self._runners = runners
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_size)
        self._wait_s = wait_s
        self._max_items = max_items
        self.batches_run = 0
        self._preparing = 0
        self._preparing_lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, kind: str, items: list[Any]) -> Future:
        """A future of the results for `items`; QueueFullError at once when the queue is full."""
        if kind not in self._runners:
            raise ValueError(f"unknown job kind {kind!r} (known: {', '.join(self._runners)})")
        if not self._thread.is_alive():  # closed: nobody would ever answer the job
            raise QueueFullError("the model thread has stopped; restart the server")
        job = _Job(kind, list(items))
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise QueueFullError(
                f"the server is busy ({self._queue.maxsize} requests already wait for the model);"
                " retry shortly"
            ) from None
        return job.future

    @contextmanager
    def preparing(self) -> Iterator[None]:
        """Marks a request whose items are being prepared: the model may wait for them."""
        with self._preparing_lock:
            self._preparing += 1
        try:
            yield
        finally:
            with self._preparing_lock:
                self._preparing -= 1

    def run(self, kind: str, items: list[Any], timeout: float | None = None) -> Sequence[Any]:
        """Submit and wait for the results."""
        return self.submit(kind, items).result(timeout)

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    def close(self) -> None:
        """Finish the queued jobs, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, stop = self._gather(first)
            for kind in dict.fromkeys(job.kind for job in jobs):
                self._run_group(kind, [job for job in jobs if job.kind == kind])
            if stop:
                return

    def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        """The first job, the jobs queued behind it, and those whose preparation ends before the
        window closes; at most `max_items` items (a job is never split)."""
        jobs = [first]
        count = len(first.items)
        deadline = time.monotonic() + self._wait_s
        while count < self._max_items:
            wait = deadline - time.monotonic() if self._preparing else 0.0
            try:
                job = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is None:
                return jobs, True
            jobs.append(job)
            count += len(job.items)
        return jobs, False

    def _run_group(self, kind: str, jobs: list[_Job]) -> None:
        live = [job for job in jobs if job.future.set_running_or_notify_cancel()]
        if not live:
            return
        items = [item for job in live for item in job.items]
        try:
            results = self._runners[kind](items)
        except Exception as exc:  # handed to the waiting requests; the thread must survive
            for job in live:
                job.future.set_exception(exc)
            return
        self.batches_run += 1
        start = 0
        for job in live:
            job.future.set_result(results[start : start + len(job.items)])
            start += len(job.items)
