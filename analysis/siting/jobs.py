"""Long siting runs as jobs: stored in the county database, run on a worker thread, resumed after a restart.

A job is one siting request (its JSON) under a *key* that names the request and the data it ran on. Its
progress (phase, elapsed seconds, incumbent, bound, gap) and its result are written to SQLite as they
come, so a client can poll and a restarted server finds every job: finished ones with their results,
unfinished ones queued again.

Only a proven-optimal result is kept as *the* answer of its key (:meth:`JobStore.final_result`); a
time-limited one stays the result of its job, labelled, and a later run of the same request continues
from its sites.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from analysis.errors import HealthcircleError, ParameterError
from analysis.siting.budget import Budget
from analysis.store import connect, dumps, ensure_schema

logger = logging.getLogger(__name__)

#: Version of the stored siting documents; part of the data fingerprint, so a change of the document
#: never serves an older stored result.
RESULTS_VERSION = "siting-results-2"


def is_final(result: dict[str, Any]) -> bool:
    """Whether a siting document is the answer of its request, which a new run would only repeat.

    Proven optimal, or a solve that ran to its end (e.g. optimal among a candidate pool, its bound said).
    """
    return result.get("optimal") is True or result.get("complete") is True


JobStatus = Literal["queued", "running", "done", "failed"]

#: Compute one request: ``(request, budget, start_result) -> document``; *start_result* is the result of
#: an earlier time-limited run of the same key (to continue from), or None.
Compute = Callable[[dict[str, Any], Budget, dict[str, Any] | None], dict[str, Any]]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS siting_jobs (
        id TEXT PRIMARY KEY,
        key TEXT NOT NULL,
        request TEXT NOT NULL,
        budget_seconds REAL NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
        progress TEXT,
        result TEXT,
        error TEXT,
        error_kind TEXT,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS siting_jobs_key ON siting_jobs (key, status)",
    """CREATE TABLE IF NOT EXISTS siting_results (
        key TEXT PRIMARY KEY,
        result TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
)


@dataclass(frozen=True)
class Job:
    """One stored job."""

    id: str
    key: str
    request: dict[str, Any]
    budget_seconds: float
    status: JobStatus
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    error_kind: str | None
    created_at: float
    updated_at: float

    @property
    def finished(self) -> bool:
        """Done or failed."""
        return self.status in ("done", "failed")

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view for the API."""
        return {
            "id": self.id,
            "status": self.status,
            "budget_seconds": self.budget_seconds,
            "progress": self.progress,
            "result": self.result,
            "error": self.error,
            "error_kind": self.error_kind,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _job(row: tuple[Any, ...]) -> Job:
    import json

    return Job(
        id=row[0],
        key=row[1],
        request=json.loads(row[2]),
        budget_seconds=float(row[3]),
        status=row[4],
        progress=json.loads(row[5]) if row[5] else None,
        result=json.loads(row[6]) if row[6] else None,
        error=row[7],
        error_kind=row[8],
        created_at=float(row[9]),
        updated_at=float(row[10]),
    )


_COLUMNS = (
    "id, key, request, budget_seconds, status, progress, result, error, error_kind, created_at, updated_at"
)


class JobStore:
    """Siting jobs and final results in the county database.

    Parameters
    ----------
    path
        The SQLite file (created with its tables when missing).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        ensure_schema(self.path, _SCHEMA)

    def create(self, key: str, request: dict[str, Any], *, budget_seconds: float) -> Job:
        """Store a new queued job and return it."""
        now = time.time()
        job_id = uuid.uuid4().hex
        with connect(self.path) as conn:
            conn.execute(
                f"INSERT INTO siting_jobs ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, 'queued', NULL, NULL, NULL, NULL, ?, ?)",
                (job_id, key, dumps(request), float(budget_seconds), now, now),
            )
        job = self.get(job_id)
        assert job is not None
        return job

    def get(self, job_id: str) -> Job | None:
        """The job with *job_id*, or None."""
        with connect(self.path) as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM siting_jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row) if row else None

    def active(self, key: str, *, min_budget_seconds: float = 0.0) -> Job | None:
        """The oldest queued or running job of *key* with at least *min_budget_seconds*, or None."""
        with connect(self.path) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM siting_jobs WHERE key = ? AND status IN ('queued', 'running') "
                "AND budget_seconds >= ? ORDER BY created_at, id LIMIT 1",
                (key, float(min_budget_seconds)),
            ).fetchone()
        return _job(row) if row else None

    def latest_done(self, key: str) -> Job | None:
        """The most recent finished-with-a-result job of *key*, or None."""
        with connect(self.path) as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM siting_jobs WHERE key = ? AND status = 'done' "
                "ORDER BY updated_at DESC, id LIMIT 1",
                (key,),
            ).fetchone()
        return _job(row) if row else None

    def unfinished(self) -> list[Job]:
        """Queued and running jobs, oldest first (to run again after a restart)."""
        with connect(self.path) as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM siting_jobs WHERE status IN ('queued', 'running') "
                "ORDER BY created_at, id"
            ).fetchall()
        return [_job(row) for row in rows]

    def _set(self, job_id: str, **values: Any) -> None:
        names = ", ".join(f"{name} = ?" for name in values)
        with connect(self.path) as conn:
            conn.execute(
                f"UPDATE siting_jobs SET {names}, updated_at = ? WHERE id = ?",
                (*values.values(), time.time(), job_id),
            )

    def mark_running(self, job_id: str) -> None:
        """The job has started."""
        self._set(job_id, status="running")

    def mark_queued(self, job_id: str) -> None:
        """The job was interrupted by a shutdown and waits to run again."""
        self._set(job_id, status="queued")

    def set_progress(self, job_id: str, progress: dict[str, Any]) -> None:
        """Record the latest progress document."""
        self._set(job_id, progress=dumps(progress))

    def finish(self, job_id: str, result: dict[str, Any]) -> None:
        """Store the result; a final one (:func:`is_final`) also becomes the final result of the job's key."""
        now = time.time()
        text = dumps(result)
        with connect(self.path) as conn:
            conn.execute(
                "UPDATE siting_jobs SET status = 'done', result = ?, error = NULL, updated_at = ? "
                "WHERE id = ?",
                (text, now, job_id),
            )
            if is_final(result):
                conn.execute(
                    "INSERT OR REPLACE INTO siting_results (key, result, created_at) "
                    "SELECT key, ?, ? FROM siting_jobs WHERE id = ?",
                    (text, now, job_id),
                )

    def fail(self, job_id: str, error: str, *, kind: str = "internal") -> None:
        """Record why the job failed; *kind* is the error class (e.g. ``ParameterError``) or "internal"."""
        self._set(job_id, status="failed", error=error, error_kind=kind)

    def final_result(self, key: str) -> dict[str, Any] | None:
        """The proven-optimal result of *key*, or None."""
        import json

        with connect(self.path) as conn:
            row = conn.execute("SELECT result FROM siting_results WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None


class JobRunner:
    """Runs stored jobs on worker threads.

    Parameters
    ----------
    store
        Where jobs live.
    compute
        The work of one job (see :data:`Compute`).
    workers
        Jobs run at once.
    """

    def __init__(self, store: JobStore, compute: Compute, *, workers: int = 1) -> None:
        if workers < 1:
            msg = f"workers must be at least 1, got {workers}"
            raise ParameterError(msg)
        self.store = store
        self._compute = compute
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siting-job")
        self._lock = threading.Lock()
        self._done: dict[str, threading.Event] = {}
        self._budgets: dict[str, Budget] = {}
        self._closing = False

    def submit(self, key: str, request: dict[str, Any], *, budget_seconds: float) -> Job:
        """Queue *request* under *key*, or return the job already queued or running for it.

        A running job is shared only when its budget is at least *budget_seconds*: a request with a
        larger budget never gets the answer of a shorter run.

        Parameters
        ----------
        key
            Names the request and its data (same key, same answer).
        request
            JSON-able parameters, passed to ``compute``.
        budget_seconds
            Wall-clock budget of the run.

        Returns
        -------
        Job
            The (new or existing) job.
        """
        with self._lock:
            existing = self.store.active(key, min_budget_seconds=budget_seconds)
            if existing is not None and existing.id in self._done:
                return existing
            job = existing or self.store.create(key, request, budget_seconds=budget_seconds)
            self._enqueue(job)
        return job

    def _enqueue(self, job: Job) -> None:
        self._done[job.id] = threading.Event()
        self._pool.submit(self._run, job)

    def resume(self) -> int:
        """Queue again every job a previous process left unfinished; returns how many."""
        with self._lock:
            jobs = [job for job in self.store.unfinished() if job.id not in self._done]
            for job in jobs:
                self._enqueue(job)
        if jobs:
            logger.info("resumed %d unfinished siting jobs", len(jobs))
        return len(jobs)

    def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """Wait up to *timeout_s* for the job to finish; return its stored state (None when unknown)."""
        event = self._done.get(job_id)
        if event is not None:
            event.wait(max(timeout_s, 0.0))
        return self.store.get(job_id)

    def stop(self, job_id: str) -> bool:
        """Ask a running job to stop with its best solution so far; False when it is not running here."""
        budget = self._budgets.get(job_id)
        if budget is None:
            return False
        budget.stop.set()
        return True

    def _run(self, job: Job) -> None:
        if self._closing:
            return
        event = self._done[job.id]

        def on_progress(progress: dict[str, Any]) -> None:
            self.store.set_progress(job.id, progress)

        budget = Budget(job.budget_seconds, on_progress=on_progress)
        self._budgets[job.id] = budget
        try:
            self.store.mark_running(job.id)
            earlier = self.store.latest_done(job.key)
            result = self._compute(job.request, budget, earlier.result if earlier else None)
            if self._closing and not is_final(result):
                self.store.mark_queued(job.id)  # cut short by the shutdown: run again after the restart
            else:
                self.store.finish(job.id, result)
        except HealthcircleError as exc:
            self.store.fail(job.id, str(exc), kind=type(exc).__name__)
        except Exception as exc:  # a job must never die silently: its failure is stored for the client
            logger.exception("siting job %s failed", job.id)
            self.store.fail(job.id, f"internal error: {type(exc).__name__}: {exc}")
        finally:
            self._budgets.pop(job.id, None)
            event.set()

    def shutdown(self) -> None:
        """Stop running jobs (they are queued again in the database) and wait for the workers."""
        self._closing = True
        for budget in list(self._budgets.values()):
            budget.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
