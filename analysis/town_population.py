"""Town populations from every published figure: census where known, the best other by trust, area last.

The tiered rule, for a county whose total is known:

1. Towns with a census count of the target year keep it.
2. Every other town with a published figure takes its best one: higher trust first
   (``high`` > ``medium`` > ``low-medium`` > ``low``), then what was counted (census, then
   resident 常住, then a total, then an approximate figure, then registered 户籍), then the
   most recent year (an unknown year counts as oldest), then the smaller figure.
3. A located town without any figure is given one from its area at the mean density of the
   located towns that have figures ("area").
4. The remainder of the county total after the census towns is shared among the towns of
   steps 2-3 in proportion to their figures, so the total is exact ("brought to the target
   year by holding each town's share of the remainder").
5. A town with neither a figure nor a location gets no figure: its people are inside the
   others' scaled totals.

Pure functions: figures in, figures out; nothing is read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analysis.errors import DataError

__all__ = ["TRUST_ORDER", "PublishedFigure", "TownFigure", "best_figure", "counted_rank", "tiered_totals"]

#: Source text of a town given a figure from its area, and of a town given none.
AREA_SOURCE = "area: its approximate area at the mean density of the located towns with published figures"
NONE_SOURCE = "none: no published figure and no location; its people are inside the other towns' totals"
#: Trust grades, best first.
TRUST_ORDER: tuple[str, ...] = ("high", "medium", "low-medium", "low")


@dataclass(frozen=True)
class PublishedFigure:
    """One published population figure of a town.

    Attributes
    ----------
    town
        Town name as published (Chinese).
    year
        Year as published (``"2017"``, ``"c.2003"``, ``"unknown"`` ...).
    population
        The figure.
    what_counted
        What it counts (``census_2020_resident``, ``total``, ``household_registered(户籍)`` ...).
    source
        Where it was published (URL or description).
    trust
        One of :data:`TRUST_ORDER`.
    """

    town: str
    year: str
    population: float
    what_counted: str
    source: str
    trust: str


@dataclass(frozen=True)
class TownFigure:
    """A town's population in the tiered model.

    Attributes
    ----------
    population
        Modelled population in the target year (``None`` = no figure and no location).
    method
        ``census``, ``published`` (scaled), ``area`` (scaled) or ``none``.
    year, source, trust, published, what_counted
        Of the figure used (``None`` where none was).
    """

    population: float | None
    method: str
    year: str | None
    source: str | None
    trust: str | None
    published: float | None
    what_counted: str | None


def counted_rank(what_counted: str) -> int:
    """Rank of what a figure counts, best first: census 0, resident 1, total 2, approximate 3, registered 4.

    A figure that adds migrants to the registered population (户籍 + 外来) counts as resident.
    """
    text = what_counted.lower()
    if "census" in text:
        return 0
    if "常住" in what_counted or "resident" in text or "外来" in what_counted:
        return 1
    if "户籍" in what_counted or "registered" in text:
        return 4
    if "approx" in text or "约" in what_counted:
        return 3
    return 2


def _year_value(year: str) -> int:
    """The first four-digit year in *year*, or -1 when none (unknown counts as oldest)."""
    match = re.search(r"(1[89]|20)\d\d", year)
    if match is None or year.strip().lower().startswith("unknown"):
        return -1
    return int(match.group(0))


def _trust_rank(trust: str) -> int:
    if trust not in TRUST_ORDER:
        msg = f"trust grade {trust!r} is not one of {', '.join(TRUST_ORDER)}; fix the figures table."
        raise DataError(msg)
    return TRUST_ORDER.index(trust)


def best_figure(figures: Sequence[PublishedFigure]) -> PublishedFigure:
    """The figure a town's population is taken from (see the module rule, step 2).

    Parameters
    ----------
    figures
        The town's published figures (at least one).

    Returns
    -------
    PublishedFigure
        The best one.
    """
    return min(
        figures,
        key=lambda f: (
            _trust_rank(f.trust),
            counted_rank(f.what_counted),
            -_year_value(f.year),
            f.population,
        ),
    )


def tiered_totals(
    towns: Sequence[Mapping[str, Any]],
    figures: Sequence[PublishedFigure],
    *,
    census: Mapping[str, float],
    county_total: float,
    census_source: Mapping[str, str] | None = None,
    census_year: str = "2020",
) -> dict[str, TownFigure]:
    """Each town's population by the tiered rule of this module.

    Parameters
    ----------
    towns
        Rows with ``town_code``, ``name_zh`` and ``area_m2`` (``None`` = location unknown).
    figures
        Published figures, matched to towns by ``town`` = ``name_zh``.
    census
        Census counts of the target year per town code.
    county_total
        The county's census total.
    census_source
        Source text per census town code.
    census_year
        Year of the census counts.

    Returns
    -------
    dict
        :class:`TownFigure` per town code; the populations add up to *county_total*.

    Raises
    ------
    DataError
        If the census towns already exceed the county total, or nothing shares the remainder.
    """
    by_name: dict[str, list[PublishedFigure]] = {}
    for f in figures:
        by_name.setdefault(f.town, []).append(f)
    chosen: dict[str, PublishedFigure] = {}
    for town in towns:
        code = str(town["town_code"])
        if code in census:
            continue
        candidates = by_name.get(str(town["name_zh"]), [])
        if candidates:
            chosen[code] = best_figure(candidates)
    located_with = [t for t in towns if str(t["town_code"]) in chosen and t.get("area_m2")]
    area_sum = sum(float(t["area_m2"]) for t in located_with)
    density = (
        sum(chosen[str(t["town_code"])].population for t in located_with) / area_sum if area_sum else 0.0
    )
    raw: dict[str, float] = {code: f.population for code, f in chosen.items()}
    for town in towns:
        code = str(town["town_code"])
        if code not in census and code not in chosen and town.get("area_m2") and density > 0:
            raw[code] = float(town["area_m2"]) * density
    remainder = float(county_total) - sum(float(v) for v in census.values())
    if remainder < 0:
        msg = "The census towns add up to more than the county total; check both figures."
        raise DataError(msg)
    weight = sum(raw.values())
    if weight <= 0 and remainder > 0:
        msg = "No town without a census count has a figure or an area to share the county remainder."
        raise DataError(msg)
    scale = remainder / weight if weight > 0 else 0.0
    out: dict[str, TownFigure] = {}
    for town in towns:
        code = str(town["town_code"])
        if code in census:
            out[code] = TownFigure(
                float(census[code]),
                "census",
                census_year,
                (census_source or {}).get(code),
                "high",
                float(census[code]),
                f"census_{census_year}_resident",
            )
        elif code in chosen:
            f = chosen[code]
            out[code] = TownFigure(
                raw[code] * scale, "published", f.year, f.source, f.trust, f.population, f.what_counted
            )
        elif code in raw:
            out[code] = TownFigure(
                raw[code] * scale, "area", census_year, AREA_SOURCE, "modelled", None, None
            )
        else:
            out[code] = TownFigure(None, "none", None, NONE_SOURCE, "none", None, None)
    return out
