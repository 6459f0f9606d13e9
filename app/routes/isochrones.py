"""Travel-time bands around facilities: ``GET /api/isochrones``."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal

import geopandas as gpd
from fastapi import APIRouter, Query, Request, Response

from analysis import settings as defaults
from analysis.datasets import EMS_KINDS, to_working_crs
from analysis.travel import NetworkTravel
from app.compute import Work, register_work
from app.deps import AppState, StateDep
from app.errors import ALLOWED, QueryParameterError
from app.payload import Payload, make_payload, payload_response
from app.schemas import (
    ERROR_RESPONSES,
    MAX_BANDS,
    MAX_BUFFER_M,
    MAX_ISOCHRONE_MINUTES,
    MIN_MINUTES,
    FacilityKind,
    FeatureCollection,
    Profile,
    feature_collection,
)

router = APIRouter(prefix="/api", tags=["isochrones"], responses=ERROR_RESPONSES)

#: Longest accepted ``minutes`` string: six bands of "120.5" fit with room to spare.
_MAX_MINUTES_TEXT = 64


def parse_bands(text: str | None, *, default: float) -> list[float]:
    """Parse ``"5,10,14"`` into sorted distinct minutes, or raise a 422 naming ``minutes``.

    Parameters
    ----------
    text
        Comma-separated minutes; ``None`` or blank → ``[default]``.
    default
        Band used when none is given.

    Returns
    -------
    list of float

    Raises
    ------
    QueryParameterError
        A value is not a number, out of range, or there are too many bands.
    """
    if text is None or not text.strip():
        return [default]
    parts = [p.strip() for p in text.split(",")]
    if len(parts) > MAX_BANDS:
        raise QueryParameterError(
            "minutes", f"{len(parts)} bands given, at most {MAX_BANDS} allowed", ALLOWED["bands"]
        )
    values = []
    for part in parts:
        try:
            value = float(part)
        except ValueError:
            msg = f"{part[:20]!r} is not a number"
            raise QueryParameterError("minutes", msg, ALLOWED["bands"]) from None
        if not math.isfinite(value) or not MIN_MINUTES <= value <= MAX_ISOCHRONE_MINUTES:
            msg = f"{part!r} is outside {MIN_MINUTES:g}-{MAX_ISOCHRONE_MINUTES:g} minutes"
            raise QueryParameterError("minutes", msg, ALLOWED["bands"])
        values.append(value)
    return sorted(set(values))


def isochrones_for(
    state: AppState,
    *,
    kinds: tuple[str, ...],
    minutes: tuple[float, ...],
    profile: str,
    include_planned: bool,
    buffer_m: float | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Isochrone polygons around the located facilities of *kinds* (cached), and the ids left out.

    EMS sites send ambulances out (``from_sources``); everyone else is travelled to (``to_sources``).
    *buffer_m* widens the bands around reached roads (``None``: ``settings.ISOCHRONE_BUFFER_M``);
    straight-line estimates are circles and have no roads to widen.
    """

    def compute() -> tuple[gpd.GeoDataFrame, list[str]]:
        fac = state.inputs.facilities
        fac = fac[fac["kind"].isin(kinds)]
        if not include_planned and "status" in fac:
            fac = fac[fac["status"] != "planned"]
        missing = fac.geometry.isna() | fac.geometry.is_empty
        unlocated = [str(i) for i in fac.loc[missing, "id"]]
        located = fac[~missing]
        xy = to_working_crs(located, state.travel.crs).get_coordinates().to_numpy()
        direction: Literal["from_sources", "to_sources"] = (
            "from_sources" if set(kinds) <= set(EMS_KINDS) else "to_sources"
        )
        ids = [str(i) for i in located["id"]]
        travel = state.travel
        if isinstance(travel, NetworkTravel):
            bands = travel.isochrones(
                xy,
                profile=profile,
                minutes=list(minutes),
                direction=direction,
                source_ids=ids,
                buffer_m=buffer_m,
            )
        else:
            bands = travel.isochrones(
                xy, profile=profile, minutes=list(minutes), direction=direction, source_ids=ids
            )
        names = located.set_index(located["id"].astype(str))[["name_zh", "name_en", "kind"]]
        bands = bands.assign(source_id=bands["source_id"].astype(str)).join(names, on="source_id")
        return bands, unlocated

    key = ("isochrones", kinds, minutes, profile, include_planned, buffer_m)
    result: tuple[gpd.GeoDataFrame, list[str]] = state.cache.get_or_compute(key, compute)
    return result


@router.get(
    "/isochrones",
    response_model=FeatureCollection,
    summary="Travel-time bands around facilities (GeoJSON)",
)
async def isochrones(
    request: Request,
    state: StateDep,
    kind: Annotated[
        FacilityKind, Query(description="Facility kind whose bands to draw.", examples=["ems_station"])
    ],
    minutes: Annotated[
        str | None,
        Query(
            max_length=_MAX_MINUTES_TEXT,
            description=f"Comma-separated band limits, 1 to {MAX_BANDS} values from {MIN_MINUTES:g} to "
            f"{MAX_ISOCHRONE_MINUTES:g} minutes; default 14 for EMS kinds, 15 otherwise.",
            examples=["5,10,14"],
        ),
    ] = None,
    profile: Annotated[
        Profile | None,
        Query(description="Travel profile; default ambulance for EMS kinds, e-bike otherwise."),
    ] = None,
    include_planned: Annotated[bool, Query(description="Include planned facilities.")] = False,
    buffer_m: Annotated[
        float | None,
        Query(
            gt=0,
            le=MAX_BUFFER_M,
            allow_inf_nan=False,
            description=f"How far from a reached road a place still counts as reached, metres (the band's "
            f"half-width around the roads); default {defaults.ISOCHRONE_BUFFER_M:g}. Straight-line "
            "estimates (no road network) are circles and ignore it.",
            examples=[75],
        ),
    ] = None,
) -> Response:
    """One polygon per facility and band: where the facility is reached within that many minutes.

    Facilities with unknown location have no band; their ids are listed in ``unlocated``.
    """
    is_ems = kind.value in EMS_KINDS
    setting = state.county.setting if state.county is not None else lambda name: getattr(defaults, name)
    default = setting("EMS_RESPONSE_MINUTES") if is_ems else setting("SERVICE_CIRCLE_MINUTES")
    bands = parse_bands(minutes, default=default)
    chosen = (
        profile.value
        if profile is not None
        else ("ambulance" if is_ems else setting("SERVICE_CIRCLE_PROFILE"))
    )

    width = float(buffer_m) if buffer_m is not None else None
    key = ("isochrones_payload", kind.value, tuple(bands), chosen, include_planned, width)
    work = Work("isochrones_payload", (kind.value, tuple(bands), chosen, include_planned, width))
    payload: Payload = await state.pool.run(key, work, request)
    return payload_response(payload, request)


@register_work("isochrones_payload")
def isochrones_payload(
    state: AppState,
    kind: str,
    bands: tuple[float, ...],
    profile: str,
    include_planned: bool,
    buffer_m: float | None = None,
) -> Payload:
    """The isochrone FeatureCollection of one facility kind, ready to send."""
    gdf, unlocated = isochrones_for(
        state,
        kinds=(kind,),
        minutes=bands,
        profile=profile,
        include_planned=include_planned,
        buffer_m=buffer_m,
    )
    body: dict[str, Any] = feature_collection(gdf)
    body["profile"] = profile
    body["minutes"] = list(bands)
    body["network_source"] = state.travel.network_source
    # the band's half-width around reached roads; none for straight-line circles
    body["buffer_m"] = (
        (buffer_m if buffer_m is not None else defaults.ISOCHRONE_BUFFER_M)
        if isinstance(state.travel, NetworkTravel)
        else None
    )
    body["unlocated"] = unlocated
    return make_payload(json.dumps(body, ensure_ascii=False), "application/json")
