"""The siting map: current coverage, recommended sites numbered by rank, and the coverage they add."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis.datasets import EMS_KINDS
from analysis.display import people_text, text
from analysis.maps.banners import add_banner, caveats
from analysis.maps.geometry import feature_collection
from analysis.maps.layers import add_outline, cell_style, town_names
from analysis.maps.legends import add_panel, swatch
from analysis.maps.markers import add_facility_layers, marker_icon
from analysis.maps.page import start_map


def _esc(value: Any) -> str:
    return html.escape(text(value))


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
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    towns_by_code = town_names(towns)
    threshold = document.get("threshold_minutes")

    props = []
    for rank, population in zip(ranks, cells["population"].to_numpy(dtype=float), strict=True):
        if rank is None:
            state, colour = "未覆盖 not covered", SITING_COLOURS["uncovered"]
        elif rank == 0:
            state, colour = "现有覆盖 covered now", SITING_COLOURS["existing"]
        else:
            state, colour = f"新增：第{rank}个站点 added by site #{rank}", SITING_COLOURS["new"]
        props.append({"state": state, "population": people_text(population), "colour": colour})
    data = feature_collection(cells, props)
    folium.GeoJson(
        data,
        name="人口网格：覆盖情况 Population cells: coverage",
        style_function=lambda f: cell_style(f["properties"]["colour"]),
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
        town = towns_by_code.get(str(site.get("town_code")), "—")
        popup = (
            f"<b>第{rank}名 Rank {rank}</b><br>乡镇 Town: {html.escape(town)}<br>"
            f"新增覆盖人口 Added people: {_esc(round(float(site['added_population'])))}<br>"
            f"累计覆盖率 Cumulative coverage: {float(site['cumulative_coverage']):.1%}<br>"
            f"{float(site['lat']):.5f}, {float(site['lon']):.5f}"
        )
        folium.Marker(
            location=[float(site["lat"]), float(site["lon"])],
            icon=marker_icon("hc-marker", SITING_MARKER_COLOUR, rank),
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
        swatch(f"background:{SITING_COLOURS[key]}", label)
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
        f"<div>求解器 Solver: {html.escape(str(document.get('solver', '')))}: "
        f"{html.escape(str(document.get('solution_label', '')))}</div>"
    )
    add_panel(m, panel)
    lines = caveats(document, population_modelled=population_modelled)
    lines += [str(a) for a in document.get("assumptions", []) if "unknown" in str(a)]
    if document.get("optimal") is False:
        # a time-limited answer is never shown as the optimum
        lines.insert(0, f"求解未完成 Not proven optimal: {document.get('solution_label', '')}")
    add_banner(m, lines)
    return m
