"""Request enums, limits and response schemas of the HTTP API (with examples for ``/docs``)."""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from analysis.maps import KIND_STYLE

# --- request vocabularies and limits --------------------------------------------------------------


class Profile(StrEnum):
    """Travel profiles of the travel-time engine (``analysis.settings.PROFILES``)."""

    ambulance = "ambulance"
    car = "car"
    ebike = "ebike"
    walk = "walk"


class Period(StrEnum):
    """Time of day of a coverage run (``analysis.settings.PERIODS``)."""

    offpeak = "offpeak"
    peak = "peak"


class FacilityKind(StrEnum):
    """Facility kinds of ``data/facilities.geojson`` (``analysis.datasets.FACILITY_KINDS``)."""

    hospital = "hospital"
    township_centre = "township_centre"
    community_centre = "community_centre"
    ems_centre = "ems_centre"
    ems_subcentre = "ems_subcentre"
    ems_station = "ems_station"
    aed = "aed"
    village_clinic = "village_clinic"


#: Bilingual label of each kind (Chinese first), as drawn by the maps.
KIND_LABELS: dict[str, str] = {kind: style[0] for kind, style in KIND_STYLE.items()}

#: Shortest travel-time threshold accepted, minutes: below one minute nothing meaningful is reachable.
MIN_MINUTES = 1.0
#: Longest coverage threshold accepted, minutes: beyond two hours no plan speaks of "access".
MAX_MINUTES = 120.0
#: Longest isochrone band, minutes: an hour's travel already crosses the whole county.
MAX_ISOCHRONE_MINUTES = 60.0
#: Most isochrone bands in one request: more bands are unreadable on a map and slow to draw.
MAX_BANDS = 6
#: Longest dispatch delay accepted, minutes (the national target is 3).
MAX_DISPATCH_MINUTES = 30.0
#: Widest band drawn around an isochrone's reached roads, metres: wider, the roads' shape is lost.
MAX_BUFFER_M = 1000.0


# --- responses ----------------------------------------------------------------------------------------


def _with_example(example: dict[str, Any], *, allow_extra: bool = False) -> ConfigDict:
    """Model config that shows *example* in ``/docs``; *allow_extra* keeps fields the model does not name."""
    config = ConfigDict(json_schema_extra={"examples": [example]})
    if allow_extra:
        config["extra"] = "allow"
    return config


class ParameterProblem(BaseModel):
    """One rejected request parameter."""

    parameter: str = Field(description="Name of the query parameter.")
    message: str = Field(description="What was wrong with it.")
    allowed: str | None = Field(default=None, description="The values or range that are accepted.")


class ErrorResponse(BaseModel):
    """Body of every 4xx answer: a message a planner can act on."""

    model_config = _with_example(
        {
            "detail": "minutes: Input should be greater than or equal to 1 (got '-5'); "
            "allowed: a number of minutes from 1 to 120",
            "errors": [
                {
                    "parameter": "minutes",
                    "message": "Input should be greater than or equal to 1 (got '-5')",
                    "allowed": "a number of minutes from 1 to 120",
                }
            ],
        }
    )

    detail: str
    errors: list[ParameterProblem] = Field(default_factory=list)


_BUSY = (
    "Every worker is busy computing other scenarios and the queue is full; try again after the "
    "`Retry-After` seconds (answers already computed are served at once)."
)
_ERROR_JSON = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"model": ErrorResponse, "description": "A parameter is outside its allowed range or set."},
    503: {"model": ErrorResponse, "description": _BUSY},
}

#: The same errors for endpoints that answer HTML: the errors themselves are JSON.
HTML_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"description": "A parameter is outside its allowed range or set (JSON).", "content": _ERROR_JSON},
    503: {"description": _BUSY + " (JSON)", "content": _ERROR_JSON},
}


class Health(BaseModel):
    """Liveness and what the service has loaded."""

    model_config = _with_example(
        {
            "status": "ok",
            "network_source": "straight-line estimate",
            "population_source": "modelled: census total spread over approximate town areas",
            "facilities": 120,
            "cells": 2900,
        }
    )

    status: Literal["ok"]
    network_source: str
    population_source: str
    facilities: int
    cells: int


class StandardInfo(BaseModel):
    """One target of the county plan or a national rule, as checked by the tool."""

    model_config = _with_example(
        {
            "id": "ems_response_14min",
            "name_zh": "14分钟急救圈",
            "name_en": "14-minute emergency response circle",
            "target": 14,
            "unit": "minutes",
            "comparison": "<=",
            "source": "晋江市“十四五”卫生健康事业发展专项规划 三(一)3(2)",
            "settings": ["EMS_RESPONSE_MINUTES", "EMS_DISPATCH_MINUTES"],
        },
        allow_extra=True,
    )

    id: str
    name_zh: str
    name_en: str
    target: Any = None
    unit: str | None = None
    comparison: str | None = None
    source: str | None = None
    settings: Any = None


class Feature(BaseModel):
    """A GeoJSON Feature in WGS-84; ``geometry`` is null when the location is unknown."""

    model_config = ConfigDict(extra="allow")

    type: Literal["Feature"] = "Feature"
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(BaseModel):
    """A GeoJSON FeatureCollection in WGS-84 (EPSG:4326, longitude first)."""

    model_config = _with_example(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": "hosp-luoshang",
                    "geometry": {"type": "Point", "coordinates": [118.58, 24.79]},
                    "properties": {
                        "id": "hosp-luoshang",
                        "name_zh": "晋江市医院罗裳院区",
                        "name_en": "Jinjiang Municipal Hospital, Luoshang campus",
                        "kind": "hospital",
                        "beds": 1200,
                        "status": "open",
                        "precision": "address",
                    },
                }
            ],
        },
        allow_extra=True,
    )

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[Feature]


class StandardResult(BaseModel):
    """One standard evaluated for the chosen scenario."""

    model_config = ConfigDict(extra="allow")

    id: str
    name_zh: str | None = None
    name_en: str | None = None
    target: Any = None
    value: Any = None
    unit: str | None = None
    passed: bool | None = None


class CoverageDocument(BaseModel):
    """The coverage report: the same document as ``healthcircle report --format json``."""

    model_config = _with_example(
        {
            "network_source": "straight-line estimate",
            "population_source": "modelled: census total spread over approximate town areas",
            "assumptions": {"SERVICE_CIRCLE_PROFILE": "ebike", "SERVICE_CIRCLE_MINUTES": 15},
            "standards": [
                {
                    "id": "service_circle_15min",
                    "name_zh": "15分钟医疗卫生服务圈",
                    "name_en": "15-minute medical service circle",
                    "target": None,
                    "value": 0.93,
                    "unit": "share of population",
                    "passed": None,
                }
            ],
            "towns": [{"town_code": "350582001", "name_zh": "青阳街道", "name_en": "Qingyang"}],
            "scenario": {"profile": "ebike", "minutes": 15, "include_planned": False},
        },
        allow_extra=True,
    )

    network_source: str
    population_source: str
    assumptions: Any = None
    standards: list[StandardResult]
    towns: list[dict[str, Any]]
    scenario: Any = None
    period: str | None = None
    accessibility: Any = None
    equity: Any = None
    shortfalls: Any = None
    worst_served: Any = None
    town_ranking: Any = None


# --- serialisation helpers --------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """Convert numpy/pandas scalars and containers to plain JSON values; NaN and infinity become null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if value is None or isinstance(value, str):
        return value
    if value is pd.NaT or (not isinstance(value, type) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _round(coords: Any, decimals: int) -> Any:
    if isinstance(coords, float | int):
        return round(float(coords), decimals)
    return [_round(c, decimals) for c in coords]


#: Decimal places of coordinates in API answers: 1e-6 degree is ~0.1 m, finer than any input.
API_COORD_DECIMALS = 6


def geometry_json(geom: Any) -> dict[str, Any] | None:
    """GeoJSON geometry dict of a shapely geometry (``None`` for a missing or empty one)."""
    if geom is None or getattr(geom, "is_empty", True):
        return None
    gi = geom.__geo_interface__
    if gi["type"] == "GeometryCollection":
        return {"type": "GeometryCollection", "geometries": [geometry_json(g) for g in geom.geoms]}
    return {"type": gi["type"], "coordinates": _round(gi["coordinates"], API_COORD_DECIMALS)}


def feature_collection(gdf: gpd.GeoDataFrame, *, id_column: str | None = None) -> dict[str, Any]:
    """A WGS-84 GeoJSON FeatureCollection of *gdf*; rows without geometry keep ``geometry: null``."""
    if gdf.crs is not None and gdf.crs.to_string() != "EPSG:4326":
        gdf = gdf.to_crs("EPSG:4326")
    geom_name = gdf.geometry.name
    columns = [c for c in gdf.columns if c != geom_name]
    features = []
    for geom, rec in zip(gdf.geometry, gdf[columns].to_dict("records"), strict=True):
        props = jsonable(rec)
        feature: dict[str, Any] = {"type": "Feature", "geometry": geometry_json(geom), "properties": props}
        if id_column is not None and props.get(id_column) is not None:
            feature["id"] = props[id_column]
        features.append(feature)
    return {"type": "FeatureCollection", "features": features}
