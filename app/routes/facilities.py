"""Health facilities as GeoJSON: ``GET /api/facilities``."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.deps import AppState, StateDep
from app.payload import Payload, make_payload, payload_response
from app.schemas import ERROR_RESPONSES, FacilityKind, FeatureCollection, feature_collection

router = APIRouter(prefix="/api", tags=["facilities"], responses=ERROR_RESPONSES)


def facilities_payload(state: AppState, kinds: tuple[str, ...], include_planned: bool) -> Payload:
    """The facilities of *kinds* (all when empty) as a validated GeoJSON document, ready to send."""
    gdf = state.inputs.facilities
    if kinds:
        gdf = gdf[gdf["kind"].isin(list(kinds))]
    if not include_planned and "status" in gdf:
        gdf = gdf[gdf["status"] != "planned"]
    document = FeatureCollection.model_validate(feature_collection(gdf, id_column="id"))
    body = json.dumps(
        document.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    )
    return make_payload(body, "application/json")


@router.get("/facilities", response_model=FeatureCollection, summary="Facilities (GeoJSON, WGS-84)")
async def list_facilities(
    request: Request,
    state: StateDep,
    kind: Annotated[
        list[FacilityKind] | None,
        Query(description="Only these kinds (repeat the parameter for several); all kinds when omitted."),
    ] = None,
    include_planned: Annotated[
        bool, Query(description="Also list planned (not yet open) facilities.")
    ] = True,
) -> Response:
    """Facilities with their attributes. A facility whose location is unknown has ``geometry: null``."""
    kinds = tuple(sorted({k.value for k in kind or ()}))
    payload: Payload = await state.cache.aget_or_compute(
        ("facilities", kinds, include_planned), lambda: facilities_payload(state, kinds, include_planned)
    )
    return payload_response(payload, request)
