"""One scenario (the current network, or with planned facilities open): its travel and its standards."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analysis.coverage.aed import aed_per_10k, aed_walk_access
from analysis.coverage.beds import beds_per_1000
from analysis.coverage.counts import (
    _washing_subcentre,
    village_clinic_each_village,
    washing_centre_per_subcentre,
)
from analysis.coverage.ems import (
    ambulance_per_30k,
    ems_radius_5km,
    ems_response_14min,
    negative_pressure_share_40,
)
from analysis.coverage.kinds import EMS_KINDS, MEDICAL_KINDS, TIERS
from analysis.coverage.service_circle import service_circle_15min

if TYPE_CHECKING:
    from analysis.coverage.fixed_parts import FixedParts
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.town_table import TownContext
    from analysis.coverage.travel_queries import TravelQueries


@dataclass
class ScenarioTravel:
    """Per-cell travel of one scenario.

    Attributes
    ----------
    active
        Facilities counted as open.
    minutes
        ``minutes[mode][tier]``: minutes to the nearest facility of the tier (``inf`` = not reached).
    nearest_any
        Facility row of the nearest facility by the headline profile (-1 = none).
    ems_drive, nearest_ems
        Ambulance drive minutes from the nearest 120 site, and its facility row.
    ems_network_m
        Network distance to the nearest 120 site (``inf`` beyond the radius).
    ems_straight_m
        Straight-line distance to the nearest 120 site.
    aed_walk_m
        Walking distance to the nearest AED, ``None`` when no AED is located.
    """

    active: np.ndarray
    minutes: dict[str, dict[str, np.ndarray]]
    nearest_any: np.ndarray
    ems_drive: np.ndarray
    nearest_ems: np.ndarray
    ems_network_m: np.ndarray
    ems_straight_m: np.ndarray
    aed_walk_m: np.ndarray | None


@dataclass
class Scenario:
    """A scenario's travel, the result of every standard (in the order of the plan) and further measures.

    Attributes
    ----------
    travel
        Per-cell travel.
    results
        One result per standard.
    measures
        ``equity``, ``accessibility``, ``shortfalls``, ``worst_served`` blocks.
    scores
        Per-cell E2SFCA score per capacity column.
    """

    travel: ScenarioTravel
    results: list[dict[str, Any]]
    measures: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def minutes(self) -> dict[str, dict[str, np.ndarray]]:
        """Per-cell minutes by mode and tier."""
        return self.travel.minutes

    @property
    def ems_drive(self) -> np.ndarray:
        """Per-cell ambulance drive minutes."""
        return self.travel.ems_drive


def scenario_travel(queries: TravelQueries, *, with_planned: bool) -> ScenarioTravel:
    """Select the scenario's facilities from the run's travel queries.

    Parameters
    ----------
    queries
        The run's travel queries.
    with_planned
        Count planned facilities as open.

    Returns
    -------
    ScenarioTravel
        Per-cell minutes and distances of the scenario.
    """
    fac = queries.facilities
    opts = queries.opts
    active = fac.active(with_planned)
    med_idx = fac.medical_index
    med_rows = active[med_idx]
    minutes: dict[str, dict[str, np.ndarray]] = {}
    nearest_any = np.full(queries.cells.n, -1, dtype=np.int64)
    for mode in queries.modes:
        minutes[mode] = {}
        for tier, kinds in TIERS.items():
            rows = med_rows & np.isin(fac.kind[med_idx], kinds)
            if mode == opts.profile and tier == "any":
                # the one answer that names the nearest facility
                minutes[mode][tier], nearest_any = queries.nearest_medical(mode, rows)
            else:
                minutes[mode][tier] = queries.medical_minutes(mode, rows)
    ems_drive, nearest_ems = queries.nearest_ems(active[fac.ems_index])
    ems_net, _ = queries.distances("ems", with_planned, opts.ems_profile, opts.ems_radius_m)
    aed_walk_m: np.ndarray | None = None
    if (fac.aed & active).any():
        aed_walk_m = queries.distances("aed", with_planned, "walk", opts.aed_walk_radius_m)[0]
    return ScenarioTravel(
        active=active,
        minutes=minutes,
        nearest_any=nearest_any,
        ems_drive=ems_drive,
        nearest_ems=nearest_ems,
        ems_network_m=ems_net,
        ems_straight_m=queries.straight_ems_m(active),
        aed_walk_m=aed_walk_m,
    )


def _catchment_population(population: np.ndarray, nearest: np.ndarray, ids: np.ndarray) -> dict[str, float]:
    """Population whose nearest 120 site is each site id."""
    catchment = pd.Series(population).groupby(nearest).sum()
    return {
        str(ids[int(i)]): float(p)  # type: ignore[call-overload]
        for i, p in catchment.items()
        if int(i) >= 0  # type: ignore[call-overload]
    }


def evaluate_standards(
    queries: TravelQueries,
    towns: TownContext,
    travel: ScenarioTravel,
    *,
    opts: ResolvedOptions,
    facts: Mapping[str, Any] | None,
    network_source: str,
    parts: FixedParts | None = None,
    tag: Hashable = None,
) -> list[dict[str, Any]]:
    """Every standard of the plan for one scenario, in the order of :data:`analysis.standards.STANDARDS`.

    Parameters
    ----------
    queries
        The run's travel queries (cells and facilities).
    towns
        The run's towns.
    travel
        The scenario's travel.
    opts
        The run's options.
    facts
        Reported figures.
    network_source
        What the travel times were computed on.
    parts, tag
        Where the standards no threshold changes (the counts of facilities) are remembered, and
        under which name for this scenario and population; ``None``: computed each time.

    Returns
    -------
    list of dict
        One result per standard.
    """
    cells, fac = queries.cells, queries.facilities
    pop, total, active = cells.population, cells.total, travel.active
    kind, table = fac.kind, fac.frame
    counted_ems = table[active & np.isin(kind, EMS_KINDS)]

    def counts() -> list[dict[str, Any]]:
        return [
            ambulance_per_30k(
                counted_ems,
                total,
                catchment_population=_catchment_population(pop, travel.nearest_ems, fac.ids),
                facts=facts,
            ),
            negative_pressure_share_40(counted_ems, facts=facts),
            aed_per_10k(
                table[active & (kind == "aed")], total, facts=facts, town_population=towns.population
            ),
            beds_per_1000(
                table[active & np.isin(kind, MEDICAL_KINDS)],
                total,
                community_population=towns.community_population,
                facts=facts,
            ),
            village_clinic_each_village(table[active], facts=facts),
            washing_centre_per_subcentre(
                table[active],
                subcentre_of=_washing_subcentre(table, active, kind, fac.placed, fac.xy, fac.ids),
            ),
        ]

    ambulances, negative_pressure, aed_count, beds, villages, washing = (
        counts() if parts is None else parts.get(("counts", tag), counts)
    )
    return [
        service_circle_15min(
            travel.minutes,
            pop,
            town_codes=towns.index,
            profile=opts.profile,
            threshold_minutes=opts.minutes,
            required_share=opts.required_share,
        ),
        ems_response_14min(
            travel.ems_drive,
            pop,
            town_codes=towns.index,
            cell_ids=cells.cell_ids,
            dispatch_minutes=opts.dispatch_minutes,
            target_minutes=opts.ems_minutes,
            required_share=opts.required_share,
        ),
        ems_radius_5km(
            travel.ems_network_m,
            travel.ems_straight_m,
            pop,
            town_codes=towns.index,
            radius_m=opts.ems_radius_m,
            required_share=opts.required_share,
            network_source=network_source,
        ),
        ambulances,
        negative_pressure,
        aed_count,
        aed_walk_access(
            travel.aed_walk_m,
            pop,
            town_codes=towns.index,
            radius_m=opts.aed_walk_radius_m,
            reason_unknown=(
                "No AED locations supplied (the reported AEDs have no coordinates): walking access "
                "cannot be measured; see aed_per_10k for the count."
            ),
        ),
        beds,
        villages,
        washing,
    ]
