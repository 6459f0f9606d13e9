"""Towns as GeoJSON: ``GET /api/towns``."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import StateDep
from app.schemas import FeatureCollection, feature_collection

router = APIRouter(prefix="/api", tags=["towns"])


@router.get("/towns", response_model=FeatureCollection, summary="Towns (GeoJSON, WGS-84)")
def list_towns(state: StateDep) -> FeatureCollection:
    """The county's town-level units.

    Areas are approximate; towns whose seat is unknown have ``geometry: null``.
    """
    return FeatureCollection.model_validate(feature_collection(state.inputs.towns, id_column="town_code"))
