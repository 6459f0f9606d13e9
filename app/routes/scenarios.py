"""What-if scenarios: ``/api/scenarios`` (save, list, delete), their coverage, ``/api/compare`` and a map.

A scenario is a name, a base (``today`` or ``planned``) and changes to the facilities; it is saved in the
county database in one transaction. Its coverage is the same document as ``/api/coverage``, computed on
the facilities with the changes applied. ``today`` and ``planned`` can be compared like saved scenarios.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from analysis.county import stamp_county
from analysis.coverage import CoverageOptions, CoverageRun
from analysis.errors import ParameterError
from analysis.scenarios import StoredScenario, apply_changes, compare_documents, parse_scenario
from analysis.scenarios.changes import MAX_CHANGES, MAX_NAME_CHARS
from analysis.scenarios.coverage import BUILT_IN, run_scenario
from app.deps import AppState, StateDep
from app.errors import QueryParameterError
from app.routes.coverage import OptionsDep, get_run
from app.schemas import ERROR_RESPONSES, CoverageDocument, jsonable

logger = logging.getLogger(__name__)

router = APIRouter(tags=["scenarios"], responses=ERROR_RESPONSES)

#: Facility kind a recommended site of each siting kind becomes in a scenario.
SITE_KIND_AS_FACILITY = {"ems": "ems_station", "facility": "community_centre", "aed": "aed"}


class ScenarioChange(BaseModel):
    """One change: ``add`` (kind, lon, lat, names, beds, ambulances), ``remove`` / ``move`` (facility_id,
    lon, lat), ``set_ambulances`` / ``set_beds`` (facility_id and the count)."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["add", "remove", "move", "set_ambulances", "set_beds"]
    facility_id: str | None = None
    kind: str | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    name_zh: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    beds: int | None = Field(default=None, ge=0)
    ambulances: int | None = Field(default=None, ge=0)


class ScenarioRequest(BaseModel):
    """A scenario to save. ``siting_job`` adds the recommended sites of a finished siting job."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "和敏院区 + 英林站迁址 + 安海两台救护车",
                    "base": "planned",
                    "changes": [
                        {"op": "move", "facility_id": "ems-st-yinglin", "lon": 118.56, "lat": 24.60},
                        {"op": "set_ambulances", "facility_id": "ems-sub-anhai", "ambulances": 2},
                    ],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS)
    base: Literal["today", "planned"] = "today"
    changes: list[ScenarioChange] = Field(default_factory=list, max_length=MAX_CHANGES)
    siting_job: str | None = Field(
        default=None, description="Id of a finished siting job whose recommended sites are added."
    )


class ScenarioResponse(BaseModel):
    """A saved scenario."""

    id: str
    name: str
    base: str
    changes: list[dict[str, Any]]
    note: str | None
    created_at: float


class ScenarioSummary(BaseModel):
    """One row of the scenario list."""

    id: str
    name: str
    base: str
    changes: int
    note: str | None
    created_at: float


def _unknown(scenario_id: str) -> HTTPException:
    return HTTPException(
        status_code=404,
        detail=f"no scenario {scenario_id!r}; list them with GET /api/scenarios (or use today / planned)",
    )


def _siting_changes(state: AppState, job_id: str) -> tuple[list[dict[str, Any]], str, bool]:
    job = state.jobs.store.get(job_id)
    if job is None:
        raise QueryParameterError("siting_job", f"no siting job {job_id!r}")
    if job.status != "done" or job.result is None:
        raise QueryParameterError("siting_job", f"siting job {job_id} is {job.status}; wait until it is done")
    result = job.result
    kind = SITE_KIND_AS_FACILITY[str(result["kind"])]
    changes = [
        {
            "op": "add",
            "kind": kind,
            "lon": site["lon"],
            "lat": site["lat"],
            "name_zh": f"建议新站点 #{site['rank']}",
            "name_en": f"Recommended site #{site['rank']}",
        }
        for site in result["sites"]
    ]
    note = (
        f"sites of siting job {job_id} ({result['kind']}, {result['model']}; "
        f"{result.get('solution_label', '')})"
        + (
            "; a recommended health facility is added as a community health centre"
            if kind == "community_centre"
            else ""
        )
    )
    return changes, note, bool(job.request.get("include_planned"))


@router.post(
    "/api/scenarios", response_model=ScenarioResponse, status_code=201, summary="Save a what-if scenario"
)
def post_scenario(body: ScenarioRequest, state: StateDep) -> Any:
    """Save a scenario: a base (today / planned) and changes (add, remove, move, ambulances, beds).

    保存情景：基准（现状/含规划）与设施变化。With `siting_job`, the recommended sites of that siting run are
    added in the same call. The scenario is checked against the facilities (an unknown id is a 422) and
    saved in one transaction: it is on disk when the answer arrives.
    """
    changes = [c.model_dump(exclude_none=True) for c in body.changes]
    note = None
    base: str = body.base
    if body.siting_job is not None:
        extra, note, planned = _siting_changes(state, body.siting_job)
        changes += extra
        base = "planned" if planned else base
    spec = parse_scenario(body.name, base, changes)
    apply_changes(state.inputs, spec)  # every facility id must exist before the scenario is saved
    stored = state.scenarios.add(spec, note=note)
    return stored.to_dict()


@router.get("/api/scenarios", response_model=list[ScenarioSummary], summary="Saved scenarios")
def list_scenarios(state: StateDep) -> Any:
    """Every saved scenario, oldest first. 已保存的情景。"""
    return state.scenarios.list()


def _stored(state: AppState, scenario_id: str) -> StoredScenario:
    stored = state.scenarios.get(scenario_id)
    if stored is None:
        raise _unknown(scenario_id)
    return stored


@router.get("/api/scenarios/{scenario_id}", response_model=ScenarioResponse, summary="One saved scenario")
def get_scenario(scenario_id: str, state: StateDep) -> Any:
    """The scenario with its changes. 情景详情。"""
    return _stored(state, scenario_id).to_dict()


@router.delete("/api/scenarios/{scenario_id}", status_code=204, summary="Delete a saved scenario")
def delete_scenario(scenario_id: str, state: StateDep) -> Response:
    """Delete the scenario and its changes. 删除情景。"""
    if not state.scenarios.delete(scenario_id):
        raise _unknown(scenario_id)
    return Response(status_code=204)


def scenario_run(
    state: AppState, ref: str, options: CoverageOptions
) -> tuple[CoverageRun, dict[str, Any], Any]:
    """The coverage run, label and facilities of *ref* (a saved scenario id, ``today`` or ``planned``)."""
    if ref in BUILT_IN:
        opts = dataclasses.replace(options, include_planned=ref == "planned")
        facilities = state.inputs.facilities
        if ref == "today":
            facilities = facilities[facilities["status"] != "planned"]
        return get_run(state, opts), {"id": ref, "name": ref, "base": ref}, facilities
    stored = _stored(state, ref)
    opts = dataclasses.replace(options, include_planned=False)

    def compute() -> tuple[CoverageRun, Any]:
        logger.info("coverage run for scenario %s with %s", ref, opts)
        run, facilities = run_scenario(state.inputs, state.travel, stored.spec, options=opts)
        document = dict(run.document)
        document["what_if"] = stored.to_dict()
        if state.county is not None:
            document = stamp_county(document, state.county)
        return dataclasses.replace(run, document=document), facilities

    run, facilities = state.cache.get_or_compute(("scenario_coverage", ref, opts), compute)
    return run, {"id": stored.id, "name": stored.spec.name, "base": stored.spec.base}, facilities


@router.get(
    "/api/scenarios/{scenario_id}/coverage",
    response_model=CoverageDocument,
    summary="Coverage report of a scenario (same document as /api/coverage)",
)
def scenario_coverage(scenario_id: str, state: StateDep, options: OptionsDep) -> Response:
    """The coverage report with the scenario's changes applied (its `what_if` block lists them).

    情景覆盖报告：与 /api/coverage 相同的文档。`include_planned` is ignored: the scenario's base decides.
    """
    run, _, _ = scenario_run(state, scenario_id, options)
    body = json.dumps(jsonable(run.document), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return Response(content=body.encode(), media_type="application/json")


@router.get("/api/compare", summary="Compare two scenarios, per standard and per town")
def compare(
    state: StateDep,
    options: OptionsDep,
    a: Annotated[str, Query(description="Scenario id, or today / planned.", examples=["today"])],
    b: Annotated[str, Query(description="Scenario id, or today / planned.", examples=["planned"])],
) -> Any:
    """Each standard and each town in scenario *a* and *b*: values, change (b − a) and pass/fail flips.

    情景对比：各项标准及各乡镇的数值、变化与达标翻转。
    """
    run_a, label_a, _ = scenario_run(state, a, options)
    run_b, label_b, _ = scenario_run(state, b, options)
    return jsonable(compare_documents(run_a.document, run_b.document, a_label=label_a, b_label=label_b))


@router.get("/maps/compare", response_class=HTMLResponse, summary="Map of the difference of two scenarios")
def compare_map(
    state: StateDep,
    options: OptionsDep,
    a: Annotated[str, Query(description="Scenario id, or today / planned.")] = "today",
    b: Annotated[str, Query(description="Scenario id, or today / planned.")] = "planned",
    measure: Annotated[
        Literal["covered_15min", "covered_ems"], Query(description="Which coverage to compare.")
    ] = "covered_15min",
) -> HTMLResponse:
    """Cells covered only in *b* (gained), only in *a* (lost), and the facilities that changed.

    情景差异地图：新增与失去覆盖的网格，以及变化的设施。
    """
    from analysis import maps
    from analysis.maps.difference import difference_map
    from app.routes.maps import ASSET_BASE_URL

    run_a, label_a, facilities_a = scenario_run(state, a, options)
    run_b, label_b, facilities_b = scenario_run(state, b, options)
    try:
        m = difference_map(
            run_a.cells,
            run_b.cells,
            facilities_a,
            facilities_b,
            measure=measure,
            label_a=str(label_a["name"]),
            label_b=str(label_b["name"]),
            document=run_b.document,
            boundary=state.inputs.boundary,
            tiles_url=state.settings.tiles_url or None,
            tiles_attribution=state.settings.tiles_attribution,
        )
    except ValueError as exc:
        raise ParameterError(str(exc)) from exc
    return HTMLResponse(maps.to_html(m, asset_base_url=ASSET_BASE_URL))
