"""The medical service-circle map: who reaches a facility within the threshold, and who does not."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd

from analysis import settings
from analysis.display import text
from analysis.maps.layers import add_context, add_covered_outline, add_region, cell_layer
from analysis.maps.legends import add_panel, swatch, time_legend
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
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    cell_layer(
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
    add_covered_outline(
        m, cells, covered, name=f"{minutes:g}分钟服务圈边界 {minutes:g}-minute circle outline"
    )
    add_region(
        m,
        cells[~covered.to_numpy(dtype=bool)],
        name=f"未覆盖（>{minutes:g}分钟）Not covered (> {minutes:g} min)",
        colour="#b2182b",
        fill_opacity=0.25,
    )
    unlocated = add_context(
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
        time_legend(minutes, "到最近机构时间 Minutes to nearest facility"),
        swatch("border:2px solid #08306b", f"{minutes:g}分钟边界 outline"),
        standards_html(document, ids=["service_circle_15min"]),
        unlocated_html(unlocated),
        towns_html(document.get("towns", [])),
    ]
    add_panel(m, "".join(panel))
    logger.info("coverage map with %d cells and %d facilities", len(cells), len(facilities))
    return m
