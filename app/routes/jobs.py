"""Siting jobs: ``GET /api/siting/jobs/{id}`` (progress, result); ``DELETE`` stops one at its best."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from app.deps import StateDep
from app.routes.siting import JobResponse, job_document
from app.schemas import ERROR_RESPONSES, jsonable

router = APIRouter(prefix="/api/siting/jobs", tags=["siting"], responses=ERROR_RESPONSES)


def _unknown(job_id: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no siting job {job_id!r}; start one with POST /api/siting")


@router.get("/{job_id}", response_model=JobResponse, summary="Progress and result of a siting job")
def get_job(job_id: str, state: StateDep) -> Any:
    """Status, progress (phase, elapsed seconds, incumbent, bound, gap %) and, when done, the result.

    选址任务：进度（阶段、用时、当前解、界、差距%）与结果。Jobs are stored in the county database and
    survive a restart of the server (unfinished ones run again).
    """
    job = state.jobs.store.get(job_id)
    if job is None:
        raise _unknown(job_id)
    return jsonable(job_document(job))


@router.delete("/{job_id}", response_model=JobResponse, summary="Stop a siting job with its best so far")
def stop_job(job_id: str, state: StateDep) -> Any:
    """Stop a running job: it finishes with the best sites found so far, labelled as not proven optimal.

    停止任务：保留目前最好的解（标注为非最优）。A finished job is returned as it is.
    """
    job = state.jobs.store.get(job_id)
    if job is None:
        raise _unknown(job_id)
    if state.jobs.stop(job_id):
        job = state.jobs.wait(job_id, 10.0) or job
    return jsonable(job_document(job))
