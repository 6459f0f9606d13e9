"""Travel-time colours and the legend panel: the colours drawn are the colours listed."""

from __future__ import annotations

import html
import math

import folium
from branca.element import Element

from analysis.maps.page import figure

#: Colours of travel-time classes, fastest first, then "not reached".
TIME_COLOURS = ("#1a9850", "#66bd63", "#a6d96a", "#fee08b", "#fdae61", "#d73027")
UNREACHED_COLOUR = "#67001f"
#: Class edges as fractions of the threshold: a third, two thirds, the threshold, 4/3 and twice it.
TIME_EDGE_FRACTIONS = (1 / 3, 2 / 3, 1.0, 4 / 3, 2.0)


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


def swatch(style: str, label: str) -> str:
    """One legend row: a swatch with CSS *style* and its (already escaped) *label*."""
    return f'<div><span class="hc-swatch" style="{style}"></span>{label}</div>'


def time_legend(threshold_minutes: float, title: str) -> str:
    """Legend rows of the travel-time classes of *threshold_minutes* under *title*."""
    rows = []
    low = 0.0
    for fraction, colour in zip(TIME_EDGE_FRACTIONS, TIME_COLOURS, strict=False):
        high = fraction * threshold_minutes
        rows.append(swatch(f"background:{colour}", f"{low:.0f}–{high:.0f} 分钟 min"))
        low = high
    rows.append(swatch(f"background:{TIME_COLOURS[-1]}", f"&gt; {low:.0f} 分钟 min"))
    rows.append(swatch(f"background:{UNREACHED_COLOUR}", "未到达 not reached"))
    return f"<div><b>{html.escape(title)}</b>{''.join(rows)}</div>"


def add_panel(m: folium.Map, inner_html: str) -> None:
    """Add the side panel (legend, unlocated facilities, tables) with already-escaped *inner_html*."""
    figure(m).html.add_child(Element(f'<div class="hc-panel" id="hc-panel">{inner_html}</div>'))
