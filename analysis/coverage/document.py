"""The coverage document (JSON) and the per-cell table of a run, assembled from its parts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis import settings
from analysis.coverage.access_legs import access_leg_banners, access_leg_summary
from analysis.coverage.comparison import scenario_block
from analysis.coverage.kinds import TIERS
from analysis.coverage.left_out import cells_left_out, facilities_left_out
from analysis.coverage.numeric import _jsonable, _nan_if_unreached, _take
from analysis.coverage.period import peak_factors
from analysis.coverage.results import _fact_value
from analysis.coverage.town_rows import town_ranking
from analysis.standards import STANDARDS

if TYPE_CHECKING:
    from analysis.coverage.options import ResolvedOptions
    from analysis.coverage.prepared import CellTable, FacilityTable
    from analysis.coverage.scenario import Scenario
    from analysis.coverage.town_table import TownContext
    from analysis.population import PopulationSurface

#: Columns of :attr:`CoverageRun.cells`, in order (plus ``geometry``).
CELL_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "population",
    "town_code",
    "minutes_any",
    "minutes_township",
    "minutes_hospital",
    "nearest_facility_id",
    "ems_response_minutes",
    "nearest_ems_id",
    "covered_15min",
    "covered_ems",
    "e2sfca_beds",
)


def population_note(cells: CellTable, census: Any) -> str:
    """How many people were counted, beside the census when it is known."""
    total = cells.total
    note = (
        f"Population counted {total:,.0f}"
        + (f" vs census {float(census):,.0f}" if census is not None else "")
        + (
            "; every cell is counted."
            if not cells.population_missing.any()
            else "; cells with missing population are left out (listed)."
        )
    )
    if census is not None and abs(total - float(census)) > 1.0:
        note += (
            f" The surface total differs from the census by {total - float(census):,.0f}: the surface "
            "was built from other figures."
        )
    return note


def run_assumptions(opts: ResolvedOptions, *, straight: bool) -> dict[str, Any]:
    """The settings and choices every number of the run rests on."""
    assumptions: dict[str, Any] = {
        "SERVICE_CIRCLE_PROFILE": opts.profile,
        "SERVICE_CIRCLE_MINUTES": opts.minutes,
        "EMS_PROFILE": opts.ems_profile,
        "EMS_DISPATCH_MINUTES": opts.dispatch_minutes,
        "EMS_RESPONSE_MINUTES": opts.ems_minutes,
        "EMS_RADIUS_M": opts.ems_radius_m,
        "AED_WALK_RADIUS_M": opts.aed_walk_radius_m,
        "CIRCLE_REQUIRED_SHARE": opts.required_share,
        "PEOPLE_PER_AMBULANCE": settings.PEOPLE_PER_AMBULANCE,
        "NEGATIVE_PRESSURE_SHARE": settings.NEGATIVE_PRESSURE_SHARE,
        "PEOPLE_PER_AED": settings.PEOPLE_PER_AED,
        "BEDS_PER_1000": settings.BEDS_PER_1000,
        "MAX_SNAP_DISTANCE_M": settings.MAX_SNAP_DISTANCE_M,
        "INCLUDE_PLANNED": opts.include_planned,
    }
    assumptions["PERIOD"] = opts.period
    if opts.period == "peak":
        assumptions["PEAK_FACTOR_BY_PROFILE"] = dict(settings.PEAK_FACTOR_BY_PROFILE)
    assumptions["E2SFCA_PROFILE"] = settings.E2SFCA_PROFILE
    assumptions["E2SFCA_BANDS"] = [list(b) for b in settings.E2SFCA_BANDS]
    assumptions["WORST_SERVED_SHARE"] = settings.WORST_SERVED_SHARE
    if straight:
        assumptions["CIRCUITY_FACTOR"] = settings.CIRCUITY_FACTOR
        assumptions["STRAIGHT_LINE_SPEED_KMH"] = dict(settings.STRAIGHT_LINE_SPEED_KMH)
    else:
        assumptions["PEAK_HOUR_FACTOR"] = settings.PEAK_HOUR_FACTOR
    return assumptions


def estimate_banners(surface: PopulationSurface, *, straight: bool, period: str) -> list[str]:
    """Plain-words warnings that travel or population is an estimate, and the time of day."""
    banners = []
    if straight:
        banners.append(
            "交通时间为直线估算 Travel times are estimated without a road network: straight-line distance × "
            f"{settings.CIRCUITY_FACTOR:g} at an average speed per mode."
        )
    if surface.modelled:
        how = surface.source.removeprefix("modelled:").strip().rstrip(".")
        banners.append(f"人口为模型估算 Population is modelled: {how}.")
    if period == "peak":
        factors = ", ".join(f"{p} ×{f:g}" for p, f in settings.PEAK_FACTOR_BY_PROFILE.items() if f != 1.0)
        banners.append(
            f"高峰时段 Peak hour: free-flow minutes multiplied by {factors} (PEAK_FACTOR_BY_PROFILE, "
            "partly assumptions)."
        )
    return banners


def assemble_document(
    *,
    surface: PopulationSurface,
    network_source: str,
    facts: Mapping[str, Any] | None,
    cells: CellTable,
    fac: FacilityTable,
    towns: TownContext,
    current: Scenario,
    planned: Scenario,
    chosen: Scenario,
    opts: ResolvedOptions,
) -> dict[str, Any]:
    """The JSON-able coverage document of a run.

    Parameters
    ----------
    surface
        The population surface (its source and whether it is modelled).
    network_source
        What the travel times were computed on.
    facts
        Reported figures.
    cells, fac, towns
        The run's cells, facilities and towns (town rows already aligned and filled).
    current, planned, chosen
        The scenarios; *chosen* is the headline one.
    opts
        The run's options.

    Returns
    -------
    dict
        The document (``healthcircle report --format json``).
    """
    straight = network_source == settings.STRAIGHT_LINE_SOURCE
    census, _ = _fact_value(facts, "census_population_2020")
    total = cells.total
    legs = access_leg_summary(cells)
    document = {
        "network_source": network_source,
        "population_source": surface.source,
        "population_modelled": bool(surface.modelled),
        "travel_estimated": straight,
        "banners": estimate_banners(surface, straight=straight, period=opts.period)
        + access_leg_banners(legs, opts),
        "period": opts.period,
        "peak_factors": peak_factors(opts.period),
        "population_total": total,
        "population_counted": total,
        "census_population": census,
        "population_note": population_note(cells, census),
        "assumptions": run_assumptions(opts, straight=straight),
        "scenario": scenario_block(fac, current, planned, opts),
        "standards": chosen.results,
        "towns": towns.rows,
        "town_ranking": town_ranking(towns.rows),
        **chosen.measures,
        "cells_left_out": {
            "population_total": float(np.nansum(cells.population_raw)),
            "population_counted": total,
            # cells without a population figure add nothing known; their ids are listed below
            "population_left_out": None if cells.population_missing.any() else 0.0,
            "facilities": facilities_left_out(fac, opts),
            "cells": cells_left_out(cells, fac, towns, chosen, opts),
        },
        "access_legs": legs,
        "standard_ids": [s.id for s in STANDARDS],
    }
    return _jsonable(document)


def cells_frame(
    cells: CellTable, fac: FacilityTable, chosen: Scenario, opts: ResolvedOptions
) -> gpd.GeoDataFrame:
    """EPSG:4326 cell polygons with the headline scenario's minutes, nearest sites and covered flags.

    Parameters
    ----------
    cells, fac
        The run's cells and facilities.
    chosen
        The headline scenario.
    opts
        The run's options.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CELL_COLUMNS` and ``geometry``.
    """
    source = cells.frame
    geometry = source.geometry
    if source.crs is not None and source.crs.to_string() != settings.GEOGRAPHIC_CRS:
        geometry = geometry.to_crs(settings.GEOGRAPHIC_CRS)
    chosen_minutes = chosen.minutes[opts.profile]
    response = chosen.ems_drive + opts.dispatch_minutes
    columns: dict[str, Any] = {
        "cell_id": source["cell_id"],
        "population": source["population"],
        "town_code": source["town_code"],
        **{f"minutes_{tier}": _nan_if_unreached(chosen_minutes[tier]) for tier in TIERS},
        "nearest_facility_id": _take(fac.ids, chosen.travel.nearest_any, None),
        "ems_response_minutes": _nan_if_unreached(response),
        "nearest_ems_id": _take(fac.ids, chosen.travel.nearest_ems, None),
        "covered_15min": chosen_minutes["any"] <= opts.minutes,
        "covered_ems": response <= opts.ems_minutes,
        "e2sfca_beds": chosen.scores.get("beds", np.full(len(source), np.nan)),
    }
    # one frame built from its columns at once (the input cells are not copied, nor changed)
    frame = pd.DataFrame({name: columns[name] for name in CELL_COLUMNS}, index=source.index)
    return gpd.GeoDataFrame(frame, geometry=geometry.copy())
