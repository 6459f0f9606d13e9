"""CPU-heavy work of the service (new coverage scenarios, maps, isochrones, siting) in a bounded pool.

* A request whose answer is cached is served at once, without a worker.
* Concurrent first requests for one key share one job (single flight).
* At most ``workers`` jobs run at a time and at most ``queue`` more wait; beyond that the request is
  refused at once with :class:`ServiceBusyError` (503 with ``Retry-After``) instead of queueing for minutes.
* A job nobody waits for any more (every client went away) is dropped before it starts; in worker
  processes a job already running is ended too (its worker is killed and forked afresh), so a request
  whose client went away stops consuming a worker. In threads a running job finishes (a thread cannot be
  stopped from outside) and its result is cached for the next request.
* ``/healthz`` and cached answers never wait: they use no worker.

Work is named (:class:`Work`: a registered function and its arguments) so that it can run either in
threads of the server process or — the default of ``healthcircle serve`` — in forked worker processes,
which keeps the event loop free of the computations' hold on the GIL. A forked worker starts with a copy
of the loaded data and its own cache for intermediate results; the finished documents come back to the
server's cache. Siting jobs (:meth:`ComputePool.call`) run in the same workers and count against the
same admission limit.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request

from app.cache import ByteBoundedCache
from app.workers import Task, WorkerProcesses

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a waiting request checks whether its client is still connected, seconds.
DISCONNECT_POLL_S = 0.25

#: Functions that work may name, by name (filled by :func:`register_work`).
WORK: dict[str, Callable[..., Any]] = {}

# The state a forked worker computes with: set in the server before the workers fork, inherited by them.
_FORK_STATE: Any = None


def register_work(name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator: make ``fn(state, *args)`` available as ``Work(name, args)``."""

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        WORK[name] = fn
        return fn

    return decorate


@dataclass(frozen=True)
class Work:
    """A computation by name: ``WORK[name](state, *args)``; picklable, so it can run in a worker process."""

    name: str
    args: tuple[Any, ...] = ()


#: Niceness added to worker processes: on a busy machine the serving process (cached answers, /healthz)
#: gets the CPU before the computations.
WORKER_NICENESS = 10


def _child_init() -> None:  # pragma: no cover - runs in the forked workers
    """In a freshly forked worker: lower priority, and a cache of its own (the parent's lock may have been
    held at fork)."""
    import os

    from app.cache import ByteBoundedCache

    os.nice(WORKER_NICENESS)

    state = _FORK_STATE
    state.cache = ByteBoundedCache(state.settings.cache_bytes)


def _child_run(work: Work) -> Any:  # pragma: no cover - runs in the forked workers
    return WORK[work.name](_FORK_STATE, *work.args)


class ServiceBusyError(Exception):
    """Every worker is busy and the queue is full: try again after *retry_after_s* seconds."""

    def __init__(self, retry_after_s: int, running: int, queued: int) -> None:
        self.retry_after_s = retry_after_s
        self.running = running
        self.queued = queued
        super().__init__(
            f"the service is busy computing other scenarios ({running} running, {queued} waiting); "
            f"try again in {retry_after_s} s — answers already computed are served at once"
        )


class ClientGoneError(Exception):
    """The client disconnected while its answer was being computed."""


@dataclass
class _Job:
    future: Future[Any]
    waiters: int = 0
    started: threading.Event = field(default_factory=threading.Event)
    task: Task | None = None


class ComputePool:
    """Bounded workers (threads, or forked processes) with an admission limit, in front of a
    :class:`ByteBoundedCache`.

    Parameters
    ----------
    cache
        Where results are kept, by key.
    workers
        Jobs running at once (the machine's cores).
    queue
        Jobs allowed to wait for a worker; one more is refused with :class:`ServiceBusyError`.
    retry_after_s
        ``Retry-After`` suggested when refusing.
    state
        What :class:`Work` functions compute with (the app state); forked workers inherit a copy.
    processes
        Run :class:`Work` in forked worker processes (:class:`app.workers.WorkerProcesses`, started at
        once) instead of threads of this process.
    """

    def __init__(
        self,
        cache: ByteBoundedCache[Any],
        *,
        workers: int,
        queue: int,
        retry_after_s: int,
        state: Any = None,
        processes: bool = False,
    ) -> None:
        self.cache = cache
        self.workers = max(1, int(workers))
        self.queue = max(0, int(queue))
        self.retry_after_s = max(1, int(retry_after_s))
        self.state = state
        self.processes = processes
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="compute")
        self._processes: WorkerProcesses | None = None
        if processes:
            global _FORK_STATE
            _FORK_STATE = state
            self._processes = WorkerProcesses(self.workers, run=_child_run, initializer=_child_init)
        self._jobs: dict[Hashable, _Job] = {}
        # re-entrant: cancelling a future runs its done-callback (which takes the lock) at once
        self._lock = threading.RLock()
        self._running = 0
        self._calls = 0
        self.refused = 0
        self.dropped = 0

    @property
    def running(self) -> int:
        """Jobs being computed now."""
        if self._processes is not None:
            return self._processes.busy
        return self._running

    @property
    def pending(self) -> int:
        """Jobs admitted and not finished (running or waiting), siting jobs included."""
        return len(self._jobs) + self._calls

    @property
    def terminated(self) -> int:
        """Running jobs ended because every client of theirs went away (worker processes only)."""
        return self._processes.terminated if self._processes is not None else 0

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the worker processes (empty with threads)."""
        return self._processes.pids if self._processes is not None else []

    def _run_job(self, key: Hashable, job: _Job, compute: Callable[[], Any] | Work) -> Any:
        with self._lock:
            self._running += 1
        job.started.set()
        try:
            return self.cache.get_or_compute(key, self._callable(compute))
        finally:
            with self._lock:
                self._running -= 1

    def _callable(self, compute: Callable[[], Any] | Work) -> Callable[[], Any]:
        if isinstance(compute, Work):
            return functools.partial(WORK[compute.name], self.state, *compute.args)
        return compute

    def _submit(self, key: Hashable, job: _Job, compute: Callable[[], Any] | Work) -> Future[Any]:
        if self._processes is not None and isinstance(compute, Work):
            job.task = self._processes.submit(compute)
            job.task.future.add_done_callback(functools.partial(self._store, key))
            return job.task.future
        return self._executor.submit(self._run_job, key, job, compute)

    def _store(self, key: Hashable, future: Future[Any]) -> None:
        """Keep the result a worker process sent back in this process's cache."""
        if future.cancelled() or future.exception() is not None:
            return
        value = future.result()
        self.cache.get_or_compute(key, lambda: value)

    def _admit(self, key: Hashable, compute: Callable[[], Any] | Work) -> _Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                if self.pending >= self.workers + self.queue:
                    self.refused += 1
                    running = self.running
                    raise ServiceBusyError(self.retry_after_s, running, max(self.pending - running, 0))
                job = _Job(future=Future())
                self._jobs[key] = job
                job.future = self._submit(key, job, compute)
                job.future.add_done_callback(functools.partial(self._forget, key, job))
            job.waiters += 1
            return job

    def _forget(self, key: Hashable, job: _Job, _future: Future[Any] | None = None) -> None:
        with self._lock:
            if self._jobs.get(key) is job:
                del self._jobs[key]

    def _leave(self, key: Hashable, job: _Job) -> None:
        with self._lock:
            job.waiters -= 1
            if job.waiters > 0:
                return
            if job.task is not None and self._processes is not None:
                outcome = self._processes.cancel(job.task)
            else:
                outcome = "dropped" if job.future.cancel() else None
            if outcome is not None:
                if outcome == "dropped":
                    self.dropped += 1
                if self._jobs.get(key) is job:
                    del self._jobs[key]
                logger.info("%s job %s: its clients went away", outcome, key)

    def call(
        self,
        work: Work,
        *,
        on_message: Callable[[Any], None] | None = None,
        stop: threading.Event | None = None,
    ) -> Any:
        """Run *work* in a worker process and wait for it (a blocking call, for a job runner's thread).

        It is not refused (its job was accepted already) but counts against the admission limit while it
        waits or runs. What the work reports (:func:`app.workers.report`) goes to *on_message*; setting
        *stop* asks the work to stop early (it sees :data:`app.workers.STOP` set).
        """
        if self._processes is None:
            msg = "ComputePool.call needs worker processes"
            raise RuntimeError(msg)
        with self._lock:
            self._calls += 1
        try:
            task = self._processes.submit(work, on_message=on_message)
            stopped = False
            while True:
                try:
                    return task.future.result(timeout=DISCONNECT_POLL_S)
                except TimeoutError:
                    if stop is not None and stop.is_set() and not stopped:
                        stopped = self._processes.stop(task)
                except CancelledError as exc:
                    msg = "the worker processes were shut down while this ran"
                    raise RuntimeError(msg) from exc
        finally:
            with self._lock:
                self._calls -= 1

    async def run(self, key: Hashable, compute: Callable[[], T] | Work, request: Request | None = None) -> T:
        """The cached value of *key*, or compute it in the pool (shared with concurrent askers).

        Parameters
        ----------
        key
            Cache key of the answer.
        compute
            Builds the answer: a :class:`Work` (runs in a worker thread or process), or a plain callable
            (always a thread of this process). It may use the cache for its parts.
        request
            The HTTP request; when its client disconnects the wait stops and, if nobody else waits,
            the job is dropped before it starts.

        Raises
        ------
        ServiceBusyError
            Workers and queue are full.
        ClientGoneError
            The client went away.
        """
        found, value = self.cache.peek(key)
        if found:
            return value  # type: ignore[return-value]
        job = self._admit(key, compute)
        wrapped = asyncio.wrap_future(job.future)
        try:
            while True:
                done, _ = await asyncio.wait({wrapped}, timeout=DISCONNECT_POLL_S)
                if done:
                    result: T = wrapped.result()
                    return result
                if request is not None and await request.is_disconnected():
                    raise ClientGoneError
        except asyncio.CancelledError:
            raise
        finally:
            if not wrapped.done():
                self._leave(key, job)
            else:
                with self._lock:
                    job.waiters -= 1

    def shutdown(self) -> None:
        """Stop taking jobs; queued jobs are cancelled; running ones finish (threads) or end (processes)."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._processes is not None:
            self._processes.shutdown()
