"""AEDs: count per 10,000 people and people within a short walk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.kinds import UNKNOWN
from analysis.coverage.numeric import (
    _needed,
    _or_default,
    _population,
    _share,
)
from analysis.coverage.results import (
    _assumptions,
    _column,
    _fact_value,
    _pct,
    _result,
    _share_result,
)
from analysis.coverage.towns import TownCodes, TownIndex
from analysis.standards import get_standard

__all__ = ["aed_per_10k", "aed_walk_access"]


def aed_walk_access(
    distance_m: np.ndarray | None,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    radius_m: float | None = None,
    reason_unknown: str | None = None,
) -> dict[str, Any]:
    """Share of population within a short walk of an AED.

    Parameters
    ----------
    distance_m
        Per-cell walking distance to the nearest AED, or ``None`` when no AED locations are
        known (the result is then unknown, with *reason_unknown*).
    population
        Per-cell population.
    town_codes
        Per-cell town code.
    radius_m
        Walking radius (``settings.AED_WALK_RADIUS_M``).
    reason_unknown
        Why the distances are missing.

    Returns
    -------
    dict
        ``passed`` is always ``None``: the plan sets no target for this (our addition).
    """
    std = get_standard("aed_walk_access")
    radius = _or_default(radius_m, settings.AED_WALK_RADIUS_M)
    pop, total = _population(population)
    value: float | None = None
    towns = None
    if distance_m is None:
        reason = reason_unknown or "No AED locations supplied: walking access cannot be measured."
        note = f"{reason} Value unknown."
    else:
        covered = np.asarray(distance_m, dtype=np.float64) <= radius
        value = _share(float(pop[covered].sum()), total)
        towns = TownIndex.of(town_codes, pop).shares(covered)
        note = (
            f"{_pct(value)} of people live within {radius:g} m walk of an AED. No plan target (our "
            "addition): read it beside aed_per_10k, since a count alone says nothing about reach."
        )
    return _share_result(
        std,
        value=value,
        need=None,
        total=total,
        assumptions=_assumptions(std, AED_WALK_RADIUS_M=radius),
        note=note,
        towns=towns,
        radius_m=radius,
    )


def aed_per_10k(
    aed_sites: pd.DataFrame,
    population_total: float,
    *,
    facts: Mapping[str, Any] | None = None,
    town_population: Mapping[Any, float] | None = None,
) -> dict[str, Any]:
    """AED count against ceil(population / 10,000).

    Parameters
    ----------
    aed_sites
        AED features counted (located or not). When empty, the reported count
        ``facts["aed_public_count"]`` is used, and the note says so.
    population_total
        People served.
    facts
        Reported figures.
    town_population
        Population per town code, for the per-town number needed.

    Returns
    -------
    dict
        ``value`` is the count, ``target`` the number needed.
    """
    std = get_standard("aed_per_10k")
    per = int(settings.PEOPLE_PER_AED)
    needed = _needed(population_total, per)
    count_source = "locations"
    if len(aed_sites) > 0:
        value: int | None = len(aed_sites)
        note = f"{value} AED sites in the data for {population_total:,.0f} people; {needed} needed."
    else:
        reported, fact = _fact_value(facts, "aed_public_count")
        if reported is not None:
            value = int(reported)
            count_source = "reported count"
            year = fact.get("year") if fact else None
            note = (
                f"No AED locations supplied: using the reported count of {value} public AEDs"
                f"{f' ({year})' if year else ''}"
                f"{', source: ' + str(fact.get('source')) if fact and fact.get('source') else ''}; "
                f"{needed} needed for {population_total:,.0f} people (1 per {per:,})."
            )
        else:
            value = None
            count_source = UNKNOWN
            note = "No AED locations and no reported AED count: count unknown."
    towns_rows = []
    if town_population:
        codes = _column(aed_sites, "town_code")
        for code, pop in town_population.items():
            located = int((codes == code).sum()) if len(aed_sites) else None
            towns_rows.append(
                {
                    "town_code": code,
                    "population": pop,
                    "needed": _needed(pop, per),
                    "value": located,
                }
            )
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="AEDs",
        target=needed,
        comparison=">=",
        passed=None if value is None else bool(value >= needed),
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        towns=towns_rows,
        count_source=count_source,
    )
