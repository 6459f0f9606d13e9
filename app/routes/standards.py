"""The standards the tool checks: ``GET /api/standards``."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from analysis.county import stamp_county
from analysis.standards import STANDARDS
from app.deps import StateDep
from app.schemas import StandardInfo, jsonable

router = APIRouter(prefix="/api", tags=["standards"])


@router.get("/standards", response_model=list[StandardInfo], summary="Targets of the plan")
def list_standards(state: StateDep) -> list[StandardInfo]:
    """List every target (id, bilingual name, figure, unit, source and the settings it assumes).

    Sources cite the served county's plan from its ``county.toml`` where it names one.
    """
    rows = [jsonable(dataclasses.asdict(s)) for s in STANDARDS]
    if state.county is not None:
        rows = stamp_county({"standards": rows}, state.county)["standards"]
    return [StandardInfo.model_validate(row) for row in rows]
