"""Liveness: ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import StateDep
from app.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, summary="Liveness and loaded data")
async def healthz(state: StateDep) -> Health:
    """Say the service is up, and which road network and population surface it loaded.

    Runs on the event loop and never waits for a computation, so it answers while the workers are busy.
    """
    return Health(
        status="ok",
        network_source=state.travel.network_source,
        population_source=state.inputs.population.source,
        facilities=len(state.inputs.facilities),
        cells=len(state.inputs.population.cells),
    )
