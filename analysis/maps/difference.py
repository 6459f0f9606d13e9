"""The difference map of two scenarios: cells that gain or lose coverage, and the facilities that changed."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np

from analysis.display import people_text
from analysis.maps.banners import add_banner, caveats
from analysis.maps.geometry import feature_collection, simplified
from analysis.maps.layers import add_outline, cell_style
from analysis.maps.legends import add_panel, swatch
from analysis.maps.markers import add_facility_layers
from analysis.maps.page import start_map

#: Cell colours: covered in b only, in a only, in both, in neither.
DIFFERENCE_COLOURS = {"gained": "#31a354", "lost": "#de2d26", "both": "#c6dbef", "neither": "#e0e0e0"}
#: Cell columns of a coverage run that a difference map can compare, with their labels.
DIFFERENCE_MEASURES = {
    "covered_15min": "15分钟服务圈 15-minute service circle",
    "covered_ems": "14分钟急救响应 14-minute emergency response",
}


def difference_map(
    cells_a: gpd.GeoDataFrame,
    cells_b: gpd.GeoDataFrame,
    facilities_a: gpd.GeoDataFrame,
    facilities_b: gpd.GeoDataFrame,
    *,
    measure: str = "covered_15min",
    label_a: str,
    label_b: str,
    document: Mapping[str, Any] | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Map where scenario *b* covers people that *a* does not, and the reverse.

    Parameters
    ----------
    cells_a, cells_b
        Per-cell results of the two coverage runs (``CoverageRun.cells``), the same cells in the same order.
    facilities_a, facilities_b
        Facilities of each scenario; those only in *b* (added or moved there) and only in *a* (removed or
        moved away) are drawn.
    measure
        A key of ``DIFFERENCE_MEASURES``.
    label_a, label_b
        Names of the two scenarios.
    document
        A coverage document of one of them, for the banners (travel estimate, modelled population).
    boundary
        County outline, drawn when given.
    tiles_url, tiles_attribution
        Optional base-map tiles.

    Returns
    -------
    folium.Map

    Raises
    ------
    ValueError
        An unknown measure, or cells that differ between the runs.
    """
    if measure not in DIFFERENCE_MEASURES:
        msg = f"unknown measure {measure!r}; use one of {', '.join(DIFFERENCE_MEASURES)}"
        raise ValueError(msg)
    if len(cells_a) != len(cells_b) or not np.array_equal(
        cells_a["cell_id"].to_numpy(), cells_b["cell_id"].to_numpy()
    ):
        msg = "the two coverage runs have different population cells; compare runs of the same county"
        raise ValueError(msg)
    a = cells_a[measure].to_numpy(dtype=bool)
    b = cells_b[measure].to_numpy(dtype=bool)
    population = cells_b["population"].to_numpy(dtype=float)
    state = np.where(a & b, "both", np.where(b, "gained", np.where(a, "lost", "neither")))
    cells, _, m = start_map(
        cells_b, facilities_b, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    labels = {
        "gained": f"新增覆盖 covered only in {label_b}",
        "lost": f"失去覆盖 covered only in {label_a}",
        "both": "两者均覆盖 covered in both",
        "neither": "均未覆盖 covered in neither",
    }
    props = [
        {"state": labels[s], "population": people_text(p), "colour": DIFFERENCE_COLOURS[s]}
        for s, p in zip(state, population, strict=True)
    ]
    folium.GeoJson(
        feature_collection(simplified(cells), props),
        name=f"覆盖变化 Change: {DIFFERENCE_MEASURES[measure]}",
        style_function=lambda f: cell_style(f["properties"]["colour"]),
        tooltip=folium.GeoJsonTooltip(fields=["state", "population"], aliases=["变化 Change", "人口 People"]),
    ).add_to(m)
    add_outline(m, boundary, name="县界 County boundary")

    def located_ids(gdf: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs("EPSG:4326")
        return {str(i): (round(g.x, 6), round(g.y, 6)) for i, g in zip(gdf["id"], gdf.geometry, strict=True)}

    where_a, where_b = located_ids(facilities_a), located_ids(facilities_b)
    only_b = [i for i, xy in where_b.items() if where_a.get(i) != xy]
    only_a = [i for i, xy in where_a.items() if where_b.get(i) != xy]
    fb = facilities_b.to_crs("EPSG:4326")
    fa = facilities_a.to_crs("EPSG:4326")
    if only_b:
        add_facility_layers(m, fb[fb["id"].astype(str).isin(only_b)])
    removed = folium.FeatureGroup(name=f"仅在 {label_a} Only in {label_a} (removed or moved)")
    for _, row in fa[fa["id"].astype(str).isin(only_a)].iterrows():
        folium.CircleMarker(
            location=[row.geometry.y, row.geometry.x],
            radius=7,
            color=DIFFERENCE_COLOURS["lost"],
            fill=False,
            tooltip=html.escape(f"{row.get('name_zh') or ''} {row.get('name_en') or ''} ({row['id']})"),
        ).add_to(removed)
    removed.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)

    gained = float(population[state == "gained"].sum())
    lost = float(population[state == "lost"].sum())
    swatches = "".join(
        swatch(f"background:{DIFFERENCE_COLOURS[k]}", html.escape(v)) for k, v in labels.items()
    )
    panel = (
        f"<h4>情景对比 Scenarios: {html.escape(label_a)} → {html.escape(label_b)}</h4>"
        f"<div>{html.escape(DIFFERENCE_MEASURES[measure])}</div>"
        f"<div>新增覆盖人口 People gained: {people_text(gained)}; 失去 lost: {people_text(lost)}</div>"
        f"{swatches}"
        f"<div>设施变化 Facilities changed: {len(only_b)} added or moved, "
        f"{len(only_a)} removed or moved away</div>"
    )
    add_panel(m, panel)
    add_banner(m, caveats(document or {}))
    return m
