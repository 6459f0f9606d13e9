"""Shared request dependencies: the state loaded once at start-up, and a small LRU cache."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from fastapi import Depends, Request

from app.config import Settings

if TYPE_CHECKING:
    from pathlib import Path

    from analysis.county import County
    from analysis.datasets import Inputs
    from analysis.scenarios import ScenarioStore
    from analysis.siting.jobs import JobRunner
    from analysis.travel import TravelModel

T = TypeVar("T")


class LRUCache(Generic[T]):
    """A thread-safe least-recently-used cache of computed values.

    Requests run in a thread pool, so the lock also makes concurrent first requests for the same key
    compute the value once instead of racing.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._data)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the cached value of *key*, computing and storing it on a miss."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
            value = compute()
            self._data[key] = value
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
            return value

    def clear(self) -> None:
        """Forget every cached value."""
        with self._lock:
            self._data.clear()


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
        Coverage runs, isochrones and rendered maps keyed by their parameters.
    county
        The county folder's manifest (name, working CRS, plan); ``None`` for states built by hand in tests.
    """

    inputs: Inputs
    travel: TravelModel
    settings: Settings
    cache: LRUCache[Any] = field(default_factory=lambda: LRUCache(32))
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
                from app.jobs import make_runner

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
        """Stop the job runner (unfinished jobs stay queued in the database for the next start)."""
        with self._jobs_lock:
            if self._jobs is not None:
                self._jobs.shutdown()
                self._jobs = None


def get_state(request: Request) -> AppState:
    """Return the state stored on the app by its lifespan."""
    state: AppState = request.app.state.healthcircle
    return state


StateDep = Annotated[AppState, Depends(get_state)]
