"""Folium rendering of coverage results: facility layers, population cells, response bands.

Rendering only: every number drawn here was computed by ``analysis.coverage`` or ``analysis.travel``.
Maps are Leaflet pages; :func:`to_html` can point them at locally served JavaScript and CSS so that a
page works with no internet access (the base-map tiles then simply stay blank).
"""

from __future__ import annotations

import html
import json
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure
from folium.elements import JSCSSMixin
from shapely import union_all

from analysis import settings
from analysis.datasets import EMS_KINDS

logger = logging.getLogger(__name__)

#: Decimal places of drawn coordinates: 5 decimals of a degree is ~1 m, finer than any input.
COORD_DECIMALS = 5
#: Simplification tolerance for drawn outlines, degrees (~10 m): invisible at county zoom, much smaller page.
DISPLAY_SIMPLIFY_DEG = 1e-4
#: How many of the worst-served cells the EMS map marks: enough to show the pattern, few enough to read.
WORST_CELLS_SHOWN = 25

#: Bilingual label, colour and one-glyph symbol of each facility kind (Chinese first).
KIND_STYLE: dict[str, tuple[str, str, str]] = {
    "hospital": ("医院 Hospital", "#c0392b", "医"),
    "township_centre": ("乡镇卫生院 Township health centre", "#2471a3", "卫"),
    "community_centre": ("社区卫生服务中心 Community health centre", "#17a589", "社"),
    "ems_centre": ("120急救中心 EMS centre", "#7d3c98", "急"),
    "ems_subcentre": ("120急救分中心 EMS sub-centre", "#a569bd", "分"),
    "ems_station": ("120急救站 EMS station", "#d35400", "站"),
    "aed": ("AED 自动体外除颤器 AED", "#f1c40f", "A"),
    "village_clinic": ("村卫生所 Village clinic", "#5d6d7e", "村"),
}
UNKNOWN_LOCATION_LABEL = "位置未知 location unknown"

#: Colours of travel-time classes, fastest first, then "not reached".
TIME_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#d73027")
UNREACHED_COLOUR = "#67001f"
#: Class edges as fractions of the threshold: a third, two thirds, the threshold, 4/3 and twice it.
TIME_EDGE_FRACTIONS = (1 / 3, 2 / 3, 1.0, 4 / 3, 2.0)

#: Where each vendored asset lives under ``asset_base_url`` (see app/static/vendor/README.md).
VENDORED_ASSETS = {
    "leaflet": "leaflet-1.9.4/leaflet.js",
    "leaflet_css": "leaflet-1.9.4/leaflet.css",
    "jquery": "jquery-3.7.1/jquery.min.js",
}
#: folium defaults these maps never use (no Bootstrap widgets, no awesome-marker icons).
UNUSED_ASSETS = frozenset(
    {
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_markers_font_css",
        "awesome_rotate_css",
    }
)

_CSS = """
<style>
.hc-icon { background: none; border: none; }
.hc-marker { width: 20px; height: 20px; border-radius: 50%; border: 2px solid #fff; color: #fff;
  font: bold 11px/16px "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; text-align: center;
  box-shadow: 0 0 3px rgba(0,0,0,.6); box-sizing: border-box; }
.hc-marker.hc-planned { opacity: .6; border-style: dashed; border-color: #000; }
.hc-banner { position: fixed; top: 10px; left: 56px; z-index: 1000; max-width: 36%;
  background: #fff3cd; border: 1px solid #d4a017; border-radius: 4px; padding: 6px 12px;
  font: 13px/1.4 "Noto Sans CJK SC", sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.hc-panel { position: fixed; bottom: 24px; right: 10px; z-index: 1000; background: rgba(255,255,255,.95);
  border-radius: 4px; padding: 8px 10px; max-width: 360px; max-height: 60vh; overflow: auto;
  font: 12px/1.4 "Noto Sans CJK SC", sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.hc-panel h4 { margin: 0 0 4px; font-size: 14px; }
.hc-panel table { border-collapse: collapse; }
.hc-panel td, .hc-panel th, .hc-popup td, .hc-popup th { padding: 1px 4px; border-bottom: 1px solid #ddd;
  text-align: left; }
.hc-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 4px; border: 1px solid #888; }
</style>
"""


# --- small helpers ----------------------------------------------------------------------------------


def _esc(value: Any) -> str:
    return html.escape(_fmt(value))


def _fmt(value: Any) -> str:
    """Format a value for display: numbers rounded, missing values as an em dash."""
    if value is None or (pd.api.types.is_scalar(value) and not isinstance(value, str) and pd.isna(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return "是 yes" if value else "否 no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        v = float(value)
        if math.isnan(v):
            return "—"
        if math.isinf(v):
            return "未到达 not reached"
        if v.is_integer() and abs(v) >= 1:
            return f"{int(v):,}"
        return f"{v:,.3g}" if abs(v) < 1 else f"{v:,.1f}"
    return str(value)


def _finite_or_none(value: Any, decimals: int = 1) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return round(v, decimals) if math.isfinite(v) else None


def _rounded(geoms: Iterable[Any]) -> np.ndarray:
    """Copies of *geoms* with coordinates rounded to ``COORD_DECIMALS`` (vectorised; None stays None)."""
    arr = np.array(list(geoms), dtype=object)
    if len(arr) == 0:
        return arr
    arr[pd.isna(arr)] = None
    coords = shapely.get_coordinates(arr)
    return shapely.set_coordinates(arr, np.round(coords, COORD_DECIMALS))


def _interface(geom: Any) -> dict[str, Any] | None:
    if geom is None or geom.is_empty:
        return None
    gi: dict[str, Any] = geom.__geo_interface__
    return gi


def _geometry_dict(geom: Any) -> dict[str, Any] | None:
    return _interface(_rounded([geom])[0])


def _feature_collection(
    gdf: gpd.GeoDataFrame, properties: Iterable[Mapping[str, Any]], ids: Sequence[Any] | None = None
) -> dict[str, Any]:
    features = []
    geoms = _rounded(gdf.geometry)
    texts: list[Any] = list(shapely.to_geojson(geoms)) if len(geoms) else []
    for i, (text, props) in enumerate(zip(texts, properties, strict=True)):
        geometry = json.loads(text) if text is not None else None
        if geometry is not None and geometry.get("coordinates", geometry.get("geometries")):
            fid = str(ids[i]) if ids is not None else str(i)
            features.append({"type": "Feature", "id": fid, "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def _to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if gdf.crs is not None and gdf.crs.to_string() != settings.GEOGRAPHIC_CRS:
        return gdf.to_crs(settings.GEOGRAPHIC_CRS)
    return gdf


def _located(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The rows of *gdf* that have a (non-empty) geometry."""
    return gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]


def _simplified(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the geometries of *gdf*, simplified for display (``DISPLAY_SIMPLIFY_DEG``)."""
    return gpd.GeoDataFrame(geometry=gdf.geometry.simplify(DISPLAY_SIMPLIFY_DEG), crs=gdf.crs)


def _feature(geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": _geometry_dict(geom), "properties": {}}


def _static_layer(
    data: Mapping[str, Any], *, name: str, style: Mapping[str, Any], show: bool = True
) -> folium.GeoJson:
    """A non-interactive GeoJSON layer drawn with one *style* (outlines, regions, marked cells)."""
    return folium.GeoJson(
        data, name=name, show=show, style_function=lambda _f: dict(style), interactive=False
    )


def _cell_style(colour: str) -> dict[str, Any]:
    """Style of one population cell filled with *colour*."""
    return {"fillColor": colour, "color": colour, "weight": 0.3, "fillOpacity": 0.55}


def _marker_icon(css_class: str, colour: str, text: Any) -> folium.DivIcon:
    """Round 20-px marker of *colour* showing *text* (a glyph or a rank)."""
    return folium.DivIcon(
        html=f'<div class="{css_class}" style="background:{colour}">{text}</div>',
        icon_size=(20, 20),
        icon_anchor=(10, 10),
        class_name="hc-icon",
    )


def _swatch(style: str, label: str) -> str:
    """One legend row: a swatch with CSS *style* and its (already escaped) *label*."""
    return f'<div><span class="hc-swatch" style="{style}"></span>{label}</div>'


def _value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return None
    return value


def _name(row: Mapping[str, Any]) -> str:
    """ "Chinese English" name of a row (either may be missing)."""
    return f"{_value(row, 'name_zh') or ''} {_value(row, 'name_en') or ''}".strip()


def _town_names(towns: gpd.GeoDataFrame | None) -> dict[str, str]:
    if towns is None or "town_code" not in towns:
        return {}
    return {str(row["town_code"]): _name(row) for row in towns.to_dict("records")}


def _short_names(gdf: gpd.GeoDataFrame | None, key: str) -> dict[str, str]:
    """Chinese name per *key* (English when there is none): short labels for the thousands of cells."""
    if gdf is None or key not in gdf:
        return {}
    return {
        str(r.get(key)): str(_value(r, "name_zh") or _value(r, "name_en") or r.get(key))
        for r in gdf.to_dict("records")
    }


def time_colour(minutes: float | None, threshold_minutes: float) -> str:
    """Colour of a travel time relative to *threshold_minutes* (green within, red beyond).

    Parameters
    ----------
    minutes
        Travel time; ``None``, NaN or infinity means not reached.
    threshold_minutes
        The standard's threshold; class edges are fractions of it (``TIME_EDGE_FRACTIONS``).

    Returns
    -------
    str
        A CSS colour.
    """
    if minutes is None or not math.isfinite(minutes):
        return UNREACHED_COLOUR
    for fraction, colour in zip(TIME_EDGE_FRACTIONS, TIME_COLOURS, strict=False):
        if minutes <= fraction * threshold_minutes:
            return colour
    return TIME_COLOURS[-1]


def _time_legend(threshold_minutes: float, title: str) -> str:
    rows = []
    low = 0.0
    for fraction, colour in zip(TIME_EDGE_FRACTIONS, TIME_COLOURS, strict=False):
        high = fraction * threshold_minutes
        rows.append(_swatch(f"background:{colour}", f"{low:.0f}–{high:.0f} 分钟 min"))
        low = high
    rows.append(_swatch(f"background:{TIME_COLOURS[-1]}", f"&gt; {low:.0f} 分钟 min"))
    rows.append(_swatch(f"background:{UNREACHED_COLOUR}", "未到达 not reached"))
    return f"<div><b>{html.escape(title)}</b>{''.join(rows)}</div>"


def _figure(m: folium.Map) -> Figure:
    root = m.get_root()
    assert isinstance(root, Figure)
    return root


def _walk(element: Any) -> Iterator[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


# --- building blocks (also used by other map functions) -------------------------------------------------


def base_map(
    bounds: Sequence[float],
    *,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Create an empty map fitted to *bounds*.

    Parameters
    ----------
    bounds
        ``(min_lon, min_lat, max_lon, max_lat)`` in WGS-84.
    tiles_url
        Tile URL template of an optional base map (e.g. OpenStreetMap); ``None`` or empty for none.
        Offline, the tiles fail to load and every other layer still draws.
    tiles_attribution
        Attribution shown with the tiles.

    Returns
    -------
    folium.Map
    """
    min_lon, min_lat, max_lon, max_lat = (float(b) for b in bounds)
    centre = [(min_lat + max_lat) / 2, (min_lon + max_lon) / 2]
    m = folium.Map(location=centre, tiles=None, zoom_start=11, control_scale=True, prefer_canvas=False)
    if tiles_url:
        folium.TileLayer(
            tiles=tiles_url,
            attr=tiles_attribution or "map tiles",
            name="底图 Base map",
            overlay=False,
            control=True,
        ).add_to(m)
    _figure(m).header.add_child(Element(_CSS), name="healthcircle_css")
    m.fit_bounds([[min_lat, min_lon], [max_lat, max_lon]])
    return m


def add_outline(m: folium.Map, gdf: gpd.GeoDataFrame | None, *, name: str, colour: str = "#333") -> None:
    """Draw the outlines of *gdf* (e.g. the county boundary) as an unfilled layer named *name*."""
    if gdf is None or len(gdf) == 0:
        return
    located = _located(_to_wgs84(gdf))
    if len(located) == 0:
        return
    data = _feature_collection(_simplified(located), [{} for _ in range(len(located))])
    style = {"color": colour, "weight": 2, "fill": False, "dashArray": "6 4"}
    _static_layer(data, name=name, style=style).add_to(m)


def add_facility_layers(
    m: folium.Map,
    facilities: gpd.GeoDataFrame,
    *,
    kinds: Iterable[str] | None = None,
    show: bool = True,
) -> list[dict[str, Any]]:
    """Add one layer per facility kind, with a coloured marker and a popup per located facility.

    Facilities without coordinates are not drawn (they are never placed at an invented point); they are
    returned so the caller can list them as "位置未知 location unknown".

    Parameters
    ----------
    m
        The map.
    facilities
        Facilities as in ``data/facilities.geojson`` (``kind``, ``name_zh``, ``name_en``, ``beds``,
        ``status``, ``source``, ``precision``); rows may have no geometry.
    kinds
        Kinds to draw, in this order; default: every kind present, in ``KIND_STYLE`` order.
    show
        Whether the layers start visible.

    Returns
    -------
    list of dict
        The facilities of those kinds that have no location (``id``, ``name_zh``, ``name_en``, ``kind``).
    """
    facilities = _to_wgs84(facilities)
    present = [str(k) for k in pd.unique(facilities["kind"])] if len(facilities) else []
    if kinds is None:
        order = [k for k in KIND_STYLE if k in present] + sorted(k for k in present if k not in KIND_STYLE)
    else:
        order = [k for k in kinds if k in present]
    unlocated: list[dict[str, Any]] = []
    for kind in order:
        label, colour, glyph = KIND_STYLE.get(kind, (kind, "#555", "?"))
        group = folium.FeatureGroup(name=label, show=show)
        rows = facilities[facilities["kind"] == kind]
        missing = rows.geometry.isna() | rows.geometry.is_empty
        for rec in rows[missing].to_dict("records"):
            unlocated.append({k: _value(rec, k) for k in ("id", "name_zh", "name_en", "kind")})
        located = rows[~missing]
        for status, status_rows in located.groupby(
            located.get("status", pd.Series("open", index=located.index))
        ):
            planned = status == "planned"
            props = [
                {
                    "name": _esc(_name(r)),
                    "kind": html.escape(label),
                    "beds": _esc(_value(r, "beds")),
                    "status": "规划 planned" if planned else "运行 open",
                    "source": _esc(_value(r, "source")),
                    "precision": _esc(_value(r, "precision")),
                }
                for r in status_rows.to_dict("records")
            ]
            data = _feature_collection(status_rows, props)
            icon_class = "hc-marker hc-planned" if planned else "hc-marker"
            folium.GeoJson(
                data,
                name=label,
                marker=folium.Marker(icon=_marker_icon(icon_class, colour, glyph)),
                popup=folium.GeoJsonPopup(
                    fields=["name", "kind", "beds", "status", "source", "precision"],
                    aliases=[
                        "名称 Name",
                        "类型 Kind",
                        "床位 Beds",
                        "状态 Status",
                        "来源 Source",
                        "精度 Precision",
                    ],
                    class_name="hc-popup",
                ),
            ).add_to(group)
        group.add_to(m)
    return unlocated


def add_banner(m: folium.Map, lines: Sequence[str]) -> None:
    """Show *lines* in a banner at the top of the map (nothing when *lines* is empty)."""
    if not lines:
        return
    body = "<br>".join(html.escape(line) for line in lines)
    _figure(m).html.add_child(Element(f'<div class="hc-banner" id="hc-banner">⚠ {body}</div>'))


def add_panel(m: folium.Map, inner_html: str) -> None:
    """Add the side panel (legend, unlocated facilities, tables) with already-escaped *inner_html*."""
    _figure(m).html.add_child(Element(f'<div class="hc-panel" id="hc-panel">{inner_html}</div>'))


def caveats(document: Mapping[str, Any], *, population_modelled: bool | None = None) -> list[str]:
    """Warnings the reader must see: straight-line travel estimates, a modelled population.

    Parameters
    ----------
    document
        A coverage document (``network_source`` and ``population_source``).
    population_modelled
        Whether the population surface is modelled; default: guessed from ``population_source``.

    Returns
    -------
    list of str
    """
    banners = document.get("banners")
    if isinstance(banners, list | tuple) and population_modelled is None:
        return [str(b) for b in banners]
    lines = []
    network_source = str(document.get("network_source", ""))
    if network_source == settings.STRAIGHT_LINE_SOURCE or not network_source:
        lines.append(
            "行程时间为直线距离估算（无道路网络）Travel times are straight-line estimates (no road network): "
            f"distance × {settings.CIRCUITY_FACTOR:g} at an average speed per mode."
        )
    population_source = str(document.get("population_source", ""))
    if population_modelled is None:
        population_modelled = "model" in population_source.lower()
    if population_modelled:
        how = population_source.removeprefix("modelled:").strip()
        lines.append(f"人口分布为模型估算 Population is modelled: {how}")
    return lines


def unlocated_html(unlocated: Sequence[Mapping[str, Any]]) -> str:
    """HTML list of facilities with no known location, headed "位置未知 location unknown"."""
    if not unlocated:
        return ""
    items = "".join(
        f"<li>{_esc(u.get('name_zh'))} {_esc(u.get('name_en'))} "
        f"({html.escape(KIND_STYLE.get(str(u.get('kind')), (str(u.get('kind')), '', ''))[0])})</li>"
        for u in unlocated
    )
    return (
        f'<details class="hc-unlocated"><summary><b>{UNKNOWN_LOCATION_LABEL}</b> ({len(unlocated)})'
        f"</summary><ul>{items}</ul></details>"
    )


def standards_html(document: Mapping[str, Any], *, ids: Iterable[str] | None = None) -> str:
    """HTML table of the standards' results of *document* (optionally only *ids*)."""
    wanted = set(ids) if ids is not None else None
    rows = []
    for s in document.get("standards", []):
        if wanted is not None and s.get("id") not in wanted:
            continue
        passed = s.get("passed")
        mark = "—" if passed is None else ("✓" if passed else "✗")
        value = s.get("value")
        unit = str(s.get("unit") or "")
        shown = f"{float(value):.1%}" if isinstance(value, float) and "share" in unit else _fmt(value)
        rows.append(
            f"<tr><td>{_esc(s.get('name_zh'))}<br><small>{_esc(s.get('name_en'))}</small></td>"
            f"<td>{html.escape(shown)}</td><td>{_esc(s.get('target'))}</td><td>{mark}</td></tr>"
        )
    if not rows:
        return ""
    return (
        "<table><tr><th>标准 Standard</th><th>值 Value</th><th>目标 Target</th><th></th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _table_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[str]]]:
    columns: list[str] = []
    for row in rows:
        for key, value in row.items():
            if key not in columns and not isinstance(value, dict | list):
                columns.append(key)
    return columns, [[_esc(row.get(c)) for c in columns] for row in rows]


def towns_html(towns_rows: Sequence[Mapping[str, Any]]) -> str:
    """HTML table of the per-town rows of a coverage document (inside a collapsible block)."""
    if not towns_rows:
        return ""
    columns, cells = _table_rows(towns_rows)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in cells)
    return (
        f"<details><summary><b>乡镇 Towns</b> ({len(towns_rows)})</summary>"
        f"<table><tr>{head}</tr>{body}</table></details>"
    )


def _town_popup(row: Mapping[str, Any]) -> str:
    parts = [
        f"<tr><th>{html.escape(str(k))}</th><td>{_esc(v)}</td></tr>"
        for k, v in row.items()
        if not isinstance(v, dict | list)
    ]
    return f'<table class="hc-popup">{"".join(parts)}</table>'


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
    towns = _to_wgs84(towns)
    by_code = {str(r.get("town_code")): r for r in towns_rows}
    located = _located(towns)
    group = folium.FeatureGroup(name="乡镇（近似范围）Towns (approximate areas)", show=show)
    for rec, geom in zip(
        located.to_dict("records"), located.geometry.simplify(DISPLAY_SIMPLIFY_DEG), strict=True
    ):
        row = by_code.get(str(rec.get("town_code")), {"town_code": rec.get("town_code")})
        title = f"<b>{_esc(rec.get('name_zh'))} {_esc(rec.get('name_en'))}</b>"
        layer = folium.GeoJson(
            _feature(geom),
            style_function=lambda _f: {"color": "#555", "weight": 1, "fillOpacity": 0.0},
            tooltip=f"{_value(rec, 'name_zh') or ''} {_value(rec, 'name_en') or ''}",
        )
        folium.Popup(title + _town_popup(row), max_width=360).add_to(layer)
        layer.add_to(group)
    group.add_to(m)


def _minutes_text(value: Any) -> str:
    minutes = _finite_or_none(value)
    return "—" if minutes is None else f"{minutes:.1f}"


def _cell_layer(
    cells: gpd.GeoDataFrame,
    *,
    minutes_column: str,
    threshold_minutes: float,
    name: str,
    towns: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    extra_fields: Sequence[tuple[str, str, str]] = (),
) -> folium.GeoJson:
    # One GeoJson layer for all cells with short property values: the page carries thousands of cells.
    town_names = _short_names(towns, "town_code")
    facility_names = _short_names(facilities, "id")
    props = []
    colours: dict[str, str] = {}
    ids = [str(c) for c in cells["cell_id"]]
    for cell_id, rec in zip(ids, cells.to_dict("records"), strict=True):
        colours[cell_id] = time_colour(_finite_or_none(rec.get(minutes_column)), threshold_minutes)
        p = {
            "town": town_names.get(str(rec.get("town_code")), str(_value(rec, "town_code") or "—")),
            "pop": _fmt(_finite_or_none(rec.get("population"), 0)),
            "min": _minutes_text(rec.get(minutes_column)),
            "near": facility_names.get(str(rec.get("nearest_facility_id")), "—"),
        }
        for column, key, _alias in extra_fields:
            p[key] = _minutes_text(rec.get(column))
        props.append(p)
    data = _feature_collection(_simplified(cells), props, ids=ids)
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
        style_function=lambda f: _cell_style(colours.get(str(f["id"]), UNREACHED_COLOUR)),
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
    )


def _add_region(
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
    _static_layer(_feature(region), name=name, style=style, show=show).add_to(m)


def _add_marked_cells(
    m: folium.Map, cells: gpd.GeoDataFrame, *, name: str, colour: str, show: bool = True
) -> None:
    if len(cells) == 0:
        return
    data = _feature_collection(cells, [{} for _ in range(len(cells))], ids=[str(c) for c in cells["cell_id"]])
    style = {"color": colour, "weight": 1.5, "fillColor": colour, "fillOpacity": 0.15}
    _static_layer(data, name=name, style=style, show=show).add_to(m)


def _add_covered_outline(m: folium.Map, cells: gpd.GeoDataFrame, covered: pd.Series, *, name: str) -> None:
    inside = cells[covered.to_numpy(dtype=bool)]
    if len(inside) == 0:
        return
    outline = union_all(np.asarray(inside.geometry)).boundary.simplify(DISPLAY_SIMPLIFY_DEG)
    style = {"color": "#08306b", "weight": 2.5, "fill": False}
    _static_layer(_feature(outline), name=name, style=style).add_to(m)


def _facility_names(facilities: gpd.GeoDataFrame) -> dict[str, str]:
    return {str(r.get("id")): _name(r) for r in facilities.to_dict("records")}


def _bounds(*frames: gpd.GeoDataFrame | None) -> list[float]:
    for gdf in frames:
        if gdf is not None and len(gdf) and gdf.geometry.notna().any():
            b = _to_wgs84(gdf).total_bounds
            if np.all(np.isfinite(b)):
                return [float(x) for x in b]
    msg = "Nothing to map: the cells, boundary and facilities have no geometry; check the input files."
    raise ValueError(msg)


def _start_map(
    cells: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame | None,
    *,
    tiles_url: str | None,
    tiles_attribution: str | None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, folium.Map]:
    """*cells* and *facilities* in WGS-84 and an empty map fitted to them and the *boundary*."""
    cells = _to_wgs84(cells)
    facilities = _to_wgs84(facilities)
    bounds = _bounds(boundary, cells, facilities)
    return cells, facilities, base_map(bounds, tiles_url=tiles_url, tiles_attribution=tiles_attribution)


def _add_context(
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


# --- the maps ------------------------------------------------------------------------------------------


def coverage_map(
    facilities: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    document: Mapping[str, Any],
    *,
    boundary: gpd.GeoDataFrame | None = None,
    towns: gpd.GeoDataFrame | None = None,
    minutes: float | None = None,
    population_modelled: bool | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Map of the medical service circle: who reaches a facility within *minutes*.

    Parameters
    ----------
    facilities
        Facilities (rows without geometry are listed as "位置未知 location unknown", not drawn).
    cells
        ``CoverageRun.cells``: cell polygons with ``minutes_any``, ``minutes_township``,
        ``minutes_hospital``, ``nearest_facility_id``, ``covered_15min``, ``population``, ``town_code``.
    document
        ``CoverageRun.document`` (sources for the banner, standards and the town table).
    boundary
        County outline, drawn when given.
    towns
        Town areas, drawn with popups of their coverage row when given.
    minutes
        Threshold of the circle; default ``settings.SERVICE_CIRCLE_MINUTES``.
    population_modelled
        Whether to warn that the population is modelled; default: read from the document.
    tiles_url, tiles_attribution
        Optional base-map tiles (see :func:`base_map`).

    Returns
    -------
    folium.Map
    """
    minutes = settings.SERVICE_CIRCLE_MINUTES if minutes is None else float(minutes)
    cells, facilities, m = _start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    _cell_layer(
        cells,
        minutes_column="minutes_any",
        threshold_minutes=minutes,
        name="人口网格：到最近机构时间 Population cells: minutes to nearest facility",
        towns=towns,
        facilities=facilities,
        extra_fields=[
            ("minutes_township", "twp", "到卫生院及以上 To township+"),
            ("minutes_hospital", "hosp", "到医院 To hospital"),
        ],
    ).add_to(m)
    covered = cells["covered_15min"] if "covered_15min" in cells else cells["minutes_any"] <= minutes
    _add_covered_outline(
        m, cells, covered, name=f"{minutes:g}分钟服务圈边界 {minutes:g}-minute circle outline"
    )
    _add_region(
        m,
        cells[~covered.to_numpy(dtype=bool)],
        name=f"未覆盖（>{minutes:g}分钟）Not covered (> {minutes:g} min)",
        colour="#b2182b",
        fill_opacity=0.25,
    )
    unlocated = _add_context(
        m,
        document,
        facilities,
        boundary=boundary,
        towns=towns,
        kinds=None,
        population_modelled=population_modelled,
    )
    scenario = document.get("scenario") or {}
    mode = scenario.get("profile") if isinstance(scenario, Mapping) else None
    panel = [
        f"<h4>{minutes:g}分钟医疗卫生服务圈 {minutes:g}-minute medical service circle</h4>",
        f"<div>出行方式 Mode: <b>{_esc(mode or settings.SERVICE_CIRCLE_PROFILE)}</b>; "
        f"路网 Network: {_esc(document.get('network_source'))}</div>",
        _time_legend(minutes, "到最近机构时间 Minutes to nearest facility"),
        _swatch("border:2px solid #08306b", f"{minutes:g}分钟边界 outline"),
        standards_html(document, ids=["service_circle_15min"]),
        unlocated_html(unlocated),
        towns_html(document.get("towns", [])),
    ]
    add_panel(m, "".join(panel))
    logger.info("coverage map with %d cells and %d facilities", len(cells), len(facilities))
    return m


def ems_map(
    facilities: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    document: Mapping[str, Any],
    *,
    bands: gpd.GeoDataFrame | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    towns: gpd.GeoDataFrame | None = None,
    response_minutes: float | None = None,
    dispatch_minutes: float | None = None,
    worst_count: int | None = None,
    population_modelled: bool | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Map of the pre-hospital emergency circle: 120 sites, response bands and the worst-served cells.

    Parameters
    ----------
    facilities
        Facilities; only the EMS kinds (``ems_centre``, ``ems_subcentre``, ``ems_station``) are drawn.
    cells
        ``CoverageRun.cells`` with ``ems_response_minutes``, ``nearest_ems_id``, ``covered_ems``.
    document
        ``CoverageRun.document``.
    bands
        Isochrone polygons (``source_id``, ``minutes``) of the drive part of the response, if computed.
    boundary, towns
        Context layers, drawn when given.
    response_minutes
        Response target; default ``settings.EMS_RESPONSE_MINUTES``.
    dispatch_minutes
        Dispatch delay included in the response; default ``settings.EMS_DISPATCH_MINUTES``.
    worst_count
        How many of the worst-served cells to mark; default ``WORST_CELLS_SHOWN``.
    population_modelled
        Whether to warn that the population is modelled; default: read from the document.
    tiles_url, tiles_attribution
        Optional base-map tiles (see :func:`base_map`).

    Returns
    -------
    folium.Map
    """
    response_minutes = settings.EMS_RESPONSE_MINUTES if response_minutes is None else float(response_minutes)
    dispatch_minutes = settings.EMS_DISPATCH_MINUTES if dispatch_minutes is None else float(dispatch_minutes)
    worst_count = WORST_CELLS_SHOWN if worst_count is None else int(worst_count)
    cells, facilities, m = _start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    ems = facilities[facilities["kind"].isin(EMS_KINDS)]
    names = _facility_names(facilities)
    cells_for_layer = cells.assign(nearest_facility_id=cells.get("nearest_ems_id"))
    _cell_layer(
        cells_for_layer,
        minutes_column="ems_response_minutes",
        threshold_minutes=response_minutes,
        name="人口网格：急救响应时间 Population cells: EMS response minutes",
        towns=towns,
        facilities=facilities,
    ).add_to(m)
    if bands is not None and len(bands):
        bands = _to_wgs84(bands)
        props = [
            {
                "station": html.escape(names.get(str(r.get("source_id")), str(r.get("source_id")))),
                "minutes": _fmt(r.get("minutes")),
            }
            for r in bands.to_dict("records")
        ]
        data = _feature_collection(_simplified(bands), props)
        folium.GeoJson(
            data,
            name=f"{response_minutes:g}分钟急救响应圈 {response_minutes:g}-minute response bands",
            style_function=lambda _f: {
                "color": "#7d3c98",
                "weight": 1.5,
                "fillColor": "#a569bd",
                "fillOpacity": 0.12,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["station", "minutes"], aliases=["急救站 Station", "车程分钟 Drive min"]
            ),
        ).add_to(m)
    response = pd.to_numeric(cells["ems_response_minutes"], errors="coerce").fillna(np.inf)
    worst_index = np.argsort(-response.to_numpy(), kind="stable")[:worst_count]
    worst = cells.iloc[worst_index]
    _add_marked_cells(
        m, worst, name=f"服务最差的{len(worst)}个网格 {len(worst)} worst-served cells", colour="#000000"
    )
    unlocated = _add_context(
        m,
        document,
        ems,
        boundary=boundary,
        towns=towns,
        kinds=EMS_KINDS,
        population_modelled=population_modelled,
    )
    town_names = _town_names(towns)
    worst_rows = "".join(
        f"<tr><td>{html.escape(town_names.get(str(r.get('town_code')), str(r.get('town_code'))))}</td>"
        f"<td>{_fmt(_finite_or_none(r.get('ems_response_minutes')))}</td>"
        f"<td>{_fmt(_finite_or_none(r.get('population'), 0))}</td></tr>"
        for r in worst.to_dict("records")[:10]
    )
    panel = [
        f"<h4>{response_minutes:g}分钟急救圈 {response_minutes:g}-minute emergency response</h4>",
        f"<div>响应 = 调度 {dispatch_minutes:g} 分钟 + 车程 "
        f"Response = {dispatch_minutes:g} min dispatch + drive; "
        f"路网 Network: {_esc(document.get('network_source'))}</div>",
        _time_legend(response_minutes, "急救响应时间 EMS response minutes"),
        standards_html(document, ids=["ems_response_14min", "ems_radius_5km", "ambulance_per_30k"]),
        "<details open><summary><b>服务最差网格 Worst-served cells</b></summary>"
        "<table><tr><th>乡镇 Town</th><th>分钟 Min</th><th>人口 Pop.</th></tr>"
        f"{worst_rows}</table></details>",
        unlocated_html(unlocated),
    ]
    add_panel(m, "".join(panel))
    logger.info("EMS map with %d sites and %d cells", len(ems), len(cells))
    return m


def to_html(m: folium.Map, *, asset_base_url: str | None = None) -> str:
    """Render *m* as a complete HTML page.

    Parameters
    ----------
    m
        The map.
    asset_base_url
        Where Leaflet and jQuery are served (e.g. ``"/static/vendor"``, laid out as ``VENDORED_ASSETS``);
        folium's CDN links are replaced by these and its unused Bootstrap/icon assets dropped, so the page
        needs no internet access. ``None`` keeps folium's CDN links (for a standalone file).

    Returns
    -------
    str
    """
    if asset_base_url is not None:
        base = asset_base_url.rstrip("/")

        def local(links: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
            out = []
            for name, url in links:
                if name in UNUSED_ASSETS:
                    continue
                out.append((name, f"{base}/{VENDORED_ASSETS[name]}" if name in VENDORED_ASSETS else url))
            return out

        for element in _walk(m):
            if isinstance(element, JSCSSMixin):
                element.default_js = local(element.default_js)
                element.default_css = local(element.default_css)
    return _figure(m).render()


__all__ = [
    "KIND_STYLE",
    "add_banner",
    "add_facility_layers",
    "add_outline",
    "add_panel",
    "add_towns",
    "base_map",
    "caveats",
    "coverage_map",
    "ems_map",
    "standards_html",
    "time_colour",
    "to_html",
    "towns_html",
    "unlocated_html",
]


# --- siting (appended by the siting module's owners) ------------------------------------------------------

#: Cell colours of the siting map: covered by existing sites, covered by a new site, still uncovered.
SITING_COLOURS = {"existing": "#9ecae1", "new": "#fd8d3c", "uncovered": "#d9d9d9"}
#: Colour of the numbered markers of recommended sites.
SITING_MARKER_COLOUR = "#e6550d"
#: Facility kinds drawn as existing sites on the siting map, per use case.
SITING_EXISTING_KINDS = {
    "ems": EMS_KINDS,
    "facility": ("hospital", "township_centre", "community_centre"),
    "aed": ("aed",),
}
SITING_KIND_LABELS = {
    "ems": "120急救站 EMS stations",
    "facility": "医疗机构 Health facilities",
    "aed": "AED 自动体外除颤器 Public AEDs",
}


def siting_map(
    document: Mapping[str, Any],
    cells: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    *,
    boundary: gpd.GeoDataFrame | None = None,
    towns: gpd.GeoDataFrame | None = None,
    population_modelled: bool | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Map of a siting run: current coverage, new sites numbered by rank, and the coverage they add.

    Parameters
    ----------
    document
        Output of ``analysis.siting.recommend_sites(..., include_cells=True)`` (``sites``, ``cell_rank``).
    cells
        Population cells in the order of ``cell_rank`` (``inputs.population.cells``).
    facilities
        Facilities; the existing sites of the document's kind are drawn.
    boundary, towns
        Context layers, drawn when given.
    population_modelled
        Whether to warn that the population is modelled; default: read from the document.
    tiles_url, tiles_attribution
        Optional base-map tiles (see :func:`base_map`).

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        If ``cell_rank`` is missing or does not match the cells.
    """
    ranks = document.get("cell_rank")
    if ranks is None or len(ranks) != len(cells):
        msg = "siting_map needs the cell_rank of every cell; run recommend_sites(include_cells=True)"
        raise ValueError(msg)
    kind = str(document.get("kind", ""))
    cells, facilities, m = _start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    town_names = _town_names(towns)
    threshold = document.get("threshold_minutes")

    props = []
    for rank, population in zip(ranks, cells["population"].to_numpy(dtype=float), strict=True):
        if rank is None:
            state, colour = "未覆盖 not covered", SITING_COLOURS["uncovered"]
        elif rank == 0:
            state, colour = "现有覆盖 covered now", SITING_COLOURS["existing"]
        else:
            state, colour = f"新增：第{rank}个站点 added by site #{rank}", SITING_COLOURS["new"]
        props.append({"state": state, "population": _fmt(round(float(population))), "colour": colour})
    data = _feature_collection(cells, props)
    folium.GeoJson(
        data,
        name="人口网格：覆盖情况 Population cells: coverage",
        style_function=lambda f: _cell_style(f["properties"]["colour"]),
        tooltip=folium.GeoJsonTooltip(
            fields=["state", "population"], aliases=["覆盖 Coverage", "人口 People"]
        ),
    ).add_to(m)
    add_outline(m, boundary, name="县界 County boundary")
    existing_kinds = SITING_EXISTING_KINDS.get(kind, ())
    if len(facilities) and "kind" in facilities:
        status = facilities.get("status", pd.Series("open", index=facilities.index))
        open_rows = facilities[status != "planned"]
        add_facility_layers(m, open_rows, kinds=existing_kinds)

    group = folium.FeatureGroup(name="建议新站点（按排名）Recommended sites (by rank)")
    rows_html = []
    for site in document.get("sites", []):
        rank = int(site["rank"])
        town = town_names.get(str(site.get("town_code")), "—")
        popup = (
            f"<b>第{rank}名 Rank {rank}</b><br>乡镇 Town: {html.escape(town)}<br>"
            f"新增覆盖人口 Added people: {_esc(round(float(site['added_population'])))}<br>"
            f"累计覆盖率 Cumulative coverage: {float(site['cumulative_coverage']):.1%}<br>"
            f"{float(site['lat']):.5f}, {float(site['lon']):.5f}"
        )
        folium.Marker(
            location=[float(site["lat"]), float(site["lon"])],
            icon=_marker_icon("hc-marker", SITING_MARKER_COLOUR, rank),
            popup=folium.Popup(popup, max_width=280),
            tooltip=f"#{rank}",
        ).add_to(group)
        rows_html.append(
            f"<tr><td>{rank}</td><td>{html.escape(town)}</td>"
            f"<td>{_esc(round(float(site['added_population'])))}</td>"
            f"<td>{float(site['cumulative_coverage']):.1%}</td></tr>"
        )
    group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)

    baseline = float(document.get("baseline_coverage") or 0.0)
    final = float(document.get("coverage") or baseline)
    swatches = "".join(
        _swatch(f"background:{SITING_COLOURS[key]}", label)
        for key, label in (
            ("existing", "现有站点覆盖 Covered by existing sites"),
            ("new", "新站点新增覆盖 Added by new sites"),
            ("uncovered", "仍未覆盖 Still not covered"),
        )
    )
    threshold_text = f"{float(threshold):.3g} min" if threshold is not None else ""
    panel = (
        f"<h4>选址建议 Siting: {html.escape(SITING_KIND_LABELS.get(kind, kind))}</h4>"
        f"<div>{html.escape(str(document.get('model', '')).upper())}, {html.escape(threshold_text)} "
        f"({html.escape(str(document.get('profile', '')))}); "
        f"覆盖率 coverage {baseline:.1%} → {final:.1%}</div>"
        f"{swatches}"
        "<table><tr><th>#</th><th>乡镇 Town</th><th>新增人口 Added</th><th>累计 Cum.</th></tr>"
        f"{''.join(rows_html)}</table>"
        f"<div>求解器 Solver: {html.escape(str(document.get('solver', '')))}, "
        f"gap {_esc(document.get('gap'))}</div>"
    )
    add_panel(m, panel)
    lines = caveats(document, population_modelled=population_modelled)
    lines += [str(a) for a in document.get("assumptions", []) if "unknown" in str(a)]
    add_banner(m, lines)
    return m


__all__.append("siting_map")
