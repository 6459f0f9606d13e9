"""Siting recommendations: ``POST /api/siting`` (ranked new sites) and ``GET /maps/siting`` (map).

Existing sites stay open; the answer ranks the new sites by the population each adds, so a planner can
stop at any budget.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from analysis.county import cite_plan
from analysis.errors import DataError, ParameterError
from analysis.siting import KINDS, SiteKind, SiteModel, candidates_xy, recommend_sites
from app.deps import AppState, StateDep
from app.errors import QueryParameterError
from app.schemas import ERROR_RESPONSES, Profile, jsonable

logger = logging.getLogger(__name__)

router = APIRouter(tags=["siting"], responses=ERROR_RESPONSES)

#: Most new sites one request may ask for (the AED budget of the default data is 147).
MAX_COUNT = 500
#: Solver time limit of a web request, seconds: keeps answers interactive; a time-limited answer says so
#: (``time_limited``) and gives the MIP ``gap``. The command line has the full limit.
API_SOLVER_TIME_LIMIT_S = 3.0
#: New sites drawn by the siting map when no count is given.
DEFAULT_MAP_COUNT = 3
#: Most candidate sites one request may upload.
MAX_CANDIDATES = 5000


class CandidateCollection(BaseModel):
    """Candidate sites: a GeoJSON FeatureCollection of Points in WGS-84 (longitude first)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="FeatureCollection", examples=["FeatureCollection"])
    features: list[dict[str, Any]] = Field(max_length=MAX_CANDIDATES)


class SitingRequest(BaseModel):
    """Parameters of a siting run (the same as ``healthcircle site``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"kind": "ems", "count": 3, "model": "mclp"},
                {
                    "kind": "ems",
                    "count": 1,
                    "candidates": {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [118.60, 24.71]},
                                "properties": {"name": "候选点 Candidate A"},
                            },
                            {
                                "type": "Feature",
                                "geometry": {"type": "Point", "coordinates": [118.53, 24.65]},
                                "properties": {"name": "候选点 Candidate B"},
                            },
                        ],
                    },
                },
            ]
        },
    )

    # A plain string checked by the route, so that a wrong value gets this endpoint's list of kinds.
    kind: str = Field(
        description="ems: 120 stations (14-min response incl. dispatch); facility: 15-min circle; aed: AEDs.",
        json_schema_extra={"enum": list(KINDS)},
        examples=["ems"],
    )
    count: int | None = Field(
        default=None,
        ge=1,
        le=MAX_COUNT,
        description="Number of new sites (mclp, pmedian). Default for aed: the gap to 1 per 10,000 people.",
    )
    candidates: CandidateCollection | None = Field(
        default=None, description="Candidate sites inside the county; default: a grid over the county."
    )
    model: SiteModel = Field(
        default=SiteModel.mclp, description="mclp, lscp (fewest sites for `share`) or pmedian."
    )
    share: float = Field(default=1.0, gt=0.0, le=1.0, description="Target coverage share for lscp.")
    profile: Profile | None = Field(default=None, description="Travel profile; default by kind.")
    include_planned: bool = Field(default=False, description="Count planned facilities as existing sites.")


class Site(BaseModel):
    """One recommended site; ranks follow the population each adds."""

    rank: int
    lon: float
    lat: float
    town_code: str | None
    added_population: float
    cumulative_population: float
    cumulative_coverage: float


class SitingResponse(BaseModel):
    """Ranked new sites and how the run was made."""

    model_config = ConfigDict(extra="allow")

    kind: str
    model: str
    count: int
    sites: list[Site]
    baseline_coverage: float
    coverage: float
    threshold_minutes: float
    solver: str
    solve_seconds: float
    gap: float | None
    time_limited: bool
    network_source: str
    population_source: str
    assumptions: list[str]


def _candidates_gdf(collection: CandidateCollection) -> Any:
    import geopandas as gpd
    from shapely.errors import ShapelyError

    if collection.type != "FeatureCollection":
        raise QueryParameterError("candidates", f"type must be 'FeatureCollection', got {collection.type!r}")
    if not collection.features:
        raise QueryParameterError(
            "candidates", "the FeatureCollection has no features; give at least one point"
        )
    for number, feature in enumerate(collection.features, start=1):
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            raise QueryParameterError(
                "candidates", f"feature {number} is not a Point; give [lon, lat] points"
            )
        feature.setdefault("properties", {})
        if feature["properties"] is None:
            feature["properties"] = {}
    try:
        return gpd.GeoDataFrame.from_features(collection.features, crs="EPSG:4326")
    except (ValueError, TypeError, KeyError, AttributeError, ShapelyError) as exc:
        raise QueryParameterError("candidates", f"cannot read the candidate points: {exc}") from exc


def run_siting(state: AppState, request: SitingRequest) -> dict[str, Any]:
    """Run (or fetch from the cache) the siting document of *request*."""
    if request.kind not in KINDS:
        raise QueryParameterError(
            "kind", f"unknown kind {request.kind!r}", allowed="one of " + ", ".join(KINDS)
        )
    candidates = _candidates_gdf(request.candidates) if request.candidates is not None else None
    if candidates is not None:
        try:
            candidates_xy(candidates, state.inputs.boundary, crs=state.travel.crs)
        except ParameterError as exc:
            raise QueryParameterError("candidates", str(exc)) from exc
        if request.count is not None and request.count > len(candidates):
            message = f"asked for {request.count} new sites but only {len(candidates)} candidates were given"
            raise QueryParameterError("count", message, allowed=f"a whole number from 1 to {len(candidates)}")

    def compute() -> dict[str, Any]:
        document: dict[str, Any] = jsonable(
            recommend_sites(
                state.inputs,
                state.travel,
                kind=request.kind,  # type: ignore[arg-type]
                count=request.count,
                candidates=candidates,
                model=request.model.value,  # type: ignore[arg-type]
                profile=request.profile.value if request.profile else None,
                share=request.share,
                include_planned=request.include_planned,
                time_limit_s=API_SOLVER_TIME_LIMIT_S,
            )
        )
        return cite_plan(document, state.county) if state.county is not None else document

    if candidates is not None:
        return compute()
    key = ("siting", json.dumps(request.model_dump(mode="json"), sort_keys=True))
    cached: dict[str, Any] = state.cache.get_or_compute(key, compute)
    return cached


@router.post("/api/siting", response_model=SitingResponse, summary="Recommend new sites (ranked)")
def post_siting(request: SitingRequest, state: StateDep) -> dict[str, Any]:
    """Recommend new 120 stations, health facilities or public AEDs, existing sites kept.

    选址建议：在保留现有站点的前提下，按新增覆盖人口排序给出新站点。Bad input (count 0 or above the number
    of candidates, unknown kind, candidates outside the county) gets a 422 whose `detail` says what to fix.
    """
    try:
        return run_siting(state, request)
    except DataError as exc:
        raise QueryParameterError("candidates", str(exc)) from exc


@router.get("/maps/siting", response_class=HTMLResponse, summary="Map of recommended sites")
def get_siting_map(
    state: StateDep,
    kind: Annotated[SiteKind, Query(description="ems, facility or aed.")] = SiteKind.ems,
    count: Annotated[
        int | None,
        Query(ge=1, le=MAX_COUNT, description="Number of new sites; default 3 (aed: the AED gap)."),
    ] = None,
    model: Annotated[SiteModel, Query(description="mclp, lscp or pmedian.")] = SiteModel.mclp,
) -> HTMLResponse:
    """Current coverage, the recommended sites numbered by rank, and the coverage they add.

    选址地图：现有覆盖、按排名编号的建议新站点及其新增覆盖。
    """
    from analysis import maps
    from app.routes.maps import ASSET_BASE_URL

    if count is None and kind is not SiteKind.aed and model is not SiteModel.lscp:
        count = DEFAULT_MAP_COUNT

    def render() -> str:
        document = recommend_sites(
            state.inputs,
            state.travel,
            kind=kind.value,  # type: ignore[arg-type]
            count=count,
            model=model.value,  # type: ignore[arg-type]
            include_cells=True,
            time_limit_s=API_SOLVER_TIME_LIMIT_S,
        )
        m = maps.siting_map(
            document,
            state.inputs.population.cells,
            state.inputs.facilities,
            boundary=state.inputs.boundary,
            towns=state.inputs.towns,
            population_modelled=state.inputs.population.modelled,
            tiles_url=state.settings.tiles_url or None,
            tiles_attribution=state.settings.tiles_attribution,
        )
        page: str = maps.to_html(m, asset_base_url=ASSET_BASE_URL)
        return page

    key = ("map_siting", kind.value, count, model.value)
    return HTMLResponse(state.cache.get_or_compute(key, render))
