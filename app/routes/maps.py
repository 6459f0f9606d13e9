"""Interactive maps (Leaflet pages by folium): ``/maps/coverage``, ``/maps/ems``, ``/maps/accessibility``.

Maps take the same query parameters as ``/api/coverage`` and load Leaflet from ``/static``, so they work
with no internet access.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import folium
import geopandas as gpd
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from analysis import maps
from analysis import settings as defaults
from analysis.coverage import CoverageOptions
from analysis.datasets import EMS_KINDS
from app.compute import Work, register_work
from app.deps import AppState, StateDep
from app.payload import Payload, make_payload, payload_response
from app.routes.coverage import OptionsDep, get_run
from app.routes.isochrones import isochrones_for
from app.schemas import ERROR_RESPONSES, HTML_ERROR_RESPONSES

router = APIRouter(prefix="/maps", tags=["maps"], responses=ERROR_RESPONSES)

#: URL prefix of the vendored Leaflet/jQuery files (mounted by ``create_app``).
ASSET_BASE_URL = "/static/vendor"


def _open_only(state: AppState) -> gpd.GeoDataFrame:
    fac = state.inputs.facilities
    return fac[fac["status"] != "planned"] if "status" in fac else fac


def _page(
    state: AppState,
    options: CoverageOptions,
    name: str,
    draw: Callable[..., folium.Map],
    extra: Callable[[], dict[str, Any]],
) -> str:
    """HTML of the map *name* drawn by *draw* for *options* (cached); *extra* gives its own arguments."""

    def render() -> str:
        run = get_run(state, options)
        inputs = state.inputs
        m = draw(
            inputs.facilities if options.include_planned else _open_only(state),
            run.cells,
            run.document,
            boundary=inputs.boundary,
            towns=inputs.towns,
            population_modelled=inputs.population.modelled,
            tiles_url=state.settings.tiles_url or None,
            tiles_attribution=state.settings.tiles_attribution,
            **extra(),
        )
        return maps.to_html(m, asset_base_url=ASSET_BASE_URL)

    page: str = state.cache.get_or_compute((name, options), render)
    return page


def coverage_page(state: AppState, options: CoverageOptions) -> str:
    """HTML of the service-circle map for *options* (cached)."""
    return _page(state, options, "map_coverage", maps.coverage_map, lambda: {"minutes": options.minutes})


def ems_page(state: AppState, options: CoverageOptions) -> str:
    """HTML of the emergency-response map for *options* (cached)."""

    def extra() -> dict[str, Any]:
        dispatch = (
            defaults.EMS_DISPATCH_MINUTES if options.dispatch_minutes is None else options.dispatch_minutes
        )
        target = defaults.EMS_RESPONSE_MINUTES if options.ems_minutes is None else options.ems_minutes
        drive_minutes = target - dispatch
        bands = None
        if drive_minutes > 0:
            bands, _ = isochrones_for(
                state,
                kinds=tuple(EMS_KINDS),
                minutes=(drive_minutes,),
                profile=options.ems_profile,
                include_planned=options.include_planned,
            )
        return {"bands": bands, "dispatch_minutes": dispatch}

    return _page(state, options, "map_ems", maps.ems_map, extra)


def accessibility_page(state: AppState, options: CoverageOptions) -> str:
    """HTML of the bed-accessibility (E2SFCA) map for *options* (cached)."""
    return _page(state, options, "map_accessibility", maps.accessibility_map, dict)


@router.get(
    "/coverage",
    response_class=HTMLResponse,
    summary="Map: 15-minute medical service circle",
    responses=HTML_ERROR_RESPONSES,
)
async def coverage_map(request: Request, state: StateDep, options: OptionsDep) -> Response:
    """Facilities by kind, population cells coloured by minutes to the nearest facility, the circle's
    outline, uncovered cells, town table and legend."""
    return await html_payload(
        request, state, ("map_coverage_payload", options), Work("map_coverage_payload", (options,))
    )


@router.get(
    "/ems",
    response_class=HTMLResponse,
    summary="Map: 14-minute emergency response",
    responses=HTML_ERROR_RESPONSES,
)
async def ems_map(request: Request, state: StateDep, options: OptionsDep) -> Response:
    """120 sites with their response bands and the worst-served population cells."""
    return await html_payload(
        request, state, ("map_ems_payload", options), Work("map_ems_payload", (options,))
    )


async def html_payload(request: Request, state: AppState, key: Hashable, work: Work) -> Response:
    """Send the HTML page of *key*: rendered once by *work* in the worker pool, then served from the cache."""
    payload: Payload = await state.pool.run(key, work, request)
    return payload_response(payload, request)


def html_document(page: str) -> Payload:
    """An HTML page ready to send (compressed, fingerprinted, its inline scripts hashed for the CSP)."""
    return make_payload(page, "text/html; charset=utf-8")


register_work("map_coverage_payload")(lambda state, options: html_document(coverage_page(state, options)))
register_work("map_ems_payload")(lambda state, options: html_document(ems_page(state, options)))
register_work("map_accessibility_payload")(
    lambda state, options: html_document(accessibility_page(state, options))
)


@router.get(
    "/accessibility",
    response_class=HTMLResponse,
    summary="Map: beds reachable per 1,000 people (E2SFCA)",
    responses=HTML_ERROR_RESPONSES,
)
async def accessibility_map(request: Request, state: StateDep, options: OptionsDep) -> Response:
    """Population cells coloured by the beds reachable per 1,000 people (enhanced two-step floating
    catchment), hospitals and health centres, and each town's score."""
    return await html_payload(
        request, state, ("map_accessibility_payload", options), Work("map_accessibility_payload", (options,))
    )
