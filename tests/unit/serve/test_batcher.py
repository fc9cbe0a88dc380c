import threading
import time

import pytest

from signclip.serve.batcher import MicroBatcher, QueueFullError


class Recorder:
    """A runner that doubles numbers, remembers its batches and can be held on a gate."""

    def __init__(self):
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def __call__(self, items):
        self.entered.set()
        self.gate.wait(5)
        self.batches.append(list(items))
        return [2 * x for x in items]


def test_queued_jobs_are_merged_and_each_gets_its_own_results():
    runner = Recorder()
    runner.gate.clear()
    batcher = MicroBatcher({"double": runner}, queue_size=16, wait_s=0.0)
    first = batcher.submit("double", [100])
    assert runner.entered.wait(5)  # the model thread is busy with the first job
    futures = [batcher.submit("double", [i, i + 1]) for i in range(0, 10, 2)]
    runner.gate.set()
    assert first.result(5) == [200]
    assert [f.result(5) for f in futures] == [[2 * i, 2 * i + 2] for i in range(0, 10, 2)]
    # The five jobs that waited together ran as one call.
    assert runner.batches == [[100], list(range(10))]
    batcher.close()


def test_kinds_are_never_mixed_in_one_call():
    calls = []

    def upper(items):
        calls.append(("upper", list(items)))
        return [s.upper() for s in items]

    def negate(items):
        calls.append(("negate", list(items)))
        return [-x for x in items]

    gate = threading.Event()
    batcher = MicroBatcher({"upper": upper, "negate": negate, "hold": lambda x: gate.wait(5) and x})
    held = batcher.submit("hold", [1])
    jobs = [
        batcher.submit(kind, item)
        for kind, item in (("upper", ["a"]), ("negate", [3]), ("upper", ["b"]))
    ]
    gate.set()
    held.result(5)
    assert [j.result(5) for j in jobs] == [["A"], [-3], ["B"]]
    assert sorted(calls) == [("negate", [3]), ("upper", ["a", "b"])]
    batcher.close()


def test_full_queue_is_refused_at_once():
    runner = Recorder()
    runner.gate.clear()
    batcher = MicroBatcher({"double": runner}, queue_size=2, wait_s=0.0)
    running = batcher.submit("double", [1])
    assert runner.entered.wait(5)
    waiting = [batcher.submit("double", [2]), batcher.submit("double", [3])]
    started = time.monotonic()
    with pytest.raises(QueueFullError, match="busy"):
        batcher.submit("double", [4])
    assert time.monotonic() - started < 1
    runner.gate.set()
    assert running.result(5) == [2]
    assert [w.result(5) for w in waiting] == [[4], [6]]
    batcher.close()


def test_a_failing_batch_fails_its_jobs_and_the_thread_lives_on():
    def fragile(items):
        if "bad" in items:
            raise RuntimeError("cannot embed")
        return [len(s) for s in items]

    batcher = MicroBatcher({"len": fragile}, wait_s=0.0)
    with pytest.raises(RuntimeError, match="cannot embed"):
        batcher.run("len", ["bad"], timeout=5)
    assert batcher.run("len", ["four"], timeout=5) == [4]
    with pytest.raises(ValueError, match="unknown job kind"):
        batcher.submit("other", [1])
    batcher.close()


def test_window_waits_for_requests_being_prepared():
    runner = Recorder()
    batcher = MicroBatcher({"double": runner}, wait_s=0.5)
    futures = []
    ready = threading.Barrier(4)

    def send(i):
        with batcher.preparing():
            ready.wait(5)  # all four are being prepared before any is submitted
            time.sleep(0.02 * i)
        futures.append(batcher.submit("double", [i]))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(f.result(5)[0] for f in futures) == [0, 2, 4, 6]
    assert len(runner.batches) <= 2  # the first may leave before the others are ready
    assert sorted(x for batch in runner.batches for x in batch) == [0, 1, 2, 3]
    batcher.close()


def test_a_lone_request_does_not_wait_for_the_window():
    batcher = MicroBatcher({"double": Recorder()}, wait_s=2.0)
    started = time.monotonic()
    assert batcher.run("double", [5], timeout=5) == [10]
    assert time.monotonic() - started < 1.0
    batcher.close()


def test_a_closed_batcher_refuses_new_jobs_instead_of_hanging():
    batcher = MicroBatcher({"x": lambda items: items})
    batcher.close()
    with pytest.raises(QueueFullError, match="stopped"):
        batcher.submit("x", [1])
