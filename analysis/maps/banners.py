"""Warnings every map shows: straight-line travel estimates, a modelled population."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
from branca.element import Element

from analysis import settings
from analysis.display import modelled_phrase
from analysis.maps.page import figure


def caveats(document: Mapping[str, Any], *, population_modelled: bool | None = None) -> list[str]:
    """Warnings the reader must see: straight-line travel estimates, a modelled population.

    Parameters
    ----------
    document
        A coverage document (``network_source`` and ``population_source``).
    population_modelled
        Whether the population surface is modelled; default: guessed from ``population_source``.

    Returns
    -------
    list of str
    """
    banners = document.get("banners")
    if isinstance(banners, list | tuple) and population_modelled is None:
        return [str(b) for b in banners]
    lines = []
    network_source = str(document.get("network_source", ""))
    if network_source == settings.STRAIGHT_LINE_SOURCE or not network_source:
        lines.append(
            "行程时间为直线距离估算（无道路网络）Travel times are straight-line estimates (no road network): "
            f"distance × {settings.CIRCUITY_FACTOR:g} at an average speed per mode."
        )
    population_source = str(document.get("population_source", ""))
    if population_modelled is None:
        population_modelled = "model" in population_source.lower()
    if population_modelled:
        phrase = modelled_phrase(population_source).removeprefix("population is modelled")
        lines.append(f"人口分布为模型估算 Population is modelled{phrase}")
    return lines


def add_banner(m: folium.Map, lines: Sequence[str]) -> None:
    """Show *lines* in a banner at the top of the map (nothing when *lines* is empty)."""
    if not lines:
        return
    body = "<br>".join(html.escape(line) for line in lines)
    summary = "⚠ 注意：以下数字含估算 Read with care: these numbers rest on estimates"
    figure(m).html.add_child(
        Element(
            f'<div class="hc-banner" id="hc-banner"><details open><summary>{summary}</summary>'
            f"{body}</details></div>"
        )
    )
