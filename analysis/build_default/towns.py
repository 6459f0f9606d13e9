"""The county outline and its 19 towns: seats, approximate areas and 2020 populations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, shape

from analysis import settings
from analysis.build_default.sources import (
    CENSUS_SOURCE,
    COMMUNITY_OF_TOWN,
    COUNTY_CODE,
    SOURCES_DIR,
    TOWN_FIGURES,
    TOWNS_SOURCE,
    read_csv,
)
from analysis.town_population import PublishedFigure, TownFigure, tiered_totals


@dataclass(frozen=True)
class Town:
    """One of the 19 town-level units, with its seat point if known."""

    code: str
    name_zh: str
    short: str
    name_en: str
    slug: str
    kind: str
    seat: tuple[float, float] | None
    seat_source: str | None
    seat_note: str


def _short(name_zh: str) -> str:
    return name_zh.removesuffix("街道").removesuffix("镇")


def read_towns() -> list[Town]:
    """The 19 towns of towns.csv (development zones left out) with seats from places.csv."""
    places = {row["name_zh"]: row for row in read_csv("places.csv") if row["kind"] == "town_seat"}
    towns = []
    for row in read_csv("towns.csv"):
        if row["town"].startswith("4"):  # 4xx codes are development zones, not towns
            continue
        place = places[row["name"]]
        seat = (float(place["lon"]), float(place["lat"])) if place["lon"] and place["lat"] else None
        towns.append(
            Town(
                code=row["code"] + row["town"][:3],
                name_zh=row["name"],
                short=_short(row["name"]),
                name_en=place["name_en"],
                slug=place["name_en"].split()[0].lower(),
                kind="street" if row["name"].endswith("街道") else "town",
                seat=seat,
                seat_source=place["source"] or None,
                seat_note=place["note"],
            )
        )
    return towns


def build_boundary() -> tuple[dict[str, Any], gpd.GeoDataFrame]:
    """County outline with source and precision."""
    doc = json.loads((SOURCES_DIR / "jinjiang_boundary_wgs84.geojson").read_text(encoding="utf-8"))
    geom = shape(doc["features"][0]["geometry"])
    props = {
        "code": COUNTY_CODE,
        "name_zh": "晋江市",
        "name_en": "Jinjiang",
        "source": (
            "PyPI cnmaps==1.1.9 "
            "cnmaps/data/geojson.min/administrative/amap/land/350582.geojson (BSD-3; outline "
            "drawn from AMap), GCJ-02 converted to WGS-84 with the iterative inverse transform (~1 m)"
        ),
        "precision": "approximate",
        "note": "outline as AMap draws it; 718.6 km² incl. some tidal flats (official land area 649 km²)",
    }
    feature = {"type": "Feature", "properties": props, "geometry": doc["features"][0]["geometry"]}
    gdf = gpd.GeoDataFrame([props], geometry=[geom], crs=settings.GEOGRAPHIC_CRS)
    return feature, gdf


def build_towns(towns: list[Town], boundary: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Voronoi cells of the located seats (EPSG:32650) clipped to the outline; others null."""
    census = {row["code"]: int(row["census_2020"]) for row in read_csv("population_facts.csv")}
    outline = shapely.union_all(boundary.to_crs(settings.WORKING_CRS).geometry.to_numpy())
    located = [t for t in towns if t.seat is not None]
    seats = gpd.GeoSeries(
        [Point(t.seat) for t in located if t.seat is not None], crs=settings.GEOGRAPHIC_CRS
    ).to_crs(settings.WORKING_CRS)
    regions = shapely.voronoi_polygons(MultiPoint(list(seats)), extend_to=outline.envelope.buffer(1000.0))
    area_of: dict[str, Any] = {}
    for town, seat in zip(located, seats, strict=True):
        region = next(r for r in regions.geoms if r.contains(seat))
        area_of[town.code] = shapely.intersection(region, outline)
    figures = town_figures(towns, area_of)
    whole = _whole_people({code: f.population for code, f in figures.items() if f.population is not None})
    rows = []
    geoms = []
    for town in towns:
        known = town.seat is not None
        figure = figures[town.code]
        if known:
            source = (
                f"{TOWNS_SOURCE}; area: Voronoi cell of the seat "
                f"point ({town.seat_source}) clipped to the outline"
            )
            note = f"approximate area (nearest seat), not the official boundary. Seat: {town.seat_note}"
        else:
            source = TOWNS_SOURCE
            note = (
                "location unknown: no seat coordinates; its land lies "
                f"inside neighbours' approximate areas. {town.seat_note}"
            )
        rows.append(
            {
                "town_code": town.code,
                "name_zh": town.name_zh,
                "name_en": town.name_en,
                "kind": town.kind,
                "seat_known": known,
                "precision": "approximate" if known else "unknown",
                "source": source,
                "census_2020": census.get(town.code),
                "population_2020": whole.get(town.code),
                "population_method": figure.method,
                "population_year": figure.year,
                "population_source": figure.source,
                "population_trust": figure.trust,
                "population_published": None if figure.published is None else int(figure.published),
                "population_counted": figure.what_counted,
                "community": COMMUNITY_OF_TOWN[town.short],
                "note": note,
            }
        )
        geoms.append(area_of.get(town.code))
    gdf = gpd.GeoDataFrame(
        rows, geometry=gpd.GeoSeries(geoms, crs=settings.WORKING_CRS), crs=settings.WORKING_CRS
    )
    return gdf.to_crs(settings.GEOGRAPHIC_CRS)


def published_figures() -> list[PublishedFigure]:
    """The published town figures of ``sources/town_population_published.csv``."""
    return [
        PublishedFigure(
            town=row["town"],
            year=row["year"],
            population=float(row["population"]),
            what_counted=row["what_counted"],
            source=row["source_url"],
            trust=row["trust"],
        )
        for row in read_csv(TOWN_FIGURES)
    ]


def town_figures(towns: list[Town], area_of: dict[str, Any]) -> dict[str, TownFigure]:
    """Every town's 2020 population by the tiered rule (:mod:`analysis.town_population`)."""
    census_rows = {row["code"]: row for row in read_csv("population_facts.csv")}
    census = {code: float(row["census_2020"]) for code, row in census_rows.items() if code != COUNTY_CODE}
    rows = [
        {
            "town_code": t.code,
            "name_zh": t.name_zh,
            "area_m2": float(area_of[t.code].area) if t.code in area_of else None,
        }
        for t in towns
    ]
    return tiered_totals(
        rows,
        published_figures(),
        census=census,
        county_total=float(census_rows[COUNTY_CODE]["census_2020"]),
        census_source={c: f"{r['source']} ({CENSUS_SOURCE})" for c, r in census_rows.items()},
    )


def _whole_people(values: dict[str, float]) -> dict[str, int]:
    """Round to whole people keeping the sum (largest remainders; ties by town code)."""
    floors = {code: int(np.floor(v)) for code, v in values.items()}
    missing = round(sum(values.values())) - sum(floors.values())
    order = sorted(values, key=lambda c: (-(values[c] - floors[c]), c))
    for code in order[:missing]:
        floors[code] += 1
    return floors
