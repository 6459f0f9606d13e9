"""Forked worker processes (app/workers.py): results, errors, messages, early stop, and ending a task."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

import pytest

from app import workers
from app.workers import WorkerDiedError, WorkerProcesses


def _run(payload: tuple[Any, ...]) -> Any:
    """What the test workers do (runs in the forked worker)."""
    action, *args = payload
    if action == "pid":
        return os.getpid()
    if action == "fail":
        raise ValueError(args[0])
    if action == "report":
        for i in range(int(args[0])):
            workers.report({"step": i})
        return "reported"
    if action == "mark_and_sleep":
        Path(args[0]).write_text("started")
        time.sleep(float(args[1]))
        return "slept"
    if action == "until_stopped":
        deadline = time.monotonic() + 20
        while not workers.STOP.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return "stopped" if workers.STOP.is_set() else "not stopped"
    if action == "die":
        os._exit(3)
    raise AssertionError(action)


def _wait_until(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


@pytest.fixture
def pool() -> Iterator[WorkerProcesses]:
    p = WorkerProcesses(1, run=_run)
    yield p
    p.shutdown()


def test_results_errors_and_messages_come_back(pool: WorkerProcesses) -> None:
    pid = pool.submit(("pid",)).future.result(10)
    assert pid != os.getpid() and pid in pool.pids
    with pytest.raises(ValueError, match="bad value"):
        pool.submit(("fail", "bad value")).future.result(10)
    messages: list[Any] = []
    assert pool.submit(("report", 3), on_message=messages.append).future.result(10) == "reported"
    assert messages == [{"step": 0}, {"step": 1}, {"step": 2}]


def test_a_running_task_is_ended_and_its_worker_replaced(pool: WorkerProcesses, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    old_pid = pool.pids[0]
    task = pool.submit(("mark_and_sleep", str(marker), 60))
    _wait_until(marker.exists)
    assert pool.busy == 1
    t0 = time.perf_counter()
    assert pool.cancel(task)
    with pytest.raises(CancelledError):
        task.future.result(1)
    assert pool.terminated == 1
    # a fresh worker takes the next task at once: the 60 s sleep no longer holds the only worker
    assert pool.submit(("pid",)).future.result(10) != old_pid
    assert time.perf_counter() - t0 < 10
    assert pool.busy == 0


def test_a_waiting_task_is_dropped_before_it_starts(pool: WorkerProcesses, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    running = pool.submit(("mark_and_sleep", str(first), 0.5))
    _wait_until(first.exists)
    queued = pool.submit(("mark_and_sleep", str(second), 0))
    assert pool.waiting == 1
    assert pool.cancel(queued)
    assert running.future.result(10) == "slept"
    assert pool.submit(("pid",)).future.result(10) == pool.pids[0]
    assert not second.exists()  # never ran
    assert pool.terminated == 0  # nothing was killed for it


def test_stop_asks_the_running_task_to_finish_early(pool: WorkerProcesses) -> None:
    task = pool.submit(("until_stopped",))
    assert pool.stop(task)  # at once: the signal waits until the worker has started the task
    assert task.future.result(10) == "stopped"
    # the stop does not leak into the next task
    assert pool.submit(("pid",)).future.result(10) in pool.pids


def test_a_worker_that_dies_fails_its_task_and_is_replaced(pool: WorkerProcesses) -> None:
    with pytest.raises(WorkerDiedError, match="exit code 3"):
        pool.submit(("die",)).future.result(10)
    assert pool.submit(("report", 0)).future.result(10) == "reported"
