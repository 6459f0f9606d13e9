"""The app's siting job runner: jobs in the county database, computed by the one siting path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.county import stamp_county
from analysis.siting.jobs import JobRunner, JobStore
from analysis.siting.request import run_request
from analysis.siting.use_cases import library_setting
from app.schemas import jsonable

if TYPE_CHECKING:
    from analysis.siting.budget import Budget
    from app.deps import AppState


def make_runner(state: AppState) -> JobRunner:
    """A runner over ``state.database_file`` whose jobs run :func:`analysis.siting.request.run_request`.

    Parameters
    ----------
    state
        The app state (inputs, travel model, database file, settings).

    Returns
    -------
    JobRunner
        Not yet resumed: call ``resume()`` to run the jobs a previous process left unfinished.
    """
    if state.database_file is None:
        msg = "the app state has no database file; build it with app.main.build_state"
        raise RuntimeError(msg)

    def compute(request: dict[str, Any], budget: Budget, earlier: dict[str, Any] | None) -> dict[str, Any]:
        setting = state.county.setting if state.county is not None else library_setting
        document = run_request(
            state.inputs, state.travel, request, budget=budget, start_result=earlier, setting=setting
        )
        if state.county is not None:
            document = stamp_county(document, state.county)
        out: dict[str, Any] = jsonable(document)
        return out

    return JobRunner(JobStore(state.database_file), compute, workers=state.settings.siting_workers)
