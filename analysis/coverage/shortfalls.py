"""How many more: ambulances, AEDs and beds each town still needs to meet the plan's ratios.

A town's need is ``ceil(population / people_per_unit)`` (beds: ``ceil(population × ratio / 1000)``)
of its counted population; what it has is the units at the sites whose ``town_code`` is that town.
When some of those sites' counts are unknown and the known ones fall short, the shortfall is
unknown, with the most it can be (``shortfall_at_most``): unknown stays unknown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.results import _column

__all__ = ["county_shortfalls", "shortfall", "town_shortfalls"]


def shortfall(needed: int, known: float, unknown_sites: int) -> dict[str, Any]:
    """The shortfall of one town (or the county) for one kind of unit.

    Parameters
    ----------
    needed
        Units needed.
    known
        Units counted at sites whose count is known.
    unknown_sites
        Sites whose count is unknown.

    Returns
    -------
    dict
        ``needed``, ``have`` (``None`` when some count is unknown), ``have_at_least``,
        ``shortfall`` (``None`` when unknown), ``shortfall_at_most``.
    """
    have_known = round(known)
    gap = max(0, needed - have_known)
    known_enough = unknown_sites == 0 or gap == 0
    return {
        "needed": needed,
        "have": have_known if unknown_sites == 0 else None,
        "have_at_least": have_known,
        "sites_unknown": unknown_sites,
        "shortfall": gap if known_enough else None,
        "shortfall_at_most": gap,
    }


def _units_by_town(sites: pd.DataFrame, column: str) -> tuple[dict[str, float], dict[str, int]]:
    """Known units and count of unknown sites per town code of the sites."""
    codes = _column(sites, "town_code")
    values = pd.to_numeric(_column(sites, column), errors="coerce")
    known: dict[str, float] = {}
    unknown: dict[str, int] = {}
    for code, value in zip(codes.to_numpy(dtype=object), values.to_numpy(dtype=np.float64), strict=True):
        if code is None or (isinstance(code, float) and math.isnan(code)) or code is pd.NA:
            continue
        key = str(code)
        if math.isnan(value):
            unknown[key] = unknown.get(key, 0) + 1
        else:
            known[key] = known.get(key, 0.0) + float(value)
    return known, unknown


def _beds_needed(population: float) -> int:
    return math.ceil(population * float(settings.BEDS_PER_1000) / 1000.0) if population > 0 else 0


def _per_unit_needed(population: float, people_per_unit: int) -> int:
    return math.ceil(population / people_per_unit) if population > 0 else 0


def town_shortfalls(
    town_population: Mapping[Any, float],
    *,
    ems_sites: pd.DataFrame,
    aed_sites: pd.DataFrame,
    medical: pd.DataFrame,
) -> list[dict[str, Any]]:
    """Per town: ambulances, AEDs and beds needed, had and short.

    Parameters
    ----------
    town_population
        Counted population per town code.
    ems_sites
        The scenario's 120 sites (``town_code``, ``ambulances``).
    aed_sites
        The scenario's AED sites (located or not; ``town_code``). Empty when no AED is listed:
        the per-town AED count is then unknown.
    medical
        The scenario's medical facilities (``town_code``, ``beds``).

    Returns
    -------
    list of dict
        One row per town code with ``ambulances``, ``aeds`` and ``beds`` blocks (see :func:`shortfall`).
    """
    amb_known, amb_unknown = _units_by_town(ems_sites, "ambulances")
    bed_known, bed_unknown = _units_by_town(medical, "beds")
    aed_listed = len(aed_sites) > 0
    aed_codes = _column(aed_sites, "town_code").astype(object)
    rows = []
    for code, pop in town_population.items():
        key = None if code is None else str(code)
        population = float(pop)
        if key is None:
            continue
        aeds = _per_unit_needed(population, int(settings.PEOPLE_PER_AED))
        if aed_listed:
            aed_block = shortfall(aeds, float((aed_codes.astype(str) == key).sum()), 0)
        else:
            # no AED list: the count per town is unknown, at most every needed one is missing
            aed_block = shortfall(aeds, 0.0, 1 if aeds > 0 else 0)
            aed_block["sites_unknown"] = None
        rows.append(
            {
                "town_code": key,
                "population": population,
                "ambulances": shortfall(
                    _per_unit_needed(population, int(settings.PEOPLE_PER_AMBULANCE)),
                    amb_known.get(key, 0.0),
                    amb_unknown.get(key, 0),
                ),
                "aeds": aed_block,
                "beds": shortfall(_beds_needed(population), bed_known.get(key, 0.0), bed_unknown.get(key, 0)),
            }
        )
    return rows


def county_shortfalls(
    population_total: float,
    *,
    ems_sites: pd.DataFrame,
    aed_count: int | None,
    medical: pd.DataFrame,
    reported_beds: float | None = None,
) -> dict[str, Any]:
    """County-wide ambulances, AEDs and beds needed, had and short.

    Parameters
    ----------
    population_total
        Counted population.
    ems_sites
        The scenario's 120 sites.
    aed_count
        AEDs counted (listed, else the reported count; ``None`` = unknown).
    medical
        The scenario's medical facilities.
    reported_beds
        A reported county bed total; its shortfall is given beside the facility-based one.

    Returns
    -------
    dict
        ``ambulances``, ``aeds``, ``beds`` blocks (see :func:`shortfall`), and ``beds_reported``.
    """
    fleet = pd.to_numeric(_column(ems_sites, "ambulances"), errors="coerce")
    beds = pd.to_numeric(_column(medical, "beds"), errors="coerce")
    aeds_needed = _per_unit_needed(population_total, int(settings.PEOPLE_PER_AED))
    beds_needed = _beds_needed(population_total)
    out: dict[str, Any] = {
        "population": float(population_total),
        "ambulances": shortfall(
            _per_unit_needed(population_total, int(settings.PEOPLE_PER_AMBULANCE)),
            float(fleet.sum(skipna=True)),
            int(fleet.isna().sum()),
        ),
        "aeds": shortfall(aeds_needed, float(aed_count or 0), 0 if aed_count is not None else 1),
        "beds": shortfall(beds_needed, float(beds.sum(skipna=True)), int(beds.isna().sum())),
        "beds_reported": (None if reported_beds is None else shortfall(beds_needed, float(reported_beds), 0)),
    }
    return out
