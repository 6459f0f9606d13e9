"""Shared request dependencies: the state loaded once at start-up, its cache and its worker pool."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request

from app.cache import ByteBoundedCache
from app.compute import ComputePool
from app.config import Settings
from app.jobs import make_runner

if TYPE_CHECKING:
    from pathlib import Path

    from analysis.county import County
    from analysis.datasets import Inputs
    from analysis.scenarios import ScenarioStore
    from analysis.siting.jobs import JobRunner
    from analysis.travel import TravelModel

T = TypeVar("T")


@dataclass
class AppState:
    """Everything the requests share, built once in the app's lifespan.

    Attributes
    ----------
    inputs
        Facilities, boundary, towns, population surface and reported facts.
    travel
        The travel-time model (road network, or straight-line estimate when no network file is given).
    settings
        The service settings the state was built with.
    cache
        Coverage runs, isochrones and rendered maps keyed by their parameters, bounded by bytes.
    county
        The county folder's manifest (name, working CRS, plan); ``None`` for states built by hand in tests.
    pool
        Bounded workers with an admission limit for the CPU-heavy work, in front of *cache*.
    """

    inputs: Inputs
    travel: TravelModel
    settings: Settings
    cache: ByteBoundedCache[Any] = field(default_factory=lambda: ByteBoundedCache(256_000_000))
    county: County | None = None
    database_file: Path | None = None
    data_fingerprint: str = ""
    _jobs: JobRunner | None = field(default=None, repr=False)
    _jobs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def jobs(self) -> JobRunner:
        """The siting job runner over the county database (started on first use)."""
        with self._jobs_lock:
            if self._jobs is None:
                self._jobs = make_runner(self)
            return self._jobs

    @property
    def scenarios(self) -> ScenarioStore:
        """Saved what-if scenarios in the county database."""
        if self.database_file is None:
            msg = "the app state has no database file; build it with app.main.build_state"
            raise RuntimeError(msg)
        from analysis.scenarios import ScenarioStore

        return ScenarioStore(self.database_file)

    def close(self) -> None:
        """Stop the job runner (unfinished jobs stay queued in the database), then the worker pool.

        In this order, a siting job running in a worker process stops with its best solution so far and
        is queued again, instead of losing its worker first.
        """
        with self._jobs_lock:
            if self._jobs is not None:
                self._jobs.shutdown()
                self._jobs = None
        self.pool.shutdown()

    pool: ComputePool = field(init=False)

    def __post_init__(self) -> None:
        self.pool = ComputePool(
            self.cache,
            workers=self.settings.workers,
            queue=self.settings.queue,
            retry_after_s=self.settings.retry_after_s,
            state=self,
            processes=self.settings.worker_processes,
        )


async def get_state(request: Request) -> AppState:
    """Return the state stored on the app by its lifespan.

    A coroutine, so FastAPI calls it on the event loop: a plain function would take a thread of the
    request thread pool for every request, and under load cached answers and ``/healthz`` would queue
    behind requests blocked in that pool.
    """
    state: AppState = request.app.state.healthcircle
    return state


StateDep = Annotated[AppState, Depends(get_state)]
