"""Measures beyond each standard's share, per scenario: equity, accessibility, shortfalls, worst-served."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.accessibility import capacity_columns, e2sfca_result
from analysis.coverage.equity import inequality
from analysis.coverage.kinds import EMS_KINDS, MEDICAL_KINDS
from analysis.coverage.results import _fact_value
from analysis.coverage.shortfalls import county_shortfalls, town_shortfalls
from analysis.coverage.worst_served import worst_served

if TYPE_CHECKING:
    from analysis.coverage.fixed_parts import FixedParts
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.scenario import ScenarioTravel
    from analysis.coverage.town_table import TownContext
    from analysis.coverage.travel_queries import TravelQueries


def _town_means(minutes: np.ndarray, towns: TownContext) -> np.ndarray:
    """Population-weighted mean minutes per town over its reached people (NaN when none)."""
    t = np.asarray(minutes, dtype=np.float64)
    reached = np.isfinite(t)
    pop = towns.index.population
    weight = towns.index.sums(np.where(reached, pop, 0.0))
    total = towns.index.sums(np.where(reached, np.where(reached, t, 0.0) * pop, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weight > 0, total / weight, np.nan)


def _both(minutes: np.ndarray, towns: TownContext) -> dict[str, Any]:
    return {
        "county": inequality(minutes, towns.index.population),
        "across_towns": inequality(_town_means(minutes, towns), towns.index.town_population),
    }


def mode_equity(travel: ScenarioTravel, towns: TownContext) -> dict[str, dict[str, Any]]:
    """Inequality of minutes to the nearest facility, per mode and tier (no threshold changes it).

    Parameters
    ----------
    travel
        The scenario's travel.
    towns
        The run's towns.

    Returns
    -------
    dict
        ``[mode][tier]`` → ``{"county": …, "across_towns": …}`` (see :func:`travel_equity`).
    """
    return {
        mode: {tier: _both(values, towns) for tier, values in tiers.items()}
        for mode, tiers in travel.minutes.items()
    }


def travel_equity(
    travel: ScenarioTravel,
    towns: TownContext,
    *,
    dispatch_minutes: float,
    by_mode: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Inequality of travel minutes to the nearest facility, per mode and tier, and of ambulance response.

    Parameters
    ----------
    travel
        The scenario's travel.
    towns
        The run's towns.
    dispatch_minutes
        Added to ambulance drive minutes for the response.
    by_mode
        :func:`mode_equity` of the same travel when already known.

    Returns
    -------
    dict
        ``by_mode[mode][tier]`` and ``ems_response``, each ``{"county": …, "across_towns": …}``
        (see :func:`analysis.coverage.equity.inequality`); people not reached are left out and counted.
    """
    return {
        "by_mode": mode_equity(travel, towns) if by_mode is None else by_mode,
        "ems_response": _both(travel.ems_drive + dispatch_minutes, towns),
        "note": (
            "Population-weighted Gini, Palma ratio (top 10 % over bottom 40 %) and coefficient of "
            "variation of minutes to the nearest facility: 0 means everyone waits as long; higher means "
            "a few wait much longer. Across towns uses each town's mean. People not reached are left out "
            "(population_left_out)."
        ),
    }


def accessibility(
    queries: TravelQueries, towns: TownContext, travel: ScenarioTravel
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """E2SFCA accessibility of every capacity column for the scenario's medical facilities.

    Parameters
    ----------
    queries
        The run's travel queries (the ``settings.E2SFCA_PROFILE`` matrix is reused).
    towns
        The run's towns.
    travel
        The scenario's travel (which facilities are open).

    Returns
    -------
    tuple
        Block per capacity column, and the per-cell scores per column.
    """
    fac = queries.facilities
    profile = settings.E2SFCA_PROFILE
    med_idx = fac.medical_index
    active_med = travel.active[med_idx]
    blocks: dict[str, Any] = {}
    scores: dict[str, np.ndarray] = {}
    counted_all = fac.frame[travel.active & np.isin(fac.kind, MEDICAL_KINDS)]
    # beyond the last band a facility weighs nothing, so the searches stop there
    catchment = queries.catchment_matrix()
    for column in capacity_columns(fac.frame):
        supply_all = pd.to_numeric(fac.frame[column], errors="coerce").to_numpy(dtype=np.float64)
        supply = supply_all[med_idx]
        rows = active_med & np.isfinite(supply)
        unknown = int(pd.to_numeric(counted_all[column], errors="coerce").isna().sum())
        # counted facilities with a known capacity but no travel time (not placed, or off the roads)
        unplaced = travel.active & np.isin(fac.kind, MEDICAL_KINDS) & ~fac.medical & np.isfinite(supply_all)
        if catchment is None:
            sub = np.full((0, queries.cells.n), np.inf)
        else:
            # every facility of known capacity in this column is a row of the matrix
            searched, matrix = catchment
            sub = matrix[rows[searched]]
        block, score = e2sfca_result(
            sub,
            supply[rows],
            queries.cells.population,
            towns=towns.index,
            capacity=column,
            supply_unknown=unknown,
            facilities_counted=int(rows.sum()),
            profile=profile,
            unplaced=[
                (str(i), float(v)) for i, v in zip(fac.ids[unplaced], supply_all[unplaced], strict=True)
            ],
        )
        blocks[column] = block
        scores[column] = score
    return blocks, scores


def shortfalls(
    queries: TravelQueries,
    towns: TownContext,
    travel: ScenarioTravel,
    *,
    facts: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Ambulances, AEDs and beds short of the plan's ratios, county-wide and per town.

    Parameters
    ----------
    queries
        The run's cells and facilities.
    towns
        The run's towns.
    travel
        The scenario (which facilities are open).
    facts
        Reported figures (``aed_public_count``, ``hospital_beds_2020``).

    Returns
    -------
    dict
        ``county`` and ``towns`` blocks.
    """
    fac = queries.facilities
    table, kind, active = fac.frame, fac.kind, travel.active
    ems_sites = table[active & np.isin(kind, EMS_KINDS)]
    aed_sites = table[active & (kind == "aed")]
    medical = table[active & np.isin(kind, MEDICAL_KINDS)]
    aed_count: int | None = len(aed_sites) if len(aed_sites) else None
    if aed_count is None:
        reported, _ = _fact_value(facts, "aed_public_count")
        aed_count = None if reported is None else int(reported)
    reported_beds, _ = _fact_value(facts, "hospital_beds_2020")
    rows = town_shortfalls(towns.population, ems_sites=ems_sites, aed_sites=aed_sites, medical=medical)
    names = {t["town_code"]: t for t in towns.rows}
    for row in rows:
        town = names.get(row["town_code"], {})
        row["name_zh"] = town.get("name_zh")
        row["name_en"] = town.get("name_en")
    return {
        "county": county_shortfalls(
            queries.cells.total,
            ems_sites=ems_sites,
            aed_count=aed_count,
            medical=medical,
            reported_beds=None if reported_beds is None else float(reported_beds),
        ),
        "towns": rows,
        "rule": (
            "Needed = ceil(population / 30,000) ambulances, ceil(population / 10,000) AEDs, "
            "ceil(population × 4.2 / 1,000) beds; a town has the units at the sites whose town_code it is. "
            "When a site's count is unknown and the known ones fall short, the shortfall is unknown "
            "(shortfall_at_most gives its upper bound)."
        ),
    }


def worst_served_block(
    queries: TravelQueries,
    towns: TownContext,
    travel: ScenarioTravel,
    opts: ResolvedOptions,
    *,
    service_circle: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The slowest tenth of people by the headline service-circle mode and by ambulance response.

    *service_circle* is the first part when already known (it depends on no threshold).
    """
    cells = queries.cells
    if service_circle is None:
        service_circle = worst_served(travel.minutes[opts.profile]["any"], towns.index, cells.cell_ids)
    return {
        "service_circle": {"profile": opts.profile, **service_circle},
        "ems_response": worst_served(travel.ems_drive + opts.dispatch_minutes, towns.index, cells.cell_ids),
    }


def evaluate_measures(
    queries: TravelQueries,
    towns: TownContext,
    travel: ScenarioTravel,
    *,
    opts: ResolvedOptions,
    facts: Mapping[str, Any] | None,
    parts: FixedParts | None = None,
    tag: Hashable = None,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Equity, accessibility, shortfalls and the worst-served of one scenario.

    Parameters
    ----------
    queries, towns, travel
        The run's travel queries and towns, and the scenario's travel.
    opts
        The run's options.
    facts
        Reported figures.
    parts, tag
        Where the measures no threshold changes are remembered, and under which name for this
        scenario; ``None``: computed each time.

    Returns
    -------
    tuple
        The JSON-able blocks (``equity``, ``accessibility``, ``shortfalls``, ``worst_served``) and
        the per-cell accessibility scores per capacity column.
    """

    def fixed() -> tuple[Any, ...]:
        return (
            accessibility(queries, towns, travel),
            shortfalls(queries, towns, travel, facts=facts),
            mode_equity(travel, towns),
            worst_served(travel.minutes[opts.profile]["any"], towns.index, queries.cells.cell_ids),
        )

    (access, scores), short, by_mode, slowest = (
        fixed() if parts is None else parts.get(("measures", tag), fixed)
    )
    equity = travel_equity(travel, towns, dispatch_minutes=opts.dispatch_minutes, by_mode=by_mode)
    measures = {
        "equity": equity,
        "accessibility": access,
        "shortfalls": short,
        "worst_served": worst_served_block(queries, towns, travel, opts, service_circle=slowest),
    }
    return measures, scores
