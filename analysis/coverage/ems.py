"""The 120 emergency network: response time, service radius, fleet size and negative-pressure share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.kinds import UNKNOWN
from analysis.coverage.numeric import (
    _jsonable,
    _needed,
    _or_default,
    _population,
    _share,
    coverage_curve,
    weighted_quantile,
)
from analysis.coverage.results import (
    _assumptions,
    _column,
    _compare,
    _curve_minutes,
    _fact_value,
    _int_or_none,
    _minutes_text,
    _names,
    _pct,
    _result,
    _share_result,
    _some_names,
)
from analysis.coverage.towns import TownCodes, TownIndex
from analysis.standards import get_standard

__all__ = ["ambulance_per_30k", "ems_radius_5km", "ems_response_14min", "negative_pressure_share_40"]


def ems_response_14min(
    drive_minutes: np.ndarray,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    cell_ids: np.ndarray | Sequence[Any] | None = None,
    dispatch_minutes: float | None = None,
    target_minutes: float | None = None,
    required_share: float | None = None,
) -> dict[str, Any]:
    """Ambulance response (dispatch + drive from the nearest 120 site) within the target.

    Parameters
    ----------
    drive_minutes
        Per-cell drive minutes from the nearest 120 site (``inf`` = not reached).
    population
        Per-cell population.
    town_codes, cell_ids
        Per-cell town code and id, for per-town values and the worst-served lists.
    dispatch_minutes
        Call-to-departure delay (``settings.EMS_DISPATCH_MINUTES``).
    target_minutes
        Target response (``settings.EMS_RESPONSE_MINUTES``).
    required_share
        Share needed to count as met (``settings.CIRCLE_REQUIRED_SHARE``).

    Returns
    -------
    dict
        The result; ``value`` is the share within target, plus ``median_minutes``,
        ``p90_minutes`` (population-weighted) and ``worst_served`` cells and towns.
    """
    std = get_standard("ems_response_14min")
    dispatch = _or_default(dispatch_minutes, settings.EMS_DISPATCH_MINUTES)
    limit = _or_default(target_minutes, settings.EMS_RESPONSE_MINUTES)
    need = _or_default(required_share, settings.CIRCLE_REQUIRED_SHARE)
    pop, total = _population(population)
    response = np.asarray(drive_minutes, dtype=np.float64) + dispatch
    covered = response <= limit
    value = _share(float(pop[covered].sum()), total)
    towns = TownIndex.of(town_codes, pop)
    town_rows = towns.shares(covered)
    medians = towns.quantiles(response, 0.5)
    p90s = towns.quantiles(response, 0.9)
    for row in town_rows:
        row["median_minutes"] = medians[row["town_code"]]
        row["p90_minutes"] = p90s[row["town_code"]]
        row["population_beyond_target"] = row["population"] - row["population_covered"]
    median = weighted_quantile(response, pop, 0.5)
    p90 = weighted_quantile(response, pop, 0.9)
    count = int(settings.WORST_SERVED_COUNT)
    ids = np.asarray(cell_ids) if cell_ids is not None else np.arange(len(pop))
    codes = towns.cell_codes
    populated = np.flatnonzero(pop > 0)
    worst = populated[np.argsort(-response[populated], kind="stable")][:count]
    worst_cells = [
        {
            "cell_id": _jsonable(ids[i]),
            "town_code": codes[i],
            "population": float(pop[i]),
            "response_minutes": _jsonable(response[i]),
            "reached": bool(np.isfinite(response[i])),
        }
        for i in worst
    ]
    worst_towns = sorted(
        (r for r in town_rows if r["population"] > 0),
        key=lambda r: (r["value"] if r["value"] is not None else -1.0, -(r["median_minutes"] or 0)),
    )[:count]
    note = (
        f"{_pct(value)} of people get an ambulance within {limit:g} min "
        f"({dispatch:g} min dispatch + drive from the nearest 120 site); population-weighted median "
        f"{_minutes_text(median)}, 90th percentile {_minutes_text(p90)}. Met when at least {need:.0%} "
        "are inside (CIRCLE_REQUIRED_SHARE, an assumption)."
    )
    return _share_result(
        std,
        value=value,
        need=need,
        total=total,
        assumptions=_assumptions(
            std, EMS_RESPONSE_MINUTES=limit, EMS_DISPATCH_MINUTES=dispatch, CIRCLE_REQUIRED_SHARE=need
        ),
        note=note,
        towns=town_rows,
        target_minutes=limit,
        dispatch_minutes=dispatch,
        median_minutes=median,
        p90_minutes=p90,
        worst_served={"cells": worst_cells, "towns": [dict(r) for r in worst_towns]},
        curve={"minutes": _curve_minutes(), "ambulance": coverage_curve(response, pop)},
    )


def ems_radius_5km(
    network_distance_m: np.ndarray,
    straight_distance_m: np.ndarray,
    population: np.ndarray,
    *,
    town_codes: TownCodes = None,
    radius_m: float | None = None,
    required_share: float | None = None,
    network_source: str | None = None,
) -> dict[str, Any]:
    """Share of population within the service radius of a 120 site.

    Parameters
    ----------
    network_distance_m
        Per-cell network distance to the nearest 120 site (``inf`` = beyond the cutoff).
    straight_distance_m
        Per-cell straight-line distance to the nearest 120 site.
    population
        Per-cell population.
    town_codes
        Per-cell town code.
    radius_m
        Service radius (``settings.EMS_RADIUS_M``).
    required_share
        Share needed to count as met (``settings.CIRCLE_REQUIRED_SHARE``).
    network_source
        What the network distance is (shown in the note when it is a straight-line estimate).

    Returns
    -------
    dict
        ``value`` is the network share; ``straight_line_share`` the straight-line one.
    """
    std = get_standard("ems_radius_5km")
    radius = _or_default(radius_m, settings.EMS_RADIUS_M)
    need = _or_default(required_share, settings.CIRCLE_REQUIRED_SHARE)
    pop, total = _population(population)
    net = np.asarray(network_distance_m, dtype=np.float64) <= radius
    straight = np.asarray(straight_distance_m, dtype=np.float64) <= radius
    value = _share(float(pop[net].sum()), total)
    straight_share = _share(float(pop[straight].sum()), total)
    note = (
        f"{_pct(value)} of people live within {radius / 1000:g} km of a 120 site by road "
        f"({_pct(straight_share)} by straight line)."
    )
    if network_source == settings.STRAIGHT_LINE_SOURCE:
        note += (
            " No road network was given: the road distance is the straight line × "
            f"{settings.CIRCUITY_FACTOR:g} (CIRCUITY_FACTOR)."
        )
    return _share_result(
        std,
        value=value,
        need=need,
        total=total,
        assumptions=_assumptions(std, EMS_RADIUS_M=radius, CIRCLE_REQUIRED_SHARE=need),
        note=note,
        towns=TownIndex.of(town_codes, pop).shares(net, straight_line_value=straight),
        radius_m=radius,
        straight_line_share=straight_share,
    )


def ambulance_per_30k(
    ems_sites: pd.DataFrame,
    population_total: float,
    *,
    catchment_population: Mapping[str, float] | None = None,
    facts: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Ambulances on the 120 sites against ceil(population / 30,000).

    Parameters
    ----------
    ems_sites
        The 120 sites counted (``id``, ``name_zh``, ``ambulances``); located or not.
    population_total
        People served.
    catchment_population
        Population whose nearest 120 site is each site id (for the per-station check).
    facts
        Reported figures (``ambulances_added_2018`` is quoted when the fleet is unknown).

    Returns
    -------
    dict
        ``value`` is the fleet (``None`` when any site's fleet is unknown), ``target`` the
        number needed.
    """
    std = get_standard("ambulance_per_30k")
    per = int(settings.PEOPLE_PER_AMBULANCE)
    needed = _needed(population_total, per)
    fleet = _column(ems_sites, "ambulances")
    unknown = ems_sites[fleet.isna().to_numpy()]
    stations = []
    for row in ems_sites.to_dict("records"):
        site_pop = (catchment_population or {}).get(str(row["id"]))
        ambulances = _int_or_none(row.get("ambulances"))
        site_needed = _needed(site_pop, per) if site_pop is not None else None
        stations.append(
            {
                "id": row["id"],
                "name_zh": row.get("name_zh"),
                "population": site_pop,
                "needed": site_needed,
                "ambulances": ambulances if ambulances is not None else UNKNOWN,
                "passed": (
                    None if ambulances is None or site_needed is None else bool(ambulances >= site_needed)
                ),
            }
        )
    if len(ems_sites) == 0:
        value, passed = None, None
        note = f"No 120 sites in the data: fleet {UNKNOWN}; {needed} ambulances needed."
    elif len(unknown) > 0:
        value, passed = None, None
        note = (
            f"Fleet {UNKNOWN}: {len(unknown)} of {len(ems_sites)} 120 sites have no ambulance count "
            f"({_some_names(unknown, 'unknown_fleet')}); {needed} ambulances are needed for "
            f"{population_total:,.0f} people. Not guessed."
        )
        added, _ = _fact_value(facts, "ambulances_added_2018")
        if added is not None:
            note += f" Reported: {added} ambulances were added in 2018 (total fleet not published)."
    else:
        value = int(fleet.astype(float).sum())
        passed = value >= needed
        note = f"{value} ambulances for {population_total:,.0f} people; {needed} needed (1 per {per:,})."
    return _result(
        std,
        value=value,
        value_text=str(value) if value is not None else UNKNOWN,
        unit="ambulances",
        target=needed,
        comparison=">=",
        passed=passed,
        population_considered=float(population_total),
        assumptions=_assumptions(std),
        note=note,
        stations=stations,
        unknown_fleet=_names(unknown),
    )


def negative_pressure_share_40(
    ems_sites: pd.DataFrame, *, facts: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Share of negative-pressure ambulances, where the fleet is known.

    Parameters
    ----------
    ems_sites
        The 120 sites (``ambulances``, ``negative_pressure_ambulances``).
    facts
        Reported figures; ``negative_pressure_ambulances_known_min`` (a reported count, a lower
        bound) is quoted when the fleet is unknown.

    Returns
    -------
    dict
        ``value`` is the share, ``None`` when any count is unknown or the fleet is empty.
    """
    std = get_standard("negative_pressure_share_40")
    need = float(settings.NEGATIVE_PRESSURE_SHARE)
    fleet = _column(ems_sites, "ambulances")
    negative = _column(ems_sites, "negative_pressure_ambulances")
    unknown = ems_sites[(fleet.isna() | negative.isna()).to_numpy()]
    value: float | None = None
    known_at_least: dict[str, Any] | None = None
    if len(ems_sites) == 0:
        note = "No 120 sites in the data: share unknown."
    elif len(unknown) > 0:
        note = (
            f"Share {UNKNOWN}: {len(unknown)} of {len(ems_sites)} 120 sites lack ambulance or "
            f"negative-pressure counts ({_some_names(unknown, 'unknown_fleet')}). Not guessed."
        )
        known_min, fact = _fact_value(facts, "negative_pressure_ambulances_known_min")
        if known_min is not None:
            known_at_least = {"negative_pressure_ambulances": int(known_min), "fact": fact}
            when = f" ({fact['date']})" if fact and fact.get("date") else ""
            note = (
                f"At least {int(known_min)} negative-pressure ambulances are known{when}; the share is "
                f"{UNKNOWN} without the fleet size ({len(unknown)} of {len(ems_sites)} 120 sites have no "
                "ambulance count). Not guessed."
            )
    else:
        total = float(fleet.astype(float).sum())
        neg = float(negative.astype(float).sum())
        value = _share(neg, total)
        note = (
            f"{neg:.0f} of {total:.0f} ambulances are negative-pressure ({_pct(value)})."
            if value is not None
            else "The known fleet is empty: share undefined."
        )
    value_text = _pct(value) if value is not None else UNKNOWN
    if known_at_least is not None:
        value_text = f"≥ {known_at_least['negative_pressure_ambulances']} known; share {UNKNOWN}"
    return _result(
        std,
        value=value,
        value_text=value_text,
        known_at_least=known_at_least,
        unit="share of ambulances",
        target=need,
        comparison=">=",
        passed=_compare(value, need, ">="),
        population_considered=None,
        assumptions=_assumptions(std),
        note=note,
        unknown_fleet=_names(unknown),
    )
