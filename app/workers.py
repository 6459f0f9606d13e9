"""Forked worker processes that run named work, one task each at a time, each task's worker known.

Unlike :class:`concurrent.futures.ProcessPoolExecutor`, the server knows which worker runs which task, so it
can

* end a running task nobody waits for any more: its worker is killed and a fresh one forked in its place
  (the machine's cores go to the requests still waiting);
* ask a running task to stop early (``SIGUSR1``: a siting run keeps its best solution so far);
* receive messages from a task while it runs (a siting run's progress), through :func:`report`.

Workers are forked from the serving process with the loaded data (copy-on-write), run at a lower priority
and have a cache of their own for intermediate results; finished results come back through a pipe.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

logger = logging.getLogger(__name__)

#: Seconds a worker gets to leave on its own at shutdown before it is killed.
SHUTDOWN_GRACE_S = 2.0

# In a worker: the pipe to the server while a task runs, and the task's stop flag (set by SIGUSR1).
_CONN: Connection | None = None
STOP = threading.Event()


class WorkerDiedError(RuntimeError):
    """A worker process ended while computing (killed by the system, e.g. out of memory)."""


def report(message: Any) -> None:
    """Send *message* to the server while a task runs in a worker (e.g. progress); a no-op elsewhere."""
    if _CONN is not None:
        _CONN.send(("message", message))


def _on_stop(_signum: int, _frame: Any) -> None:
    STOP.set()


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _worker_main(
    conn: Connection,
    close: list[Connection],
    initializer: Callable[[], None] | None,
    run: Callable[[Any], Any],
) -> None:
    """A worker's life: take a task, run it, send back its result or error; leave when the pipe closes."""
    global _CONN
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server shuts its workers down itself
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGUSR1, _on_stop)
    for other in close:  # the server's ends of the pipes: a worker sees EOF once the server is gone
        other.close()
    if initializer is not None:
        initializer()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        STOP.clear()
        _CONN = conn
        conn.send(("started", None))  # from now on SIGUSR1 reaches the handler above
        try:
            outcome: tuple[str, Any] = ("done", run(task))
        except BaseException as exc:  # every error goes back to the server, which raises it there
            outcome = ("error", _picklable(exc))
        finally:
            _CONN = None
        try:
            conn.send(outcome)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an unpicklable result
            conn.send(("error", RuntimeError(f"the result could not be sent back: {exc}")))


@dataclass(eq=False)
class Task:
    """One submitted task: its future, and the worker running it (None while it waits)."""

    payload: Any
    on_message: Callable[[Any], None] | None = None
    future: Future[Any] = field(default_factory=Future)
    worker: _Worker | None = None
    ended: bool = False
    started: bool = False
    stop_asked: bool = False


@dataclass(eq=False)
class _Worker:
    process: Any  # multiprocessing.context.ForkProcess
    conn: Connection
    task: Task | None = None


class WorkerProcesses:
    """A fixed number of forked worker processes and a first-in first-out queue of tasks.

    Parameters
    ----------
    workers
        Worker processes (forked at once, and again when one is killed or dies).
    run
        What a worker does with a task's payload (called in the worker).
    initializer
        Called once in each new worker before its first task.
    """

    def __init__(
        self,
        workers: int,
        *,
        run: Callable[[Any], Any],
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self._run = run
        self._initializer = initializer
        self._context = multiprocessing.get_context("fork")
        self._lock = threading.RLock()
        self._pending: deque[Task] = deque()
        self._workers: list[_Worker] = []
        self._closed = False
        self.terminated = 0
        with self._lock:
            for _ in range(max(1, int(workers))):
                self._spawn()

    @property
    def busy(self) -> int:
        """Workers running a task now."""
        with self._lock:
            return sum(1 for w in self._workers if w.task is not None)

    @property
    def waiting(self) -> int:
        """Tasks waiting for a worker."""
        with self._lock:
            return len(self._pending)

    @property
    def pids(self) -> list[int]:
        """Process ids of the workers."""
        with self._lock:
            return [int(w.process.pid) for w in self._workers]

    def _spawn(self) -> None:
        # lock held: no other fork may inherit this worker's end of its pipe
        parent_end, child_end = self._context.Pipe()
        close = [w.conn for w in self._workers] + [parent_end]
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, close, self._initializer, self._run),
            name="healthcircle-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        worker = _Worker(process=process, conn=parent_end)
        self._workers.append(worker)
        threading.Thread(target=self._read, args=(worker,), name="worker-reader", daemon=True).start()

    def submit(self, payload: Any, *, on_message: Callable[[Any], None] | None = None) -> Task:
        """Queue *payload* for the next free worker; *on_message* receives what the task reports."""
        task = Task(payload=payload, on_message=on_message)
        with self._lock:
            if self._closed:
                msg = "the worker processes are shut down"
                raise RuntimeError(msg)
            self._pending.append(task)
            failed = self._dispatch()
        self._fail(failed)
        return task

    def _dispatch(self) -> list[tuple[Task, BaseException]]:
        """Give waiting tasks to idle workers (lock held); the tasks that could not be sent, to fail them
        once the lock is released (their futures' callbacks may take their owners' locks)."""
        failed: list[tuple[Task, BaseException]] = []
        while self._pending:
            idle = next((w for w in self._workers if w.task is None), None)
            if idle is None:
                break
            task = self._pending.popleft()
            if task.future.done():
                continue
            idle.task, task.worker = task, idle
            try:
                idle.conn.send(task.payload)
            except Exception as exc:  # unpicklable work, or a worker that just died
                idle.task, task.worker = None, None
                failed.append((task, exc))
        return failed

    def _fail(self, failed: list[tuple[Task, BaseException]]) -> None:
        for task, exc in failed:
            _settle(task, error=exc)

    def cancel(self, task: Task) -> str | None:
        """Drop *task* if it waits (``"dropped"``), end its worker if it runs (``"ended"``); None when it
        has already finished.

        The task's future is cancelled after this object's lock is released, so its callbacks may take
        the caller's locks.
        """
        with self._lock:
            if task.future.done():
                return None
            outcome = "dropped" if task.worker is None else "ended"
            if task.worker is None:
                with contextlib.suppress(ValueError):
                    self._pending.remove(task)
            else:
                worker = task.worker
                if worker.task is not task:
                    return None
                task.ended = True
                self.terminated += 1
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signal.SIGKILL)
        task.future.cancel()
        return outcome

    def stop(self, task: Task) -> bool:
        """Ask the running *task* to stop early (it sees ``STOP`` set); False when it is not running."""
        with self._lock:
            worker = task.worker
            if worker is None or worker.task is not task:
                return False
            task.stop_asked = True
            if task.started:  # else the signal is sent when the worker says it started
                self._signal_stop(worker)
            return True

    def _signal_stop(self, worker: _Worker) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(worker.process.pid, signal.SIGUSR1)

    def _read(self, worker: _Worker) -> None:
        """The server's reader of one worker's pipe (a thread; it waits in ``recv`` without the GIL)."""
        while True:
            try:
                kind, value = worker.conn.recv()
            except (EOFError, OSError):
                self._ended(worker)
                return
            except Exception as exc:  # a result that cannot be unpickled here
                kind, value = "error", RuntimeError(f"the result could not be read: {exc}")
            if kind == "started":
                with self._lock:
                    task = worker.task
                    if task is not None:
                        task.started = True
                        if task.stop_asked:
                            self._signal_stop(worker)
                continue
            if kind == "message":
                task = worker.task
                if task is not None and task.on_message is not None:
                    try:
                        task.on_message(value)
                    except Exception:
                        logger.exception("a task's message handler failed")
                continue
            with self._lock:
                task, worker.task = worker.task, None
                if task is not None:
                    task.worker = None
                failed = self._dispatch()
            self._fail(failed)
            if task is not None:
                if kind == "done":
                    _settle(task, result=value)
                else:
                    _settle(task, error=value)

    def _ended(self, worker: _Worker) -> None:
        """A worker's pipe closed: it was killed (or died, or left at shutdown); fork one in its place."""
        worker.process.join(5)
        failed: list[tuple[Task, BaseException]] = []
        with self._lock:
            task, worker.task = worker.task, None
            if worker in self._workers:
                self._workers.remove(worker)
            worker.conn.close()
            if not self._closed:
                self._spawn()
                failed = self._dispatch()
        self._fail(failed)
        if task is not None and not task.ended:
            code = worker.process.exitcode
            logger.warning("a worker process ended while computing (exit code %s)", code)
            _settle(task, error=WorkerDiedError(f"a worker process ended while computing (exit code {code})"))

    def shutdown(self) -> None:
        """Cancel waiting tasks, end running ones, and stop the workers."""
        with self._lock:
            self._closed = True
            pending, self._pending = list(self._pending), deque()
            workers = list(self._workers)
            for w in workers:
                if w.task is not None:
                    w.task.ended = True
                    pending.append(w.task)
        for task in pending:
            task.future.cancel()
        for w in workers:
            with contextlib.suppress(OSError, ValueError):
                w.conn.send(None)
        for w in workers:
            w.process.join(SHUTDOWN_GRACE_S)
            if w.process.is_alive():
                w.process.kill()
                w.process.join(SHUTDOWN_GRACE_S)


def _settle(task: Task, *, result: Any = None, error: BaseException | None = None) -> None:
    try:
        if error is not None:
            task.future.set_exception(error)
        else:
            task.future.set_result(result)
    except InvalidStateError:  # cancelled meanwhile: nobody waits for it
        pass
