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


def _js_number(value: float) -> str:
    return "Infinity" if math.isinf(value) else f"{value:g}"


def _minutes(value: float) -> str:
    return f"{round(value, 1):g}"


def time_classes(threshold_minutes: float) -> list[tuple[str, str, float, float]]:
    """The travel-time classes of *threshold_minutes*: ``(colour, label, low, high)``, fastest first.

    The last class is "not reached" with ``low = high = inf``. Map layers and legends both read this
    list, so the colours drawn are the colours listed.
    """
    classes = []
    low = 0.0
    for fraction, colour in zip(TIME_EDGE_FRACTIONS, TIME_COLOURS, strict=False):
        high = fraction * threshold_minutes
        classes.append((colour, f"{_minutes(low)}–{_minutes(high)} 分钟 min", low, high))
        low = high
    classes.append((TIME_COLOURS[-1], f"&gt; {_minutes(low)} 分钟 min", low, math.inf))
    classes.append((UNREACHED_COLOUR, "未到达 not reached", math.inf, math.inf))
    return classes


def swatch(style: str, label: str, *, attrs: str = "") -> str:
    """One legend row: a swatch with CSS *style* and its (already escaped) *label*."""
    return f'<div class="hc-legend-row"{attrs}><span class="hc-swatch" style="{style}"></span>{label}</div>'


def line_swatch(style: str, label: str) -> str:
    """One legend row for a drawn line (CSS border *style*, e.g. ``"border-top:2px dashed #b2182b"``)."""
    return f'<div class="hc-legend-row"><span class="hc-line" style="{style}"></span>{label}</div>'


def time_legend(threshold_minutes: float, title: str) -> str:
    """Legend rows of the travel-time classes of *threshold_minutes* under *title*.

    Each row carries ``data-colour``, ``data-low`` and ``data-high`` (minutes) so that a test can check
    the drawn colours against it.
    """
    rows = [
        swatch(
            f"background:{colour}",
            label,
            attrs=f' data-colour="{colour}" data-low="{_js_number(low)}" data-high="{_js_number(high)}"',
        )
        for colour, label, low, high in time_classes(threshold_minutes)
    ]
    return f'<div class="hc-legend"><b>{html.escape(title)}</b>{"".join(rows)}</div>'


def add_panel(m: folium.Map, inner_html: str, *, title_html: str = "") -> None:
    """Add the legend column beside the map: *title_html* always shown, *inner_html* foldable.

    Both are already-escaped HTML.
    """
    body = (
        f'<details class="hc-fold" open><summary>{title_html or "图例 Legend"}</summary>'
        f"{inner_html}</details>"
    )
    figure(m).html.add_child(Element(f'<div class="hc-panel" id="hc-panel">{body}</div>'))
