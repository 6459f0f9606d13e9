"""The app's siting job runner: jobs in the county database, computed by the one siting path.

With worker processes (the default of ``healthcircle serve``) a job's model build and solve run in one of
the service's forked workers, counted by the same admission limit as the other computations, so a solve
never holds the serving process's GIL; its progress comes back to the job store as it is reported, and
stopping the job (``DELETE``, or a shutdown) asks the worker to stop with its best solution so far.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.county import stamp_county
from analysis.siting.budget import Budget
from analysis.siting.jobs import JobRunner, JobStore
from analysis.siting.request import run_request
from analysis.siting.use_cases import library_setting
from app.compute import ServiceBusyError, Work, register_work
from app.schemas import jsonable

if TYPE_CHECKING:
    from app.deps import AppState


def siting_document(
    state: AppState, request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None
) -> dict[str, Any]:
    """Run one siting request within *budget*: the JSON-able document (county-stamped)."""
    setting = state.county.setting if state.county is not None else library_setting
    document = run_request(
        state.inputs, state.travel, request, budget=budget, start_result=earlier, setting=setting
    )
    if state.county is not None:
        document = stamp_county(document, state.county)
    out: dict[str, Any] = jsonable(document)
    return out


@register_work("siting_request")
def siting_in_worker(
    state: AppState,
    request: dict[str, Any],
    seconds: float,
    started: float,
    earlier: dict[str, Any] | None,
) -> dict[str, Any]:
    """:func:`siting_document` in a worker process: the budget started with the job (*started*, a
    ``perf_counter`` time, the same clock in every process), progress is sent to the server and
    ``SIGUSR1`` stops the run."""
    from app import workers

    budget = Budget(seconds, on_progress=workers.report, stop=workers.STOP, started=started)
    return siting_document(state, request, budget, earlier)


def admit(state: AppState, key: str, *, budget_seconds: float) -> None:
    """Refuse a new siting job at once when ``siting_workers + queue`` jobs are unfinished already.

    A request that joins a job already queued or running for its key is always admitted.

    Raises
    ------
    ServiceBusyError
        Too many unfinished jobs (503 with ``Retry-After``).
    """
    store = state.jobs.store
    if store.active(key, min_budget_seconds=budget_seconds) is not None:
        return
    unfinished = store.unfinished()
    settings = state.settings
    if len(unfinished) >= settings.siting_workers + settings.queue:
        running = sum(1 for job in unfinished if job.status == "running")
        raise ServiceBusyError(settings.retry_after_s, running, len(unfinished) - running)


def make_runner(state: AppState) -> JobRunner:
    """A runner over ``state.database_file`` whose jobs run :func:`analysis.siting.request.run_request`.

    Parameters
    ----------
    state
        The app state (inputs, travel model, database file, settings, worker pool).

    Returns
    -------
    JobRunner
        Not yet resumed: call ``resume()`` to run the jobs a previous process left unfinished.
    """
    if state.database_file is None:
        msg = "the app state has no database file; build it with app.main.build_state"
        raise RuntimeError(msg)

    def compute(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        if not state.pool.processes:
            return siting_document(state, request, budget, earlier)
        work = Work("siting_request", (request, budget.seconds, budget.started, earlier))
        document: dict[str, Any] = state.pool.call(work, on_message=budget.on_progress, stop=budget.stop)
        return document

    return JobRunner(JobStore(state.database_file), compute, workers=state.settings.siting_workers)
