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

from analysis.display import bilingual_name, minutes_text, people_text, row_value
from analysis.maps.banners import add_banner, caveats
from analysis.maps.geometry import (
    DISPLAY_SIMPLIFY_DEG,
    feature,
    feature_collection,
    located,
    simplified,
    to_wgs84,
)
from analysis.maps.legends import UNREACHED_COLOUR, time_colour
from analysis.maps.markers import add_facility_layers
from analysis.maps.tables import town_popup


def static_layer(
    data: Mapping[str, Any], *, name: str, style: Mapping[str, Any], show: bool = True
) -> folium.GeoJson:
    """A non-interactive GeoJSON layer drawn with one *style* (outlines, regions, marked cells)."""
    return folium.GeoJson(
        data, name=name, show=show, style_function=lambda _f: dict(style), interactive=False
    )


def cell_style(colour: str) -> dict[str, Any]:
    """Style of one population cell filled with *colour*."""
    return {"fillColor": colour, "color": colour, "weight": 0.3, "fillOpacity": 0.55}


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


def add_towns(
    m: folium.Map,
    towns: gpd.GeoDataFrame | None,
    towns_rows: Sequence[Mapping[str, Any]],
    *,
    show: bool = False,
) -> None:
    """Draw the (approximate) town areas, each with a popup of its row of the coverage town table."""
    if towns is None or len(towns) == 0:
        return
    towns = to_wgs84(towns)
    by_code = {str(r.get("town_code")): r for r in towns_rows}
    rows = located(towns)
    group = folium.FeatureGroup(name="乡镇（近似范围）Towns (approximate areas)", show=show)
    for rec, geom in zip(rows.to_dict("records"), rows.geometry.simplify(DISPLAY_SIMPLIFY_DEG), strict=True):
        row = by_code.get(str(rec.get("town_code")), {"town_code": rec.get("town_code")})
        title = f"<b>{html.escape(bilingual_name(rec))}</b>"
        layer = folium.GeoJson(
            feature(geom),
            style_function=lambda _f: {"color": "#555", "weight": 1, "fillOpacity": 0.0},
            tooltip=bilingual_name(rec),
        )
        folium.Popup(title + town_popup(row), max_width=360).add_to(layer)
        layer.add_to(group)
    group.add_to(m)


def cell_layer(
    cells: gpd.GeoDataFrame,
    *,
    minutes_column: str,
    threshold_minutes: float,
    name: str,
    towns: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    extra_fields: Sequence[tuple[str, str, str]] = (),
) -> folium.GeoJson:
    """Population cells coloured by *minutes_column* against *threshold_minutes*, with a short tooltip."""
    # One GeoJson layer for all cells with short property values: the page carries thousands of cells.
    towns_by_code = short_names(towns, "town_code")
    facilities_by_id = short_names(facilities, "id")
    props = []
    colours: dict[str, str] = {}
    ids = [str(c) for c in cells["cell_id"]]
    for cell_id, rec in zip(ids, cells.to_dict("records"), strict=True):
        minutes = pd.to_numeric(rec.get(minutes_column), errors="coerce")
        colours[cell_id] = time_colour(None if pd.isna(minutes) else float(minutes), threshold_minutes)
        p = {
            "town": towns_by_code.get(str(rec.get("town_code")), str(row_value(rec, "town_code") or "—")),
            "pop": people_text(rec.get("population")),
            "min": minutes_text(rec.get(minutes_column)),
            "near": facilities_by_id.get(str(rec.get("nearest_facility_id")), "—"),
        }
        for column, key, _alias in extra_fields:
            p[key] = minutes_text(rec.get(column))
        props.append(p)
    data = feature_collection(simplified(cells), props, ids=ids)
    fields = ["town", "pop", "min", *[k for _, k, _ in extra_fields], "near"]
    aliases = [
        "乡镇 Town",
        "人口 Population",
        "分钟 Minutes",
        *[a for _, _, a in extra_fields],
        "最近 Nearest",
    ]
    return folium.GeoJson(
        data,
        name=name,
        style_function=lambda f: cell_style(colours.get(str(f["id"]), UNREACHED_COLOUR)),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
    )


def add_region(
    m: folium.Map, cells: gpd.GeoDataFrame, *, name: str, colour: str, fill_opacity: float, show: bool = True
) -> None:
    """Draw the cells dissolved into one (multi)polygon: far lighter than one outline per cell."""
    if len(cells) == 0:
        return
    region = union_all(np.asarray(cells.geometry)).simplify(DISPLAY_SIMPLIFY_DEG)
    style = {
        "color": colour,
        "weight": 2,
        "fillColor": colour,
        "fillOpacity": fill_opacity,
        "dashArray": "4 3",
    }
    static_layer(feature(region), name=name, style=style, show=show).add_to(m)


def add_marked_cells(
    m: folium.Map, cells: gpd.GeoDataFrame, *, name: str, colour: str, show: bool = True
) -> None:
    """Draw *cells* outlined in *colour* (e.g. the worst-served ones)."""
    if len(cells) == 0:
        return
    data = feature_collection(cells, [{} for _ in range(len(cells))], ids=[str(c) for c in cells["cell_id"]])
    style = {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.15}
    static_layer(data, name=name, style=style, show=show).add_to(m)


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
    """Towns, county outline, facility layers, layer control and banner; returns the unlocated facilities."""
    add_towns(m, towns, document.get("towns", []))
    add_outline(m, boundary, name="县界 County boundary")
    unlocated = add_facility_layers(m, facilities, kinds=kinds)
    folium.LayerControl(collapsed=False).add_to(m)
    add_banner(m, caveats(document, population_modelled=population_modelled))
    return unlocated
