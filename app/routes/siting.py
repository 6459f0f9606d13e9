"""Siting recommendations: ``POST /api/siting`` (ranked new sites) and ``GET /maps/siting`` (map).

Existing sites stay open; the answer ranks the new sites by the population each adds, so a planner can
stop at any budget. Both endpoints take one path (:func:`solve`): the request is normalised, a proven
optimum stored for it is answered at once, otherwise a job runs it within its time budget. A request
that does not finish within ``API_WAIT_S`` gets ``202`` and a job to poll (``/api/siting/jobs/{id}``).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from analysis import settings
from analysis.errors import DataError, ParameterError, SolverError
from analysis.siting import KINDS, SiteKind, SiteModel, candidates_xy
from analysis.siting.jobs import Job
from analysis.siting.request import normalise_request, request_key
from app.deps import AppState, StateDep
from app.errors import QueryParameterError
from app.jobs import admit
from app.schemas import ERROR_RESPONSES, HTML_ERROR_RESPONSES, Profile, jsonable

logger = logging.getLogger(__name__)

router = APIRouter(tags=["siting"], responses=ERROR_RESPONSES)

#: Most new sites one request may ask for (the AED budget of the default data is 147).
MAX_COUNT = 500
#: Longest a request waits for its job, seconds; a longer run answers 202 with the job to poll.
API_WAIT_S = 5.0
#: Extra wait beyond a short budget, seconds: the budget is checked between steps and HiGHS may overrun
#: its time limit by a fraction of a second, so a 0.5 s request still gets its answer directly.
API_WAIT_SLACK_S = 1.0
#: Largest time budget one request may ask for, seconds.
MAX_BUDGET_S = 3600.0
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
        description="Number of new sites (mclp, pmedian). Default for aed: the gap to 1 per 10,000 people "
        "(refused when the AEDs in place are unknown).",
    )
    candidates: CandidateCollection | None = Field(
        default=None,
        description="Candidate sites inside the county; default: a grid over the county (aed: the folder's "
        "public places, else the 100 m demand lattice).",
    )
    model: SiteModel = Field(
        default=SiteModel.mclp,
        description="mclp, lscp (fewest sites for `share`), pmedian, mexclp (ems: `count` more ambulances "
        "for expected coverage with busy ambulances) or backup (ems: first and second coverage).",
    )
    share: float = Field(default=1.0, gt=0.0, le=1.0, description="Target coverage share for lscp.")
    profile: Profile | None = Field(default=None, description="Travel profile; default by kind.")
    include_planned: bool = Field(default=False, description="Count planned facilities as existing sites.")
    ambulances: dict[str, Annotated[int, Field(ge=0, le=1000)]] | None = Field(
        default=None,
        description="mexclp: ambulances per open 120 site id (overrides the data; unknown ones are refused).",
        examples=[{"ems-sub-anhai": 2}],
    )
    busy_fraction: float | None = Field(
        default=None,
        gt=0.0,
        lt=1.0,
        description="mexclp: share of time an ambulance is busy (q); default 0.3, an assumption.",
    )
    assume_unknown_ambulances: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="mexclp: count stations with unknown ambulances as this many (the answer says so).",
    )
    time_limit_s: float = Field(
        default=settings.SOLVER_TIME_LIMIT_S,
        ge=0.1,
        le=MAX_BUDGET_S,
        description="Wall-clock budget of the run (candidates, travel times, model build and solve), "
        "seconds. A run stopped by it says 'best found in N s, within X % of optimal'.",
    )


class Site(BaseModel):
    """One recommended site; ranks follow the population each adds.

    mexclp answers add ``station_id``: the existing station an added ambulance goes to (null: a new site).
    aed answers from public places add ``place_id``, ``place_name`` and ``amenity`` (school, townhall, ...).
    """

    model_config = ConfigDict(extra="allow")

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
    elapsed_seconds: float
    budget_seconds: float
    optimal: bool
    gap_percent: float | None = Field(
        description="How far the optimum can be from this answer, % (0 when proven optimal, null unknown)."
    )
    solution_label: str
    time_limited: bool
    job_id: str | None = Field(
        default=None, description="The siting job behind this answer (POST /api/scenarios siting_job)."
    )
    network_source: str
    population_source: str
    assumptions: list[str]


class JobProgress(BaseModel):
    """Where a running job is: phase, elapsed seconds and, while solving, incumbent, bound and gap."""

    model_config = ConfigDict(extra="allow")

    phase: str
    message: str
    elapsed_seconds: float
    incumbent: float | None = None
    bound: float | None = None
    gap_percent: float | None = None
    objective: str | None = None


class JobResponse(BaseModel):
    """A siting job: ``queued``, ``running``, ``done`` (with ``result``) or ``failed`` (with ``error``)."""

    id: str
    status: str
    budget_seconds: float
    progress: JobProgress | None
    result: SitingResponse | None
    error: str | None
    error_kind: str | None = Field(description="Error class of a failed job, e.g. ParameterError.")
    created_at: float = Field(description="Unix seconds.")
    updated_at: float = Field(description="Unix seconds.")
    links: dict[str, str]


def job_document(job: Job) -> dict[str, Any]:
    """The API view of a job; the result leaves out the per-cell ranks (map only)."""
    doc = job.to_dict()
    if doc["result"] is not None:
        doc["result"] = _public(doc["result"])
    doc["links"] = {"self": f"/api/siting/jobs/{job.id}"}
    return doc


def _public(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "cell_rank"}


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


@dataclass(frozen=True)
class Outcome:
    """What :func:`solve` gives: a document when the answer is ready, else the job that runs it."""

    document: dict[str, Any] | None
    job: Job | None


def check_request(state: AppState, request: SitingRequest) -> dict[str, Any]:
    """Validate *request* against the county (422 on bad input) and return it normalised."""
    if request.kind not in KINDS:
        raise QueryParameterError(
            "kind", f"unknown kind {request.kind!r}", allowed="one of " + ", ".join(KINDS)
        )
    try:
        candidates = _candidates_gdf(request.candidates) if request.candidates is not None else None
    except DataError as exc:
        raise QueryParameterError("candidates", str(exc)) from exc
    if candidates is not None:
        try:
            candidates_xy(candidates, state.inputs.boundary, crs=state.travel.crs)
        except (ParameterError, DataError) as exc:
            raise QueryParameterError("candidates", str(exc)) from exc
        if request.count is not None and request.count > len(candidates):
            message = f"asked for {request.count} new sites but only {len(candidates)} candidates were given"
            raise QueryParameterError("count", message, allowed=f"a whole number from 1 to {len(candidates)}")
    if request.count is None and request.model is not SiteModel.lscp and request.kind != "aed":
        raise QueryParameterError(
            "count", f"the number of new sites is required for kind {request.kind!r}", allowed="1 to 500"
        )
    fields = request.model_dump(mode="json", exclude={"time_limit_s"})
    return normalise_request(fields)


def solve(state: AppState, request: SitingRequest, *, wait_s: float, resume_done: bool = False) -> Outcome:
    """The one solve path of the map and the API.

    Parameters
    ----------
    state
        The app state (inputs, travel model, job runner).
    request
        The siting request.
    wait_s
        How long to wait for a job before handing it back unfinished.
    resume_done
        Show the latest finished (possibly time-limited, labelled) result of the request instead of
        continuing it (the map, so that reloading it does not start a new run each time).

    Returns
    -------
    Outcome
        The document when ready (a proven optimum stored for the request, or a job that finished in
        time), else the running job.
    """
    normalised = check_request(state, request)
    key = request_key(normalised, data_fingerprint=state.data_fingerprint)
    jobs = state.jobs
    final = jobs.store.final_result(key)
    if final is not None:
        done = jobs.store.latest_done(key)
        return Outcome(document=_with_job(final, done.id if done else None), job=None)
    if resume_done:
        latest = jobs.store.latest_done(key)
        if latest is not None and latest.result is not None:
            return Outcome(document=_with_job(latest.result, latest.id), job=None)
    admit(state, key, budget_seconds=request.time_limit_s)  # 503 when too many jobs wait already
    job = jobs.submit(key, normalised, budget_seconds=request.time_limit_s)
    finished = jobs.wait(job.id, wait_s)
    if finished is not None and finished.status == "done" and finished.result is not None:
        return Outcome(document=_with_job(finished.result, finished.id), job=None)
    if finished is not None and finished.status == "failed":
        error = finished.error or "the siting run failed"
        raise SolverError(error) if finished.error_kind == "SolverError" else ParameterError(error)
    return Outcome(document=None, job=finished or job)


def _with_job(document: dict[str, Any], job_id: str | None) -> dict[str, Any]:
    # the job that computed an answer: save its sites as a scenario with POST /api/scenarios (siting_job)
    return {**document, "job_id": job_id}


def _wait_seconds(budget_seconds: float) -> float:
    return min(budget_seconds + API_WAIT_SLACK_S, API_WAIT_S)


@router.post(
    "/api/siting",
    response_model=SitingResponse,
    summary="Recommend new sites (ranked)",
    responses={202: {"model": JobResponse, "description": "Still running: poll the job."}},
)
def post_siting(request: SitingRequest, state: StateDep) -> Any:
    """Recommend new 120 stations, health facilities or public AEDs, existing sites kept.

    选址建议：在保留现有站点的前提下，按新增覆盖人口排序给出新站点。Bad input (count 0 or above the number
    of candidates, unknown kind, candidates outside the county) gets a 422 whose `detail` says what to fix.
    An answer stopped by its time budget says so (`optimal: false`, `gap_percent`, `solution_label`); a
    run longer than a few seconds answers `202` with a job to poll at `/api/siting/jobs/{id}`.

    `kind=aed` works at the scale of a walk: demand at points every 100 m inside populated cells
    (`demand_points`, `demand_spacing_m`), a walking radius in metres (`radius_m`, 200; a straight line
    × 1.4 without a road network, as `assumptions` says), candidates from the folder's public places
    (`places.geojson`) or else the demand lattice (`candidate_source`), `aed_gap` (needed for 1 per
    10,000 minus known, `gap: null` when the AEDs in place are unknown), `sites_per_town`, and
    `ranking_within_town_meaningful: false` when the population is modelled uniformly within towns.
    """
    outcome = solve(state, request, wait_s=_wait_seconds(request.time_limit_s))
    if outcome.document is not None:
        return _public(outcome.document)
    assert outcome.job is not None
    body = job_document(outcome.job)
    return JSONResponse(status_code=202, content=jsonable(body), headers={"Location": body["links"]["self"]})


def _waiting_page(job: Job) -> str:
    progress = job.progress or {}
    gap = progress.get("gap_percent")
    detail = f"{progress.get('message', 'queued')}, {float(progress.get('elapsed_seconds', 0.0)):.1f} s" + (
        f", gap {float(gap):.2f} %" if gap is not None else ""
    )
    return (
        "<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='2'><title>正在求解 Solving…</title></head><body>"
        "<h3>正在求解 Solving…</h3>"
        f"<p>{html.escape(detail)}</p>"
        f"<p>任务 Job: <a href='/api/siting/jobs/{html.escape(job.id)}'>{html.escape(job.id)}</a>; "
        "this page reloads itself.</p></body></html>"
    )


@router.get(
    "/maps/siting",
    response_class=HTMLResponse,
    summary="Map of recommended sites",
    responses=HTML_ERROR_RESPONSES,
)
def get_siting_map(
    state: StateDep,
    kind: Annotated[SiteKind, Query(description="ems, facility or aed.")] = SiteKind.ems,
    count: Annotated[
        int | None,
        Query(ge=1, le=MAX_COUNT, description="Number of new sites; default 3 (aed: the AED gap)."),
    ] = None,
    model: Annotated[SiteModel, Query(description="mclp, lscp or pmedian.")] = SiteModel.mclp,
    time_limit_s: Annotated[
        float, Query(ge=0.1, le=MAX_BUDGET_S, description="Time budget of the run, seconds.")
    ] = settings.SOLVER_TIME_LIMIT_S,
    resume: Annotated[
        bool, Query(description="Run again from the best sites of a time-limited earlier run.")
    ] = False,
) -> HTMLResponse:
    """Current coverage, the recommended sites numbered by rank, and the coverage they add.

    选址地图：现有覆盖、按排名编号的建议新站点及其新增覆盖。The same request as `POST /api/siting` gives the
    same sites; a time-limited answer is labelled in the banner. A long run shows a page that reloads
    until the job is done (status 202).
    """
    from analysis import maps
    from app.routes.maps import ASSET_BASE_URL

    if count is None and kind is not SiteKind.aed and model is not SiteModel.lscp:
        count = DEFAULT_MAP_COUNT
    request = SitingRequest(kind=kind.value, count=count, model=model, time_limit_s=time_limit_s)
    outcome = solve(state, request, wait_s=_wait_seconds(time_limit_s), resume_done=not resume)
    if outcome.document is None:
        assert outcome.job is not None
        return HTMLResponse(_waiting_page(outcome.job), status_code=202)
    document = outcome.document

    def render() -> str:
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

    if document.get("optimal") is not True:
        return HTMLResponse(render())
    key = ("map_siting", kind.value, count, model.value, state.data_fingerprint)
    return HTMLResponse(state.cache.get_or_compute(key, render))
