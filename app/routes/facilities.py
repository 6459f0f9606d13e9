"""Health facilities as GeoJSON: ``GET /api/facilities``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import StateDep
from app.schemas import ERROR_RESPONSES, FacilityKind, FeatureCollection, feature_collection

router = APIRouter(prefix="/api", tags=["facilities"], responses=ERROR_RESPONSES)


@router.get("/facilities", response_model=FeatureCollection, summary="Facilities (GeoJSON, WGS-84)")
def list_facilities(
    state: StateDep,
    kind: Annotated[
        list[FacilityKind] | None,
        Query(description="Only these kinds (repeat the parameter for several); all kinds when omitted."),
    ] = None,
    include_planned: Annotated[
        bool, Query(description="Also list planned (not yet open) facilities.")
    ] = True,
) -> FeatureCollection:
    """Facilities with their attributes. A facility whose location is unknown has ``geometry: null``."""
    gdf = state.inputs.facilities
    if kind:
        gdf = gdf[gdf["kind"].isin([k.value for k in kind])]
    if not include_planned and "status" in gdf:
        gdf = gdf[gdf["status"] != "planned"]
    return FeatureCollection.model_validate(feature_collection(gdf, id_column="id"))
