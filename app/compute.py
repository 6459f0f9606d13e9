"""CPU-heavy work of the service (new coverage scenarios, maps, isochrones, siting) in a bounded pool.

* A request whose answer is cached is served at once, without a worker.
* Concurrent first requests for one key share one job (single flight).
* At most ``workers`` jobs run at a time and at most ``queue`` more wait; beyond that the request is
  refused at once with :class:`ServiceBusyError` (503 with ``Retry-After``) instead of queueing for minutes.
* A job nobody waits for any more (every client went away) is dropped before it starts; a job already
  running finishes and its result is cached for the next request.
* ``/healthz`` and cached answers never wait: they use no worker.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import Request

from app.cache import ByteBoundedCache

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: How often a waiting request checks whether its client is still connected, seconds.
DISCONNECT_POLL_S = 0.25


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

    def __init__(self, cache: ByteBoundedCache[Any], *, workers: int, queue: int, retry_after_s: int) -> None:
        self.cache = cache
        self.workers = max(1, int(workers))
        self.queue = max(0, int(queue))
        self.retry_after_s = max(1, int(retry_after_s))
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="compute")
        self._jobs: dict[Hashable, _Job] = {}
        # re-entrant: cancelling a future runs its done-callback (which takes the lock) at once
        self._lock = threading.RLock()
        self._running = 0
        self.refused = 0
        self.dropped = 0

    @property
    def running(self) -> int:
        """Jobs being computed now."""
        return self._running

    @property
    def pending(self) -> int:
        """Jobs admitted and not finished (running or waiting)."""
        return len(self._jobs)

    def _run_job(self, key: Hashable, job: _Job, compute: Callable[[], Any]) -> Any:
        with self._lock:
            self._running += 1
        job.started.set()
        try:
            return self.cache.get_or_compute(key, compute)
        finally:
            with self._lock:
                self._running -= 1

    def _admit(self, key: Hashable, compute: Callable[[], Any]) -> _Job:
        with self._lock:
            job = self._jobs.get(key)
            if job is None:
                if len(self._jobs) >= self.workers + self.queue:
                    self.refused += 1
                    raise ServiceBusyError(self.retry_after_s, self._running, len(self._jobs) - self._running)
                job = _Job(future=Future())
                self._jobs[key] = job
                job.future = self._executor.submit(self._run_job, key, job, compute)
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

    async def run(self, key: Hashable, compute: Callable[[], T], request: Request | None = None) -> T:
        """The cached value of *key*, or compute it in the pool (shared with concurrent askers).

        Parameters
        ----------
        key
            Cache key of the answer.
        compute
            Builds the answer (runs in a worker thread; may use the cache for its parts).
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
