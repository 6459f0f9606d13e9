"""Liveness: ``GET /healthz``."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import StateDep
from app.schemas import Health

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=Health, summary="Liveness and loaded data")
def healthz(state: StateDep) -> Health:
    """Say the service is up, and which road network and population surface it loaded."""
    return Health(
        status="ok",
        network_source=state.travel.network_source,
        population_source=state.inputs.population.source,
        facilities=len(state.inputs.facilities),
        cells=len(state.inputs.population.cells),
    )
