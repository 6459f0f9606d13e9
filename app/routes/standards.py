"""The standards the tool checks: ``GET /api/standards``."""

from __future__ import annotations

import dataclasses

from fastapi import APIRouter

from analysis.standards import STANDARDS
from app.schemas import StandardInfo, jsonable

router = APIRouter(prefix="/api", tags=["standards"])


@router.get("/standards", response_model=list[StandardInfo], summary="Targets of the plan")
def list_standards() -> list[StandardInfo]:
    """List every target (id, bilingual name, figure, unit, source and the settings it assumes)."""
    return [StandardInfo.model_validate(jsonable(dataclasses.asdict(s))) for s in STANDARDS]
