"""The pre-hospital emergency map: 120 sites, response bands and the worst-served cells."""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import settings
from analysis.datasets import EMS_KINDS
from analysis.display import minutes_text, people_text, text
from analysis.maps.behaviour import finish
from analysis.maps.geometry import feature_collection, simplified, to_wgs84
from analysis.maps.layers import add_context, add_marked_cells, band_layer, facility_names, town_names
from analysis.maps.legends import add_panel, line_swatch, time_legend
from analysis.maps.markers import facility_legend
from analysis.maps.page import start_map
from analysis.maps.tables import standards_html, unlocated_html

logger = logging.getLogger(__name__)

#: Outline of each 120 site's drive-time area: a line only, so the cells keep the legend's colours.
BAND_STYLE = {"color": "#7d3c98", "weight": 1.5, "fill": False}
WORST_COLOUR = "#000000"
#: How many of the worst-served cells the EMS map marks: enough to show the pattern, few enough to read.
WORST_CELLS_SHOWN = 25


def _esc(value: Any) -> str:
    return html.escape(text(value))


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
    title = f"{response_minutes:g}分钟急救圈 {response_minutes:g}-minute emergency response"
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution, title=title
    )
    ems = facilities[facilities["kind"].isin(EMS_KINDS)]
    names = facility_names(facilities)
    band_layer(
        cells,
        minutes_column="ems_response_minutes",
        threshold_minutes=response_minutes,
        name="人口网格：急救响应时间 Population cells: EMS response minutes",
    ).add_to(m)
    drive_minutes = response_minutes - dispatch_minutes
    bands_name = f"{drive_minutes:g}分钟车程范围 {drive_minutes:g}-min drive from each 120 site (outline)"
    if bands is not None and len(bands):
        bands = to_wgs84(bands)
        props = [
            {
                "station": html.escape(names.get(str(r.get("source_id")), str(r.get("source_id")))),
                "minutes": f"{text(r.get('minutes'))} 分钟 min",
            }
            for r in bands.to_dict("records")
        ]
        data = feature_collection(simplified(bands), props)
        folium.GeoJson(
            data,
            name=bands_name,
            style_function=lambda _f: dict(BAND_STYLE),
            tooltip=folium.GeoJsonTooltip(
                fields=["station", "minutes"], aliases=["急救站 Station", "车程 Drive"]
            ),
        ).add_to(m)
    response = pd.to_numeric(cells["ems_response_minutes"], errors="coerce").fillna(np.inf)
    worst_index = np.argsort(-response.to_numpy(), kind="stable")[:worst_count]
    worst = cells.iloc[worst_index]
    towns_by_code = town_names(towns)
    worst_props = [
        {
            "town": towns_by_code.get(str(r.get("town_code")), str(r.get("town_code"))),
            "minutes": f"{minutes_text(r.get('ems_response_minutes'))} 分钟 min",
            "people": f"{people_text(r.get('population'))} 人",
        }
        for r in worst.to_dict("records")
    ]
    worst_name = f"服务最差的{len(worst)}个网格 {len(worst)} worst-served cells (outline)"
    add_marked_cells(
        m,
        worst,
        worst_props,
        name=worst_name,
        colour=WORST_COLOUR,
        fields=[("town", "乡镇 Town"), ("minutes", "响应 Response"), ("people", "人口 People")],
    )
    unlocated = add_context(
        m,
        document,
        ems,
        boundary=boundary,
        towns=towns,
        kinds=EMS_KINDS,
        population_modelled=population_modelled,
    )
    worst_rows = "".join(
        f"<tr><td>{html.escape(p['town'])}</td><td>{html.escape(p['minutes'])}</td>"
        f"<td>{html.escape(p['people'])}</td></tr>"
        for p in worst_props[:10]
    )
    panel = [
        f"<div>响应 = 调度 {dispatch_minutes:g} 分钟 + 车程 "
        f"Response = {dispatch_minutes:g} min dispatch + drive; "
        f"路网 Network: {_esc(document.get('network_source'))}</div>",
        time_legend(response_minutes, "急救响应时间（调度+车程）Response minutes, dispatch + drive"),
        line_swatch(f"border-top:2px solid {BAND_STYLE['color']}", html.escape(bands_name))
        if bands is not None and len(bands)
        else "",
        line_swatch(f"border-top:2px solid {WORST_COLOUR}", html.escape(worst_name)),
        line_swatch("border-top:1px dashed #555", "乡镇近似范围 approximate town areas"),
        facility_legend([k for k in EMS_KINDS if k in set(ems["kind"])]),
        standards_html(document, ids=["ems_response_14min", "ems_radius_5km", "ambulance_per_30k"]),
        "<details><summary><b>服务最差网格 Worst-served cells</b> (10)</summary>"
        "<table><tr><th>乡镇 Town</th><th>响应 Response</th><th>人口 People</th></tr>"
        f"{worst_rows}</table></details>",
        unlocated_html(unlocated),
    ]
    add_panel(m, "".join(panel), title_html=f"<h4>{html.escape(title)}</h4>")
    finish(m)
    logger.info("EMS map with %d sites and %d cells", len(ems), len(cells))
    return m
