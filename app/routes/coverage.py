"""The coverage report: ``GET /api/coverage`` (also ``GET /coverage``).

Runs are cached per scenario (with their JSON and gzip bytes), so a repeated request costs a dictionary
look-up; a new scenario is computed in the worker pool (503 with Retry-After when it is full).
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from analysis import settings as defaults
from analysis.county import stamp_county
from analysis.coverage import CoverageOptions, CoverageRun, run_coverage
from app.compute import Work, register_work
from app.deps import AppState, StateDep
from app.errors import QueryParameterError
from app.payload import Payload, make_payload, payload_response
from app.schemas import (
    ERROR_RESPONSES,
    MAX_DISPATCH_MINUTES,
    MAX_MINUTES,
    MIN_MINUTES,
    CoverageDocument,
    Period,
    Profile,
    jsonable,
)

logger = logging.getLogger(__name__)

router = APIRouter(tags=["coverage"], responses=ERROR_RESPONSES)


async def coverage_options(
    state: StateDep,
    mode: Annotated[
        Profile | None,
        Query(
            description="Travel mode of the medical service circle; default e-bike (the plan fixes none).",
            examples=["ebike"],
        ),
    ] = None,
    minutes: Annotated[
        float | None,
        Query(
            ge=MIN_MINUTES,
            le=MAX_MINUTES,
            allow_inf_nan=False,
            description=f"Service-circle threshold, minutes ({MIN_MINUTES:g}-{MAX_MINUTES:g}); default 15.",
            examples=[15],
        ),
    ] = None,
    profile: Annotated[
        Profile | None,
        Query(description="Same as `mode` (either name may be used; if both are given they must agree)."),
    ] = None,
    include_planned: Annotated[
        bool, Query(description="Count planned facilities as if open (what-if scenario).")
    ] = False,
    dispatch_minutes: Annotated[
        float | None,
        Query(
            ge=0,
            le=MAX_DISPATCH_MINUTES,
            allow_inf_nan=False,
            description="Call-to-departure minutes counted in the 14-minute response; default 3.",
        ),
    ] = None,
    period: Annotated[
        Period | None,
        Query(
            description=(
                "Time of day: `offpeak` (free flow, default) or `peak` (weekday rush hour: minutes times "
                "a factor per mode, PEAK_FACTOR_BY_PROFILE)."
            ),
            examples=["peak"],
        ),
    ] = None,
) -> CoverageOptions:
    """Build the (normalised, hashable) options of a coverage run from the query string.

    A coroutine (no work to wait for): it runs on the event loop instead of taking a thread of the request
    thread pool, so a cached answer never waits for a thread.
    """
    if mode is not None and profile is not None and mode != profile:
        msg = f"conflicts with mode={mode.value!r} (got {profile.value!r})"
        raise QueryParameterError("profile", msg, "the same value as mode, or leave one of them out")
    chosen = mode or profile
    county = state.county
    default = county.setting if county is not None else lambda name: getattr(defaults, name)
    options = CoverageOptions(
        profile=chosen.value if chosen is not None else default("SERVICE_CIRCLE_PROFILE"),
        minutes=float(minutes) if minutes is not None else float(default("SERVICE_CIRCLE_MINUTES")),
        include_planned=include_planned,
        dispatch_minutes=float(dispatch_minutes)
        if dispatch_minutes is not None
        else float(default("EMS_DISPATCH_MINUTES")),
        period=period.value if period is not None else defaults.DEFAULT_PERIOD,
    )
    # the county's own targets (e.g. a 12-minute EMS circle) fill what the query leaves open
    return county.coverage_options(options) if county is not None else options


def get_run(state: AppState, options: CoverageOptions) -> CoverageRun:
    """Return the coverage run of *options*, computing it once per scenario."""

    def compute() -> CoverageRun:
        logger.info("coverage run for %s", options)
        run = run_coverage(state.inputs, state.travel, options=options)
        if state.county is None:
            return run
        return dataclasses.replace(run, document=stamp_county(run.document, state.county))

    run: CoverageRun = state.cache.get_or_compute(("coverage", options), compute)
    return run


def document_bytes(state: AppState, options: CoverageOptions) -> bytes:
    """The coverage document of *options* as UTF-8 JSON (cached)."""

    def compute() -> bytes:
        document = jsonable(get_run(state, options).document)
        return json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()

    body: bytes = state.cache.get_or_compute(("coverage_json", options), compute)
    return body


OptionsDep = Annotated[CoverageOptions, Depends(coverage_options)]

_DESCRIPTION = (
    "Share of the population within each standard (15-minute service circle by facility tier, 14-minute "
    "emergency response, 5 km EMS radius, ambulances, AEDs, beds, ...), county-wide and per town, with the "
    "network and population sources and every assumption used. Same document as "
    "`healthcircle report --format json`."
)


# Decorators apply bottom-up: /api/coverage is registered first, then its short address.
@router.get(
    "/coverage",
    response_model=CoverageDocument,
    summary="Coverage report (JSON), short address",
    description=_DESCRIPTION,
    operation_id="coverage_short_coverage_get",
)
@router.get(
    "/api/coverage",
    response_model=CoverageDocument,
    summary="Coverage report (JSON)",
    description=_DESCRIPTION,
)
async def api_coverage(request: Request, state: StateDep, options: OptionsDep) -> Response:
    """The coverage report for the chosen scenario (``/coverage`` is a short address of the same)."""

    payload: Payload = await state.pool.run(
        ("coverage_payload", options), Work("coverage_payload", (options,)), request
    )
    return payload_response(payload, request)


@register_work("coverage_payload")
def coverage_payload(state: AppState, options: CoverageOptions) -> Payload:
    """The coverage document of *options*, encoded and compressed."""
    return make_payload(document_bytes(state, options), "application/json")
