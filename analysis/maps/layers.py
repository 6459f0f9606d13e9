"""Shared map layers: outlines, town areas, population cells coloured by minutes, dissolved regions."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import union_all
from shapely.ops import polylabel

from analysis.display import bilingual_name, people_text, row_value, share_text
from analysis.maps.banners import add_banner, caveats
from analysis.maps.behaviour import LABEL_PANE
from analysis.maps.geometry import (
    DISPLAY_SIMPLIFY_DEG,
    feature,
    feature_collection,
    located,
    simplified,
    to_wgs84,
)
from analysis.maps.legends import time_classes, time_colour
from analysis.maps.markers import add_facility_layers
from analysis.maps.tables import town_popup

#: Fill opacity of population cells: the base map (when there is one) shows through.
CELL_FILL_OPACITY = 0.6
#: Style of the outline around people outside the threshold: a line only, so no cell changes colour.
UNCOVERED_STYLE = {"color": "#67001f", "weight": 2, "dashArray": "5 4", "fill": False}


def static_layer(
    data: Mapping[str, Any], *, name: str, style: Mapping[str, Any], show: bool = True
) -> folium.GeoJson:
    """A non-interactive GeoJSON layer drawn with one *style* (outlines, regions, marked cells)."""
    return folium.GeoJson(
        data, name=name, show=show, style_function=lambda _f: dict(style), interactive=False
    )


def cell_style(colour: str) -> dict[str, Any]:
    """Style of one population cell filled with *colour*."""
    return {"fillColor": colour, "color": colour, "weight": 0.5, "fillOpacity": CELL_FILL_OPACITY}


def town_names(towns: gpd.GeoDataFrame | None) -> dict[str, str]:
    """Bilingual name per town code."""
    if towns is None or "town_code" not in towns:
        return {}
    return {str(row["town_code"]): bilingual_name(row) for row in towns.to_dict("records")}


def short_names(gdf: gpd.GeoDataFrame | None, key: str) -> dict[str, str]:
    """Chinese name per *key* (English when there is none): short labels for the thousands of cells."""
    if gdf is None or key not in gdf:
        return {}
    return {
        str(r.get(key)): str(row_value(r, "name_zh") or row_value(r, "name_en") or r.get(key))
        for r in gdf.to_dict("records")
    }


def facility_names(facilities: gpd.GeoDataFrame) -> dict[str, str]:
    """Bilingual name per facility id."""
    return {str(r.get("id")): bilingual_name(r) for r in facilities.to_dict("records")}


def add_outline(m: folium.Map, gdf: gpd.GeoDataFrame | None, *, name: str, colour: str = "#333") -> None:
    """Draw the outlines of *gdf* (e.g. the county boundary) as an unfilled layer named *name*."""
    if gdf is None or len(gdf) == 0:
        return
    rows = located(to_wgs84(gdf))
    if len(rows) == 0:
        return
    data = feature_collection(simplified(rows), [{} for _ in range(len(rows))])
    style = {"color": colour, "weight": 2, "fill": False, "dashArray": "6 4"}
    static_layer(data, name=name, style=style).add_to(m)


#: Pane of the town labels: above the cells (overlay pane, 400) and below the markers (600).
LABEL_PANE_Z = 450
#: Precision of the label point search, degrees (~100 m).
LABEL_TOLERANCE_DEG = 1e-3
#: Style of the approximate town areas: thin, dashed, unfilled (they are not official boundaries).
TOWN_STYLE = {"color": "#555", "weight": 1, "dashArray": "3 4", "fill": False}


def town_label_points(towns: gpd.GeoDataFrame) -> list[tuple[dict[str, Any], Any]]:
    """``(record, point)`` per located town: the visual centre of its (approximate) area, in WGS-84.

    The pole of inaccessibility keeps the label away from the edges; for a multipart area, of its
    largest part.
    """
    rows = located(to_wgs84(towns))
    points = []
    for geom in rows.geometry:
        part = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        points.append(polylabel(part, tolerance=LABEL_TOLERANCE_DEG) if part.area > 0 else part.centroid)
    return list(zip(rows.to_dict("records"), points, strict=True))


def add_towns(
    m: folium.Map,
    towns: gpd.GeoDataFrame | None,
    towns_rows: Sequence[Mapping[str, Any]],
    *,
    show: bool = True,
) -> None:
    """Draw the approximate town areas (dashed outlines) and a label per town, Chinese first.

    Clicking a label opens the town's row of the coverage town table. Labels sit in their own pane
    between the cells and the facility markers, so they never hide a facility.
    """
    if towns is None or len(towns) == 0:
        return
    rows = located(to_wgs84(towns))
    if len(rows) == 0:
        return
    by_code = {str(r.get("town_code")): r for r in towns_rows}
    outlines = feature_collection(simplified(rows), [{} for _ in range(len(rows))])
    static_layer(
        outlines, name="乡镇（近似范围）Towns (approximate areas)", style=TOWN_STYLE, show=show
    ).add_to(m)
    folium.map.CustomPane(LABEL_PANE, z_index=LABEL_PANE_Z, pointer_events=True).add_to(m)
    group = folium.FeatureGroup(name="乡镇名称 Town names", show=show)
    for rec, point in town_label_points(rows):
        zh = html.escape(str(row_value(rec, "name_zh") or ""))
        en = html.escape(str(row_value(rec, "name_en") or ""))
        row = by_code.get(str(rec.get("town_code")), {"town_code": rec.get("town_code")})
        label = f'<span class="hc-town-label">{zh} <small>{en}</small></span>'
        folium.Marker(
            location=[round(float(point.y), 5), round(float(point.x), 5)],
            icon=folium.DivIcon(html=label, icon_size=(0, 0), icon_anchor=(0, 0), class_name="hc-icon"),
            popup=folium.Popup(
                f"<b>{html.escape(bilingual_name(rec))}</b>（近似范围 approximate area）" + town_popup(row),
                max_width=360,
            ),
            pane=LABEL_PANE,
        ).add_to(group)
    group.add_to(m)


def band_layer(
    cells: gpd.GeoDataFrame,
    *,
    minutes_column: str,
    threshold_minutes: float,
    name: str,
) -> folium.GeoJson:
    """Population cells merged by travel-time class, one polygon per class, with people per class.

    Merging keeps the page light (a handful of paths instead of thousands) and the colours are exactly
    the legend's (``time_classes``); hovering a class shows its minutes, people and share.
    """
    minutes = pd.to_numeric(cells[minutes_column], errors="coerce").to_numpy(dtype=float)
    population = pd.to_numeric(cells["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
    total = float(population.sum())
    colours = np.array([time_colour(None if np.isnan(v) else float(v), threshold_minutes) for v in minutes])
    features = []
    for colour, label, _low, _high in time_classes(threshold_minutes):
        inside = colours == colour
        if not inside.any():
            continue
        region = union_all(np.asarray(cells.geometry[inside])).simplify(DISPLAY_SIMPLIFY_DEG)
        people = float(population[inside].sum())
        props = {
            "colour": colour,
            "band": html.unescape(label),
            "people": f"{people_text(people)} 人",
            "share": share_text(people / total if total > 0 else None),
        }
        features.append(feature(region, props))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=lambda f: cell_style(f["properties"]["colour"]),
        highlight_function=lambda _f: {"weight": 1.5, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["band", "people", "share"],
            aliases=["时间 Minutes", "人口 People", "占比 Share"],
            sticky=True,
        ),
    )


def add_uncovered_outline(m: folium.Map, cells: gpd.GeoDataFrame, *, name: str, show: bool = True) -> None:
    """Outline the *cells* (e.g. those beyond the threshold) with ``UNCOVERED_STYLE``: no fill, no tint."""
    if len(cells) == 0:
        return
    region = union_all(np.asarray(cells.geometry)).simplify(DISPLAY_SIMPLIFY_DEG)
    static_layer(feature(region), name=name, style=UNCOVERED_STYLE, show=show).add_to(m)


def add_marked_cells(
    m: folium.Map,
    cells: gpd.GeoDataFrame,
    properties: Sequence[Mapping[str, Any]],
    *,
    name: str,
    colour: str,
    fields: Sequence[tuple[str, str]],
    show: bool = True,
) -> None:
    """Outline *cells* in *colour* (no fill, so the cell keeps its colour), each with a tooltip.

    *fields* are ``(property, label)`` pairs of *properties* shown in the tooltip.
    """
    if len(cells) == 0:
        return
    data = feature_collection(cells, properties, ids=[str(c) for c in cells["cell_id"]])
    folium.GeoJson(
        data,
        name=name,
        show=show,
        style_function=lambda _f: {"color": colour, "weight": 2, "fill": False},
        tooltip=folium.GeoJsonTooltip(fields=[f for f, _ in fields], aliases=[a for _, a in fields]),
    ).add_to(m)


def add_covered_outline(m: folium.Map, cells: gpd.GeoDataFrame, covered: pd.Series, *, name: str) -> None:
    """Draw the outline of the covered cells (the edge of the service circle)."""
    inside = cells[covered.to_numpy(dtype=bool)]
    if len(inside) == 0:
        return
    outline = union_all(np.asarray(inside.geometry)).boundary.simplify(DISPLAY_SIMPLIFY_DEG)
    style = {"color": "#08306b", "weight": 2.5, "fill": False}
    static_layer(feature(outline), name=name, style=style).add_to(m)


def add_context(
    m: folium.Map,
    document: Mapping[str, Any],
    facilities: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None,
    towns: gpd.GeoDataFrame | None,
    kinds: Iterable[str] | None,
    population_modelled: bool | None,
) -> list[dict[str, Any]]:
    """Towns, county outline, facility layers and banner; returns the unlocated facilities."""
    add_towns(m, towns, document.get("towns", []))
    add_outline(m, boundary, name="县界 County boundary")
    unlocated = add_facility_layers(m, facilities, kinds=kinds)
    add_banner(m, caveats(document, population_modelled=population_modelled))
    return unlocated
