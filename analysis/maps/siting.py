"""The siting map: current coverage, recommended sites numbered by rank, and the coverage they add."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import union_all

from analysis import settings
from analysis.datasets import EMS_KINDS
from analysis.display import people_text, share_text, text
from analysis.maps.banners import add_banner, caveats
from analysis.maps.behaviour import finish
from analysis.maps.geometry import DISPLAY_SIMPLIFY_DEG, feature
from analysis.maps.layers import add_outline, add_towns, cell_style, town_names
from analysis.maps.legends import add_panel, swatch
from analysis.maps.markers import add_facility_layers, facility_legend, marker_icon
from analysis.maps.page import start_map
from analysis.report.charts import siting_chart_png
from analysis.siting.aed.setup import UNIFORM_RANKING_NOTE


def _esc(value: Any) -> str:
    return html.escape(text(value))


#: Cell colours of the siting map: covered by existing sites, covered by a new site, still uncovered.
SITING_COLOURS = {"existing": "#9ecae1", "new": "#fd8d3c", "uncovered": "#d9d9d9"}
#: How many recommended sites the legend lists and the map numbers; the rest are in the downloads.
LEGEND_SITES = 10
#: z-index offset of the numbered site markers: above every existing facility.
SITE_Z_INDEX = 20_000
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
    kind_label = SITING_KIND_LABELS.get(kind, kind)
    title = f"选址建议 Siting: {kind_label}"
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution, title=title
    )
    towns_by_code = town_names(towns)
    sites = sorted(document.get("sites", []), key=lambda site: int(site["rank"]))
    _state_layer(cells, ranks).add_to(m)
    add_towns(m, towns, [])
    add_outline(m, boundary, name="县界 County boundary")
    existing_kinds = SITING_EXISTING_KINDS.get(kind, ())
    if len(facilities) and "kind" in facilities:
        status = facilities.get("status", pd.Series("open", index=facilities.index))
        add_facility_layers(m, facilities[status != "planned"], kinds=existing_kinds)
    _add_sites(m, sites, towns_by_code)

    baseline = float(document.get("baseline_coverage") or 0.0)
    final = float(document.get("coverage") or baseline)
    swatches = "".join(
        swatch(f"background:{SITING_COLOURS[key]}", label, attrs=f' data-colour="{SITING_COLOURS[key]}"')
        for key, label in (
            ("existing", "现有站点覆盖 Covered by existing sites"),
            ("new", "新站点新增覆盖 Added by new sites"),
            ("uncovered", "仍未覆盖 Still not covered"),
        )
    )
    rows_html = [
        f"<tr><td>{int(site['rank'])}</td>"
        f"<td>{html.escape(towns_by_code.get(str(site.get('town_code')), '—'))}</td>"
        f"<td>{people_text(site['added_population'])}</td>"
        f"<td>{share_text(site['cumulative_coverage'])}</td></tr>"
        for site in sites[:LEGEND_SITES]
    ]
    more = len(sites) - LEGEND_SITES
    more_html = (
        f"<div>……还有 {more} 个站点 and {more} more sites (下载完整列表 full list below)</div>"
        if more > 0
        else ""
    )
    chart = ""
    if sites:
        png = base64.b64encode(siting_chart_png(document, dpi=80)).decode("ascii")
        chart = (
            "<details><summary><b>逐站累计覆盖 Cumulative coverage by site</b></summary>"
            f'<img id="chart-siting" alt="Cumulative coverage by added site" style="width:100%" '
            f'src="data:image/png;base64,{png}"></details>'
        )
    panel = (
        f"<div>{html.escape(str(document.get('model', '')).upper())}, {html.escape(reach_text(document))}; "
        f"覆盖率 coverage {share_text(baseline)} → {share_text(final)}</div>"
        f'<div class="hc-legend">{swatches}</div>'
        f"{facility_legend(existing_kinds)}"
        "<table><tr><th>#</th><th>乡镇 Town</th><th>新增人口 People added</th><th>累计 Cumulative</th></tr>"
        f"{''.join(rows_html)}</table>{more_html}"
        f"{downloads_html(sites, towns_by_code, kind=kind)}"
        f"{chart}"
        f"<div>求解器 Solver: {html.escape(str(document.get('solver', '')))}: "
        f"{html.escape(str(document.get('solution_label', '')))}</div>"
    )
    add_panel(m, panel, title_html=f"<h4>{html.escape(title)}</h4>")
    lines = caveats(document, population_modelled=population_modelled)
    if document.get("ranking_within_town_meaningful") is False:
        lines.insert(0, UNIFORM_RANKING_NOTE)
    lines += [str(a) for a in document.get("assumptions", []) if "unknown" in str(a)]
    if document.get("optimal") is False:
        # a time-limited answer is never shown as the optimum
        lines.insert(0, f"求解未完成 Not proven optimal: {document.get('solution_label', '')}")
    add_banner(m, lines)
    finish(m)
    return m


def reach_text(document: Mapping[str, Any]) -> str:
    """The siting threshold in the standard's own unit: metres of walk for AEDs, minutes otherwise."""
    threshold = document.get("threshold_minutes")
    profile = str(document.get("profile", ""))
    if document.get("kind") == "aed":
        walk = f"≈ {float(threshold):.1f} 分钟 min" if threshold is not None else ""
        radius_m = float(document.get("radius_m") or settings.AED_WALK_RADIUS_M)
        return f"步行 {radius_m:g} 米 walk {radius_m:g} m ({walk})"
    if threshold is None:
        return profile
    if document.get("kind") == "ems":
        return f"车程 drive {float(threshold):g} 分钟 min ({profile}), 另加调度 plus dispatch"
    return f"{float(threshold):g} 分钟 min ({profile})"


def _state_layer(cells: gpd.GeoDataFrame, ranks: Sequence[Any]) -> folium.GeoJson:
    """Cells merged by what covers them: existing sites, each of the first new sites, the rest, nobody."""
    population = cells["population"].to_numpy(dtype=float)
    keys = []
    for rank in ranks:
        if rank is None:
            keys.append((2, 0, "未覆盖 not covered", SITING_COLOURS["uncovered"]))
        elif rank == 0:
            keys.append((0, 0, "现有覆盖 covered now", SITING_COLOURS["existing"]))
        elif rank <= LEGEND_SITES:
            keys.append((1, int(rank), f"新增：第{rank}个站点 added by site #{rank}", SITING_COLOURS["new"]))
        else:
            label = f"新增：第{LEGEND_SITES + 1}个及以后站点 added by sites #{LEGEND_SITES + 1}+"
            keys.append((1, LEGEND_SITES + 1, label, SITING_COLOURS["new"]))
    features = []
    geoms = np.asarray(cells.geometry)
    for key in sorted(set(keys)):
        inside = np.array([k == key for k in keys])
        region = union_all(geoms[inside]).simplify(DISPLAY_SIMPLIFY_DEG)
        props = {
            "state": key[2],
            "population": f"{people_text(population[inside].sum())} 人",
            "colour": key[3],
        }
        features.append(feature(region, props))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="人口网格：覆盖情况 Population cells: coverage",
        style_function=lambda f: cell_style(f["properties"]["colour"]),
        tooltip=folium.GeoJsonTooltip(
            fields=["state", "population"], aliases=["覆盖 Coverage", "人口 People"]
        ),
    )


def _site_popup(site: Mapping[str, Any], town: str) -> str:
    rank = int(site["rank"])
    return (
        f"<b>第{rank}名 Rank {rank}</b><br>乡镇 Town: {html.escape(town)}<br>"
        f"新增覆盖人口 People added: {people_text(site['added_population'])}<br>"
        f"累计覆盖率 Cumulative coverage: {share_text(site['cumulative_coverage'])}<br>"
        f"{float(site['lat']):.5f}, {float(site['lon']):.5f}"
    )


def _add_sites(m: folium.Map, sites: Sequence[Mapping[str, Any]], towns_by_code: Mapping[str, str]) -> None:
    """The first ``LEGEND_SITES`` sites as numbered markers on top, the others as small dots."""
    top = folium.FeatureGroup(name=f"建议新站点前{LEGEND_SITES}名 Recommended sites, top {LEGEND_SITES}")
    rest: list[dict[str, Any]] = []
    for site in sites:
        rank = int(site["rank"])
        town = towns_by_code.get(str(site.get("town_code")), "—")
        location = [round(float(site["lat"]), 5), round(float(site["lon"]), 5)]
        if rank > LEGEND_SITES:
            rest.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": location[::-1]},
                    "properties": {
                        "rank": f"#{rank}",
                        "town": town,
                        "added": f"{people_text(site['added_population'])} 人",
                        "cumulative": share_text(site["cumulative_coverage"]),
                    },
                }
            )
            continue
        folium.Marker(
            location=location,
            icon=marker_icon("hc-marker hc-site", SITING_MARKER_COLOUR, rank, extra=f' data-rank="{rank}"'),
            popup=folium.Popup(_site_popup(site, town), max_width=280),
            tooltip=f"#{rank} {html.escape(town)}",
            z_index_offset=SITE_Z_INDEX,
            hc_rank=rank - LEGEND_SITES - 1,
        ).add_to(top)
    if rest:
        # one layer for all the others: thousands of separate markers would make a slow, heavy page
        folium.GeoJson(
            {"type": "FeatureCollection", "features": rest},
            name=f"其余{len(rest)}个建议站点 The other {len(rest)} recommended sites",
            marker=folium.CircleMarker(
                radius=4, color="#fff", weight=1, fill=True, fill_color=SITING_MARKER_COLOUR, fill_opacity=0.9
            ),
            popup=folium.GeoJsonPopup(
                fields=["rank", "town", "added", "cumulative"],
                aliases=["排名 Rank", "乡镇 Town", "新增覆盖人口 People added", "累计覆盖率 Cumulative"],
            ),
        ).add_to(m)
    top.add_to(m)


def sites_frame(sites: Sequence[Mapping[str, Any]], towns_by_code: Mapping[str, str]) -> pd.DataFrame:
    """The recommended sites as a table: rank, town, lon/lat (WGS-84), people added, cumulative share."""
    return pd.DataFrame(
        [
            {
                "rank": int(s["rank"]),
                "town_code": s.get("town_code"),
                "town": towns_by_code.get(str(s.get("town_code")), ""),
                "lon": float(s["lon"]),
                "lat": float(s["lat"]),
                "added_population": round(float(s["added_population"])),
                "cumulative_coverage": float(s["cumulative_coverage"]),
            }
            for s in sites
        ],
        columns=["rank", "town_code", "town", "lon", "lat", "added_population", "cumulative_coverage"],
    )


_DOWNLOAD_SCRIPT = """
<script>
(function () {
  var table = JSON.parse(document.getElementById('hc-sites-data').textContent);
  var columns = table.columns, rows = table.rows;
  function cell(v) {
    var t = v === null ? '' : String(v);
    return /[",\\n]/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }
  var lines = [columns.join(',')].concat(rows.map(function (r) { return r.map(cell).join(','); }));
  var csv = '\\ufeff' + lines.join('\\n') + '\\n';
  var lon = columns.indexOf('lon'), lat = columns.indexOf('lat');
  var features = rows.map(function (r) {
    var props = {};
    columns.forEach(function (c, i) { if (i !== lon && i !== lat) { props[c] = r[i]; } });
    return {type: 'Feature', geometry: {type: 'Point', coordinates: [r[lon], r[lat]]}, properties: props};
  });
  var geojson = JSON.stringify({type: 'FeatureCollection', features: features});
  document.getElementById('hc-download-csv').href =
    URL.createObjectURL(new Blob([csv], {type: 'text/csv;charset=utf-8'}));
  document.getElementById('hc-download-geojson').href =
    URL.createObjectURL(new Blob([geojson], {type: 'application/geo+json'}));
})();
</script>
"""


def downloads_html(sites: Sequence[Mapping[str, Any]], towns_by_code: Mapping[str, str], *, kind: str) -> str:
    """Links that download every recommended site as CSV and as GeoJSON (built in the page, no server call).

    The table is embedded once as JSON; the page turns it into both files, so a long list (thousands of
    AED sites) is not carried three times.
    """
    if not sites:
        return ""
    table = sites_frame(sites, towns_by_code)
    data = json.dumps(
        {"columns": list(table.columns), "rows": table.to_numpy().tolist()}, ensure_ascii=False
    ).replace("</", "<\\/")
    return (
        f"<div>下载全部{len(sites)}个站点 Download all {len(sites)} sites: "
        f'<a id="hc-download-csv" download="siting_{kind}.csv" href="#">CSV</a> · '
        f'<a id="hc-download-geojson" download="siting_{kind}.geojson" href="#">GeoJSON</a></div>'
        f'<script type="application/json" id="hc-sites-data">{data}</script>{_DOWNLOAD_SCRIPT}'
    )
