"""The accessibility map: beds reachable per 1,000 people (E2SFCA) in each population cell."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from analysis import settings
from analysis.display import people_text, text
from analysis.maps.behaviour import finish
from analysis.maps.geometry import feature_collection, simplified
from analysis.maps.layers import add_context, cell_style, short_names
from analysis.maps.legends import add_panel, swatch
from analysis.maps.page import start_map

logger = logging.getLogger(__name__)

#: Colours of accessibility classes, none first, then rising to at least twice the plan's ratio.
ACCESS_COLOURS = ("#d9d9d9", "#fde0dd", "#fa9fb5", "#c51b8a", "#7a0177", "#49006a")
#: Class edges as fractions of the plan's ratio (beds per 1,000): a quarter, half, the ratio, twice.
ACCESS_EDGE_FRACTIONS = (0.25, 0.5, 1.0, 2.0)


def access_colour(score: float | None, target: float) -> str:
    """Colour of an E2SFCA score against the plan's ratio *target* (grey when nothing is reached).

    Parameters
    ----------
    score
        Capacity per 1,000 people; ``None``/NaN means unknown (drawn grey, as none).
    target
        The plan's ratio (``settings.BEDS_PER_1000`` for beds).

    Returns
    -------
    str
        A CSS colour.
    """
    if score is None or not math.isfinite(score) or score <= 0:
        return ACCESS_COLOURS[0]
    for fraction, colour in zip(ACCESS_EDGE_FRACTIONS, ACCESS_COLOURS[1:], strict=False):
        if score < fraction * target:
            return colour
    return ACCESS_COLOURS[-1]


def _legend(target: float) -> str:
    rows = [swatch(f"background:{ACCESS_COLOURS[0]}", "0：可达范围内无床位 no beds within reach")]
    low = 0.0
    for fraction, colour in zip(ACCESS_EDGE_FRACTIONS, ACCESS_COLOURS[1:], strict=False):
        high = fraction * target
        label = f"&lt; {high:.2f}" if low == 0 else f"{low:.2f}–{high:.2f}"
        rows.append(swatch(f"background:{colour}", label))
        low = high
    rows.append(swatch(f"background:{ACCESS_COLOURS[-1]}", f"≥ {low:.2f}"))
    title = f"每千人可及床位（规划 {target:g}）Beds reachable per 1,000 (plan {target:g})"
    return f"<div><b>{html.escape(title)}</b>{''.join(rows)}</div>"


def _score_text(value: Any) -> str:
    return "—" if value is None else f"{float(value):.2f}"


def _towns_table(block: Mapping[str, Any], names: Mapping[str, str]) -> str:
    rows = sorted(
        (r for r in block.get("towns", []) if r.get("population")),
        key=lambda r: (r.get("value") is None, r.get("value") or 0.0),
    )
    body = "".join(
        f"<tr><td>{html.escape(names.get(str(r['town_code']), str(r['town_code'])))}</td>"
        f"<td>{people_text(r.get('population'))}</td>"
        f"<td>{_score_text(r.get('value'))}</td></tr>"
        for r in rows
    )
    return (
        "<table class='hc-table'><thead><tr><th>镇街 Town</th><th>人口 People</th>"
        f"<th>床位/千人 Beds per 1,000</th></tr></thead><tbody>{body}</tbody></table>"
    )


def accessibility_map(
    facilities: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    document: Mapping[str, Any],
    *,
    boundary: gpd.GeoDataFrame | None = None,
    towns: gpd.GeoDataFrame | None = None,
    population_modelled: bool | None = None,
    tiles_url: str | None = None,
    tiles_attribution: str | None = None,
) -> folium.Map:
    """Map of E2SFCA accessibility of beds: capacity reachable per 1,000 people in each cell.

    Parameters
    ----------
    facilities
        Facilities (medical kinds are drawn; rows without geometry are listed, not drawn).
    cells
        ``CoverageRun.cells`` with ``e2sfca_beds``, ``population``, ``town_code``.
    document
        ``CoverageRun.document`` (its ``accessibility`` block, sources for the banner).
    boundary, towns
        County outline and town areas, drawn when given.
    population_modelled
        Whether to warn that the population is modelled; default: read from the document.
    tiles_url, tiles_attribution
        Optional base-map tiles.

    Returns
    -------
    folium.Map
    """
    block = (document.get("accessibility") or {}).get("beds") or {}
    target = float(settings.BEDS_PER_1000)
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    town_by_code = short_names(towns, "town_code")
    ids = [str(c) for c in cells["cell_id"]]
    colours: dict[str, str] = {}
    props = []
    scores = (
        pd.to_numeric(cells["e2sfca_beds"], errors="coerce")
        if "e2sfca_beds" in cells
        else pd.Series(float("nan"), index=cells.index)
    )
    for cell_id, rec, score in zip(ids, cells.to_dict("records"), scores, strict=True):
        value = None if pd.isna(score) else float(score)
        colours[cell_id] = access_colour(value, target)
        props.append(
            {
                "town": town_by_code.get(str(rec.get("town_code")), text(rec.get("town_code"))),
                "pop": people_text(rec.get("population")),
                "beds": "—" if value is None else f"{value:.2f}",
            }
        )
    folium.GeoJson(
        feature_collection(simplified(cells), props, ids=ids),
        name="人口网格：每千人可及床位 Population cells: beds reachable per 1,000 (E2SFCA)",
        style_function=lambda f: cell_style(colours.get(str(f["id"]), ACCESS_COLOURS[0])),
        tooltip=folium.GeoJsonTooltip(
            fields=["town", "pop", "beds"],
            aliases=["乡镇 Town", "人口 Population", "床位/千人 Beds per 1,000"],
            sticky=False,
        ),
    ).add_to(m)
    unlocated = add_context(
        m,
        document,
        facilities,
        boundary=boundary,
        towns=towns,
        kinds=("hospital", "township_centre", "community_centre"),
        population_modelled=population_modelled,
    )
    bands = ", ".join(f"≤{b['upper_minutes']:g} min ×{b['weight']:g}" for b in block.get("bands", []))
    value = block.get("value")
    names = {
        str(t.get("town_code")): f"{t.get('name_zh') or ''} {t.get('name_en') or ''}".strip()
        for t in document.get("towns", [])
    }
    panel = [
        "<h4>床位可及性（E2SFCA）Bed accessibility (E2SFCA)</h4>",
        f"<div>全市 County: <b>{_score_text(value)}</b> "
        f"{html.escape(str(block.get('unit', '')))}"
        f"{'（下限 lower bound）' if block.get('lower_bound') else ''}</div>",
        f"<div class='small'>出行 Mode: {html.escape(str(block.get('profile', '')))}; "
        f"衰减 decay: {html.escape(bands)}</div>",
        f"<div class='small'>{html.escape(str(block.get('note', '')))}</div>",
        _legend(target),
        _towns_table(block, names),
    ]
    if unlocated:
        panel.append(f"<div class='small'>位置未知 location unknown: {len(unlocated)}</div>")
    add_panel(m, "".join(panel))
    finish(m)
    logger.info("accessibility map with %d cells", len(cells))
    return m
