"""FastAPI application factory: ``create_app()`` loads the data once and wires the routers."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles

from analysis.county import load_county, load_county_inputs
from analysis.coverage.travel_cache import share_on_disk
from analysis.datasets import DATA_DIR, network_path
from analysis.errors import NetworkError
from analysis.siting.jobs import RESULTS_VERSION
from analysis.store import DATABASE_FILE, fingerprint
from analysis.travel import TravelModel, load_travel_model
from app.cache import ByteBoundedCache
from app.config import Settings, get_settings
from app.deps import AppState
from app.errors import install_error_handlers
from app.middleware import BodySizeLimit, SecurityHeaders, tile_origin
from app.payload import make_payload, payload_response
from app.routes import (
    coverage,
    facilities,
    health,
    isochrones,
    jobs,
    maps,
    pages,
    scenarios,
    siting,
    standards,
    towns,
)

logger = logging.getLogger(__name__)

#: Vendored Leaflet/jQuery (see app/static/vendor/README.md), served at /static.
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Responses smaller than this are sent uncompressed: compressing them saves less than it costs.
GZIP_MIN_BYTES = 2048
#: Swagger UI and ReDoc, vendored so that /docs and /redoc work offline.
SWAGGER_DIR = "/static/vendor/swagger-ui-5.35.0"
REDOC_JS = "/static/vendor/redoc-2.5.1/redoc.standalone.js"

_DESCRIPTION = """
15分钟医疗卫生服务圈 — health-service and emergency-response coverage of a county against its plan.

All coordinates are WGS-84 (EPSG:4326, longitude first). Travel times come from the road network when one is
loaded, otherwise from a straight-line estimate; every answer says which (`network_source`). Bad parameters
get a 422 whose `detail` names the parameter and the allowed range.
"""


#: Temporary travel-answer folders are named ``healthcircle-travel-<pid>-…`` after the server owning them.
TEMPORARY_TRAVEL_PREFIX = "healthcircle-travel-"


def _remove_orphaned_travel_folders() -> None:
    """Remove temporary travel folders of servers that are gone (one stopped by a signal leaves its own)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMPORARY_TRAVEL_PREFIX}*-*"):
        pid = folder.name.removeprefix(TEMPORARY_TRAVEL_PREFIX).split("-", 1)[0]
        if not pid.isdigit() or Path(f"/proc/{pid}").exists() or not Path("/proc/self").exists():
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _share_travel(settings: Settings, travel: TravelModel, identity: str) -> Path | None:
    """Keep travel answers in a folder the worker processes share; the folder when it is temporary.

    Threads of one process share the answers in memory already: a folder is used then only when set.
    """
    directory = settings.travel_cache_dir
    temporary = None
    if directory is None:
        if not settings.worker_processes:
            return None
        _remove_orphaned_travel_folders()
        directory = temporary = Path(tempfile.mkdtemp(prefix=f"{TEMPORARY_TRAVEL_PREFIX}{os.getpid()}-"))
    share_on_disk(travel, directory, identity=identity, max_bytes=settings.travel_cache_bytes)
    return temporary


def build_state(settings: Settings) -> AppState:
    """Load the county folder and the travel model once (the expensive part of start-up)."""
    county = load_county(settings.data_dir if settings.data_dir is not None else DATA_DIR)
    inputs = load_county_inputs(county)
    if settings.network_file is not None and not settings.network_file.is_file():
        msg = (
            f"HEALTHCIRCLE_NETWORK_FILE={settings.network_file} does not exist; build it with "
            "`healthcircle network fetch` or unset it to use the data folder's own graph."
        )
        raise NetworkError(msg)
    travel = load_travel_model(settings.network_file or network_path(settings.data_dir), crs=county.crs)
    logger.info(
        "Loaded %s: %d facilities, %d population cells; travel: %s; working CRS %s",
        county.label,
        len(inputs.facilities),
        len(inputs.population.cells),
        travel.network_source,
        county.crs,
    )
    data_dir = settings.data_dir if settings.data_dir is not None else DATA_DIR
    network = settings.network_file or network_path(settings.data_dir)
    temporary = _share_travel(
        settings, travel, fingerprint([network], extra=[travel.network_source, county.crs, RESULTS_VERSION])
    )
    state = AppState(
        inputs=inputs,
        travel=travel,
        settings=settings,
        cache=ByteBoundedCache(settings.cache_bytes),
        county=county,
        database_file=settings.database_file or Path(data_dir) / DATABASE_FILE,
        data_fingerprint=fingerprint([data_dir, network], extra=[travel.network_source, RESULTS_VERSION]),
    )
    if temporary is not None:
        # removed with the state (or when the server exits); forked workers never remove it
        weakref.finalize(state, shutil.rmtree, temporary, ignore_errors=True)
    return state


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web application.

    Parameters
    ----------
    settings
        Service settings; default :func:`app.config.get_settings` (``HEALTHCIRCLE_*`` environment variables).

    Returns
    -------
    fastapi.FastAPI
        The app; its lifespan loads the data and road network into ``app.state.healthcircle``.
    """
    settings = settings if settings is not None else get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A state placed on the app beforehand (e.g. shared by several test clients) is kept as is.
        owned = getattr(app.state, "healthcircle", None) is None
        if owned:
            app.state.healthcircle = build_state(settings)
        app.state.healthcircle.jobs.resume()  # jobs a previous run left unfinished
        yield
        if owned:
            app.state.healthcircle.close()

    app = FastAPI(
        title="healthcircle",
        summary="县域 15分钟医疗卫生服务圈 / county health-service coverage",
        description=_DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Cached documents carry their own gzip bytes (app/payload.py); this compresses the other responses and
    # leaves those with a Content-Encoding alone.
    # Innermost first: the security headers see each page before it is compressed (to hash its scripts).
    app.add_middleware(SecurityHeaders, tile_host=tile_origin(settings.tiles_url))
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    install_error_handlers(app)
    routers = (
        health,
        pages,
        standards,
        facilities,
        towns,
        coverage,
        isochrones,
        maps,
        siting,
        jobs,
        scenarios,
    )
    for module in routers:
        app.include_router(module.router)
    _add_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _add_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from the vendored assets (no CDN: they work offline)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> Response:
        page = get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            swagger_js_url=f"{SWAGGER_DIR}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER_DIR}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER_DIR}/favicon-32x32.png",
        )
        return payload_response(make_payload(bytes(page.body), "text/html; charset=utf-8"), request)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> Response:
        page = get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} — API",
            redoc_js_url=REDOC_JS,
            redoc_favicon_url=f"{SWAGGER_DIR}/favicon-32x32.png",
            with_google_fonts=False,
        )
        return payload_response(make_payload(bytes(page.body), "text/html; charset=utf-8"), request)
