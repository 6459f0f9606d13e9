"""The medical service-circle map: who reaches a facility within the threshold, and who does not."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis import settings
from analysis.display import text
from analysis.maps.behaviour import finish
from analysis.maps.layers import UNCOVERED_STYLE, add_context, add_uncovered_outline, band_layer
from analysis.maps.legends import add_panel, line_swatch, time_legend
from analysis.maps.markers import facility_legend, kind_order
from analysis.maps.page import start_map
from analysis.maps.tables import standards_html, towns_html, unlocated_html

logger = logging.getLogger(__name__)


def _esc(value: Any) -> str:
    return html.escape(text(value))


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
    results = {str(r.get("id")): r for r in document.get("standards", [])}
    circle = results.get("service_circle_15min", {})
    scenario = document.get("scenario") or {}
    mode = circle.get("profile") or scenario.get("profile") or settings.SERVICE_CIRCLE_PROFILE
    mode_label = (circle.get("mode_labels") or {}).get(mode, mode)
    title = f"{minutes:g}分钟医疗卫生服务圈 {minutes:g}-minute medical service circle"
    if scenario.get("include_planned"):
        title += "（含规划机构 with planned facilities）"
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution, title=title
    )
    band_layer(
        cells,
        minutes_column="minutes_any",
        threshold_minutes=minutes,
        name="人口网格：到最近机构时间 Population cells: minutes to nearest facility",
    ).add_to(m)
    covered = cells["covered_15min"] if "covered_15min" in cells else cells["minutes_any"] <= minutes
    outside = f"未覆盖范围（>{minutes:g}分钟）People beyond {minutes:g} min (outline)"
    add_uncovered_outline(m, cells[~covered.to_numpy(dtype=bool)], name=outside)
    unlocated = add_context(
        m,
        document,
        facilities,
        boundary=boundary,
        towns=towns,
        kinds=None,
        population_modelled=population_modelled,
    )
    kinds = kind_order(pd.unique(facilities["kind"])) if len(facilities) else []
    has_planned = "status" in facilities and bool((facilities["status"] == "planned").any())
    panel = [
        f"<div>出行方式 Mode: <b>{_esc(mode_label)}</b>; "
        f"路网 Network: {_esc(document.get('network_source'))}</div>",
        time_legend(minutes, f"到最近机构时间（{mode_label}）Minutes to the nearest facility"),
        line_swatch(f"border-top:2px dashed {UNCOVERED_STYLE['color']}", html.escape(outside)),
        line_swatch("border-top:1px dashed #555", "乡镇近似范围 approximate town areas"),
        facility_legend(kinds, planned=has_planned),
        standards_html(document, ids=["service_circle_15min"]),
        unlocated_html(unlocated),
        towns_html(document.get("towns", [])),
    ]
    add_panel(m, "".join(panel), title_html=f"<h4>{html.escape(title)}</h4>")
    finish(m)
    logger.info("coverage map with %d cells and %d facilities", len(cells), len(facilities))
    return m
