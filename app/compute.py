"""CPU-heavy work of the service (new coverage scenarios, maps, isochrones, siting) in a bounded pool.

* A request whose answer is cached is served at once, without a worker.
* Concurrent first requests for one key share one job (single flight).
* At most ``workers`` jobs run at a time and at most ``queue`` more wait; beyond that the request is
  refused at once with :class:`ServiceBusyError` (503 with ``Retry-After``) instead of queueing for minutes.
* A job nobody waits for any more (every client went away) is dropped before it starts; a job already
  running finishes and its result is cached for the next request.
* ``/healthz`` and cached answers never wait: they use no worker.

Work is named (:class:`Work`: a registered function and its arguments) so that it can run either in
threads of the server process or — the default of ``healthcircle serve`` — in forked worker processes,
which keeps the event loop free of the computations' hold on the GIL. A forked worker starts with a copy
of the loaded data and its own cache for intermediate results; the finished documents come back to the
server's cache.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request

from app.cache import ByteBoundedCache

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


def _child_init() -> None:
    """In a freshly forked worker: lower priority, and a cache of its own (the parent's lock may have been
    held at fork)."""
    import os

    from app.cache import ByteBoundedCache

    os.nice(WORKER_NICENESS)

    state = _FORK_STATE
    state.cache = ByteBoundedCache(state.settings.cache_bytes)


def _child_run(work: Work) -> Any:
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


class ComputePool:
    """Bounded worker threads with an admission limit, in front of a :class:`ByteBoundedCache`.

    Parameters
    ----------
    cache
        Where results are kept, by key.
    workers
        Jobs running at once (the machine's cores: the work is numpy/scipy/HiGHS, which release the GIL).
    queue
        Jobs allowed to wait for a worker; one more is refused with :class:`ServiceBusyError`.
    retry_after_s
        ``Retry-After`` suggested when refusing.
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
        self._executor: Executor
        if processes:
            global _FORK_STATE
            _FORK_STATE = state
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_child_init,
            )
        else:
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="compute")
        self._jobs: dict[Hashable, _Job] = {}
        # re-entrant: cancelling a future runs its done-callback (which takes the lock) at once
        self._lock = threading.RLock()
        self._running = 0
        self.refused = 0
        self.dropped = 0

    @property
    def running(self) -> int:
        """Jobs being computed now (with worker processes: admitted jobs, running or about to)."""
        if self.processes:
            return min(self.workers, len(self._jobs))
        return self._running

    @property
    def pending(self) -> int:
        """Jobs admitted and not finished (running or waiting)."""
        return len(self._jobs)

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
        if self.processes and isinstance(compute, Work):
            future = self._executor.submit(_child_run, compute)
            future.add_done_callback(functools.partial(self._store, key))
            return future
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
                if len(self._jobs) >= self.workers + self.queue:
                    self.refused += 1
                    raise ServiceBusyError(self.retry_after_s, self._running, len(self._jobs) - self._running)
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
            if job.waiters <= 0 and job.future.cancel():
                self.dropped += 1
                if self._jobs.get(key) is job:
                    del self._jobs[key]
                logger.info("dropped queued job %s: its clients went away", key)

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
        """Stop taking jobs; queued jobs are cancelled, running ones finish."""
        self._executor.shutdown(wait=False, cancel_futures=True)
