"""The accessibility map: beds reachable per 1,000 people (E2SFCA) in each population cell."""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import union_all

from analysis import settings
from analysis.display import people_text, share_text
from analysis.maps.behaviour import finish
from analysis.maps.geometry import DISPLAY_SIMPLIFY_DEG, feature
from analysis.maps.layers import add_context, cell_style
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
    rows = [swatch(f"background:{colour}", html.escape(label)) for colour, label in access_classes(target)]
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


def access_classes(target: float) -> list[tuple[str, str]]:
    """(colour, label) of each accessibility class of the legend, none first."""
    classes = [(ACCESS_COLOURS[0], "0：可达范围内无床位 no beds within reach")]
    low = 0.0
    for fraction, colour in zip(ACCESS_EDGE_FRACTIONS, ACCESS_COLOURS[1:], strict=False):
        high = fraction * target
        classes.append((colour, f"< {high:.2f}" if low == 0 else f"{low:.2f}–{high:.2f}"))
        low = high
    classes.append((ACCESS_COLOURS[-1], f"≥ {low:.2f}"))
    return classes


def access_layer(cells: gpd.GeoDataFrame, *, target: float) -> folium.GeoJson:
    """Population cells merged by accessibility class, one polygon per class, with people per class.

    Parameters
    ----------
    cells
        WGS-84 cells with ``e2sfca_beds`` and ``population``.
    target
        The plan's ratio the classes are fractions of.

    Returns
    -------
    folium.GeoJson
        The layer (a handful of paths, in exactly the legend's colours).
    """
    scores = (
        pd.to_numeric(cells["e2sfca_beds"], errors="coerce").to_numpy(dtype=float)
        if "e2sfca_beds" in cells
        else np.full(len(cells), np.nan)
    )
    population = pd.to_numeric(cells["population"], errors="coerce").fillna(0).to_numpy(dtype=float)
    total = float(population.sum())
    colours = np.array([access_colour(None if np.isnan(v) else float(v), target) for v in scores])
    features = []
    for colour, label in access_classes(target):
        inside = colours == colour
        if not inside.any():
            continue
        region = union_all(np.asarray(cells.geometry[inside])).simplify(DISPLAY_SIMPLIFY_DEG)
        people = float(population[inside].sum())
        props = {
            "colour": colour,
            "band": label,
            "people": f"{people_text(people)} 人",
            "share": share_text(people / total if total > 0 else None),
        }
        features.append(feature(region, props))
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="人口网格：每千人可及床位 Population cells: beds reachable per 1,000 (E2SFCA)",
        style_function=lambda f: cell_style(f["properties"]["colour"]),
        highlight_function=lambda _f: {"weight": 1.5, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["band", "people", "share"],
            aliases=["床位/千人 Beds per 1,000", "人口 People", "占比 Share"],
            sticky=True,
        ),
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
    title = "床位可及性（E2SFCA）Bed accessibility (E2SFCA)"
    cells, facilities, m = start_map(
        cells, facilities, boundary, tiles_url=tiles_url, tiles_attribution=tiles_attribution, title=title
    )
    access_layer(cells, target=target).add_to(m)
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
    add_panel(m, "".join(panel), title_html=f"<h4>{html.escape(title)}</h4>")
    finish(m)
    logger.info("accessibility map with %d cells", len(cells))
    return m
