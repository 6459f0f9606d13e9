"""Towns as GeoJSON: ``GET /api/towns``."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response

from app.deps import AppState, StateDep
from app.payload import Payload, make_payload, payload_response
from app.schemas import FeatureCollection, feature_collection

router = APIRouter(prefix="/api", tags=["towns"])


def towns_payload(state: AppState) -> Payload:
    """The towns as a validated GeoJSON document, ready to send."""
    document = FeatureCollection.model_validate(feature_collection(state.inputs.towns, id_column="town_code"))
    body = json.dumps(
        document.model_dump(mode="json", by_alias=True), ensure_ascii=False, separators=(",", ":")
    )
    return make_payload(body, "application/json")


@router.get("/towns", response_model=FeatureCollection, summary="Towns (GeoJSON, WGS-84)")
async def list_towns(request: Request, state: StateDep) -> Response:
    """The county's town-level units.

    Areas are approximate; towns whose seat is unknown have ``geometry: null``.
    """
    payload: Payload = await state.cache.aget_or_compute(("towns",), lambda: towns_payload(state))
    return payload_response(payload, request)
