"""One siting run from county inputs to a JSON-able document: candidates, matrix, model, ranked sites."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis import settings
from analysis.display import modelled_phrase
from analysis.errors import ParameterError
from analysis.siting.aed.gap import aed_gap
from analysis.siting.aed.setup import AedSetup, prepare_aed
from analysis.siting.budget import Budget
from analysis.siting.candidates import candidates_xy, grid_candidates
from analysis.siting.documents import solution_label
from analysis.siting.gains import cell_ranks, cell_ranks_of_points
from analysis.siting.kinds import CANDIDATE_FILTERS, KINDS, MODELS, CandidateFilter, Kind, ModelName
from analysis.siting.model_runs import SitingProblem, run_model
from analysis.siting.models import (
    LocationModel,
)
from analysis.siting.use_cases import SettingLookup, UseCase, existing_sites, library_setting, use_case

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

logger = logging.getLogger(__name__)


def _town_codes(lon: np.ndarray, lat: np.ndarray, towns: gpd.GeoDataFrame) -> list[str | None]:
    import shapely

    out: list[str | None] = [None] * lon.size
    located = towns[towns.geometry.notna()].to_crs(settings.GEOGRAPHIC_CRS)
    for code, geom in zip(located["town_code"], located.geometry, strict=True):
        hit = shapely.contains_xy(geom, lon, lat)
        for i in np.flatnonzero(hit):
            if out[i] is None:
                out[i] = str(code)
    return out


def _gap_percent(model: LocationModel) -> float | None:
    """How far the optimum can be from the solution, % of the optimum; 0 when proven, None when unknown.

    The optimum lies between the solution and the solver's bound, so ``|bound - solution| / |bound|`` is
    an upper limit on the shortfall relative to the optimum for both maximising and minimising models.
    """
    if not model.time_limited:
        return 0.0
    bound, value = model.bound, model.objective
    if not (math.isfinite(bound) and math.isfinite(value)) or abs(bound) < 1e-12:
        return None
    return round(100.0 * abs(bound - value) / abs(bound), 4)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _site_rows(
    table: pd.DataFrame, problem: SitingProblem, *, towns: gpd.GeoDataFrame, with_station_ids: bool
) -> tuple[list[dict[str, Any]], list[str | None]]:
    """The ranked sites of the document (WGS-84, rounded) and each site's town code.

    A public place keeps its name and source; with *with_station_ids* (MEXCLP) an added ambulance at an
    existing station names the station.
    """
    from pyproj import Transformer

    chosen_xy = problem.sites_xy[table["site"].to_numpy(dtype=np.int64)] if len(table) else np.empty((0, 2))
    to_wgs = Transformer.from_crs(problem.crs, settings.GEOGRAPHIC_CRS, always_xy=True)
    lon_t, lat_t = to_wgs.transform(chosen_xy[:, 0], chosen_xy[:, 1])
    lon = np.atleast_1d(np.asarray(lon_t, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat_t, dtype=np.float64))
    codes = _town_codes(lon, lat, towns)
    added = table["added_population"].to_numpy(dtype=np.float64)
    cum_pop = table["cumulative_population"].to_numpy(dtype=np.float64)
    cum_cov = table["cumulative_coverage"].to_numpy(dtype=np.float64)
    sites = [
        {
            "rank": i + 1,
            "lon": round(float(lon[i]), 6),
            "lat": round(float(lat[i]), 6),
            "town_code": codes[i],
            "added_population": round(float(added[i]), 1),
            "cumulative_population": round(float(cum_pop[i]), 1),
            "cumulative_coverage": round(float(cum_cov[i]), 6),
        }
        for i in range(len(table))
    ]
    n_cand = len(problem.cand_xy)
    aed = problem.aed
    if aed is not None and aed.place_rows is not None:
        for site, column in zip(sites, table["site"].to_numpy(dtype=np.int64), strict=True):
            site.update(aed.place_rows[column] if column < n_cand else {})
    if with_station_ids:
        columns = table["site"].to_numpy(dtype=np.int64)
        for site, column in zip(sites, columns, strict=True):
            site["station_id"] = problem.existing_ids[column - n_cand] if column >= n_cand else None
    return sites, codes


def _cost_setup(
    inputs: Inputs,
    travel: TravelModel,
    *,
    case: UseCase,
    candidates: gpd.GeoDataFrame | None,
    candidate_filter: str,
    spacing_m: float | None,
    existing_xy: np.ndarray,
    say: Callable[[str], None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, np.ndarray, str]:
    """Cells, candidates, sites and the dense cell × site cost matrix of the 120 and facility use cases."""
    population = inputs.population
    weights = population.populations
    crs = travel.crs
    cells_xy = population.points_xy(crs)
    if candidates is not None:
        cand_xy = candidates_xy(candidates, inputs.boundary, crs=crs)
        candidate_source = f"{len(cand_xy)} user-supplied candidate sites"
    else:
        spacing = settings.CANDIDATE_SPACING_M if spacing_m is None else spacing_m
        cand_xy = grid_candidates(inputs.boundary, spacing_m=spacing, crs=crs)
        candidate_source = f"grid every {spacing:g} m inside the county outline"
        if candidate_filter == "populated" and len(cand_xy) and len(cells_xy):
            from scipy.spatial import cKDTree

            dist, nearest = cKDTree(cells_xy).query(cand_xy)
            keep = (weights[nearest] > 0) & (dist <= settings.POPULATION_CELL_M)
            cand_xy = cand_xy[keep]
            candidate_source += ", populated cells only"

    sites_xy = np.vstack([cand_xy, existing_xy]) if len(existing_xy) else cand_xy
    say(f"travel times from {len(sites_xy)} sites to {len(cells_xy)} cells ({case.profile})")
    cost = travel.matrix(
        sites_xy,
        cells_xy,
        profile=case.profile,
        direction=case.direction,
        cutoff_minutes=case.threshold_minutes,
    ).T
    n_cand = len(cand_xy)
    existing = np.arange(n_cand, len(sites_xy), dtype=np.int64)
    if candidates is None and candidate_filter == "uncovered" and existing.size:
        covered = (cost[:, existing] <= case.threshold_minutes).any(axis=1)
        from scipy.spatial import cKDTree

        _, nearest = cKDTree(cells_xy).query(cand_xy)
        keep = ~np.asarray(covered, dtype=bool)[nearest]
        columns = np.concatenate([np.flatnonzero(keep), existing])
        cost = cost[:, columns]
        cand_xy = cand_xy[keep]
        sites_xy = sites_xy[columns]
        n_cand = len(cand_xy)
        existing = np.arange(n_cand, n_cand + len(existing_xy), dtype=np.int64)
        candidate_source += ", outside the existing sites' coverage only"
    return cells_xy, cand_xy, sites_xy, cost, n_cand, existing, candidate_source


def recommend_sites(
    inputs: Inputs,
    travel: TravelModel,
    *,
    kind: Kind,
    count: int | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    model: ModelName = "mclp",
    profile: str | None = None,
    threshold_minutes: float | None = None,
    candidate_filter: CandidateFilter = "populated",
    spacing_m: float | None = None,
    aed_walk_radius_m: float | None = None,
    include_planned: bool = False,
    share: float = 1.0,
    time_limit_s: float | None = None,
    include_cells: bool = False,
    progress: Callable[[str], None] | None = None,
    budget: Budget | None = None,
    start_sites: Sequence[tuple[float, float]] | None = None,
    ambulances: Mapping[str, int] | None = None,
    busy_fraction: float | None = None,
    assume_unknown_ambulances: int | None = None,
    setting: SettingLookup = library_setting,
) -> dict[str, Any]:
    """Recommend new sites for 120 stations, health facilities or public AEDs.

    Parameters
    ----------
    inputs
        Facilities, boundary, towns, population and facts.
    travel
        Travel model for the candidate × cell matrix.
    kind
        "ems" (ambulance response incl. dispatch, existing open 120 sites fixed), "facility"
        (15-minute circle, existing open hospitals and township/community centres fixed) or
        "aed" (walking radius; no existing locations in the default data).
    count
        Number of new sites (MCLP, p-median). For "aed" the default is the gap to 1 per
        10,000 people given the reported AED count; required otherwise. Ignored by "lscp".
    candidates
        Candidate sites (Points, WGS-84 when no CRS); a grid over the county when None
        (populated cell centres for "aed").
    model
        "mclp" (maximal covering), "lscp" (fewest sites reaching *share*), "pmedian"
        (population-weighted travel time), "mexclp" (kind "ems": *count* more ambulances placed for
        expected coverage with busy ambulances) or "backup" (kind "ems": new stations valued for first
        and second coverage).
    profile
        Travel profile; the use case's default when None (ambulance, the service-circle
        mode, walk).
    threshold_minutes
        Coverage threshold; the use case's default when None.
    candidate_filter
        For the default grid: "all", "populated" (near a populated cell) or "uncovered"
        (in a cell no existing site covers).
    spacing_m
        Grid spacing; ``settings.CANDIDATE_SPACING_M`` when None.
    aed_walk_radius_m
        AED walking distance; ``settings.AED_WALK_RADIUS_M`` when None.
    include_planned
        Count planned facilities as existing sites.
    share
        Target coverage share for "lscp".
    time_limit_s
        Wall-clock budget of the whole run (candidates, travel times, model build and solve),
        seconds; ``settings.SOLVER_TIME_LIMIT_S`` when None. Ignored when *budget* is given.
    include_cells
        Add ``cell_rank``: per population cell (in ``inputs.population.cells`` order), 0 when an
        existing site covers it, *k* when the rank-*k* new site is the first to cover it, None
        when it stays uncovered (for maps).
    progress
        Called with a short message before each long step.
    budget
        A running :class:`~analysis.siting.budget.Budget` (progress reports, early stop); one of
        *time_limit_s* seconds starting now when None.
    start_sites
        (lon, lat) of the sites of an earlier run of the same request, to continue from (MCLP).
    ambulances
        MEXCLP: ambulances per existing station id, overriding the facilities' ``ambulances`` column.
    busy_fraction
        MEXCLP: share of time an ambulance is busy; ``settings.BUSY_FRACTION`` when None.
    assume_unknown_ambulances
        MEXCLP: count stations whose ambulances are unknown as this many (said in the assumptions);
        when None an unknown count is an error, since every expected value would depend on it.
    setting
        Where targets left ``None`` come from (response and dispatch minutes, the service circle's minutes
        and mode, the AED walk): a county's ``County.setting`` so that its ``county.toml`` targets apply,
        else the library's settings.

    Returns
    -------
    dict
        JSON-able: ``kind``, ``model``, ``sites`` (ranked, each with ``rank``, ``lon``, ``lat``
        (WGS-84), ``town_code``, ``added_population``, ``cumulative_population``,
        ``cumulative_coverage``), ``baseline_coverage``, ``coverage``, ``solver``,
        ``solve_seconds``, ``elapsed_seconds``, ``budget_seconds``, ``optimal``, ``complete`` (the solve
        ran to its end: not stopped by time or on request), ``gap_percent``
        (distance of the best bound from the solution, % of the solution; None when unknown),
        ``solution_label``, ``status``, ``time_limited``, ``threshold_minutes``,
        ``profile``, ``network_source``, ``population_source``, ``assumptions`` and counts.

    Raises
    ------
    ParameterError
        Unknown kind/model/filter, a count below 1 or above the number of candidates, or
        candidates outside the county.
    SolverError
        An infeasible target or no solution within the time limit.
    """
    if budget is None:
        budget = Budget(settings.SOLVER_TIME_LIMIT_S if time_limit_s is None else float(time_limit_s))

    def say(message: str) -> None:
        budget.report("preparing", message)
        if progress is not None:
            progress(message)

    if kind not in KINDS:
        msg = f"unknown kind {kind!r}; use one of {', '.join(KINDS)}"
        raise ParameterError(msg)
    if model not in MODELS:
        msg = f"unknown model {model!r}; use one of {', '.join(MODELS)}"
        raise ParameterError(msg)
    if candidate_filter not in CANDIDATE_FILTERS:
        msg = f"unknown candidate filter {candidate_filter!r}; use one of {', '.join(CANDIDATE_FILTERS)}"
        raise ParameterError(msg)
    case = use_case(
        kind,
        profile=profile,
        threshold_minutes=threshold_minutes,
        aed_walk_radius_m=aed_walk_radius_m,
        setting=setting,
    )
    if not (math.isfinite(case.threshold_minutes) and case.threshold_minutes > 0):
        msg = f"threshold must be a positive number of minutes, got {case.threshold_minutes}"
        raise ParameterError(msg)
    assumptions = list(case.assumptions)
    crs = travel.crs
    population = inputs.population
    weights = population.populations
    total = float(weights.sum())
    if kind == "aed" and model not in ("mclp", "lscp"):
        msg = f"model {model!r} is not offered for AEDs (a walk is a covering question); use mclp or lscp"
        raise ParameterError(msg)
    if kind == "aed" and count is None and model != "lscp":
        gap = aed_gap(total, inputs.facilities, inputs.facts, include_planned=include_planned)
        if gap["gap"] is None:
            msg = (
                "how many public AEDs are in place is unknown (no AED records, no reported count), so the "
                "gap to 1 per 10,000 people is unknown; pass count= (the number of new AEDs)"
            )
            raise ParameterError(msg)
        if gap["gap"] < 1:
            msg = "the known AEDs already meet 1 per 10,000 people; pass count= to site more"
            raise ParameterError(msg)
        count = int(gap["gap"])
        assumptions.append(
            f"AED budget = the gap: {gap['needed']} needed for 1 per {gap['people_per_aed']:,} people minus "
            f"{gap['known']} known ({gap['known_source']})"
        )
    if model != "lscp" and count is None:
        msg = f"count (number of new sites) is required for kind {kind!r}"
        raise ParameterError(msg)
    if model in ("mexclp", "backup") and kind != "ems":
        msg = f"model {model!r} places ambulances or 120 stations; use it with kind 'ems'"
        raise ParameterError(msg)

    say("preparing population cells and candidate sites")
    existing_xy, existing_ids, unlocated = existing_sites(
        inputs.facilities, kind, include_planned=include_planned, crs=crs
    )
    assumptions.append(
        f"{len(existing_ids)} existing {kind} sites kept open"
        + (f"; {unlocated} more without a known location are not counted" if unlocated else "")
    )
    aed: AedSetup | None = None
    cost: np.ndarray | None = None
    if kind == "aed":
        radius_m = setting("AED_WALK_RADIUS_M") if aed_walk_radius_m is None else float(aed_walk_radius_m)
        aed = prepare_aed(
            inputs,
            travel,
            radius_m=radius_m,
            count=None if model == "lscp" else count,
            candidates=candidates,
            existing_xy=existing_xy,
            include_planned=include_planned,
        )
        assumptions += aed.assumptions
        if not existing_ids:
            assumptions.append(
                "where the AEDs in place stand is unknown (none has a location), so the baseline counts no "
                "AED coverage and new sites may duplicate them"
            )
        cells_xy, weights = aed.demand.xy, aed.demand.population
        cand_xy, candidate_source = aed.cand_xy, aed.candidate_source
        sites_xy = np.vstack([cand_xy, existing_xy]) if len(existing_xy) else cand_xy
        n_cand = len(cand_xy)
        existing = np.arange(n_cand, len(sites_xy), dtype=np.int64)
    else:
        cells_xy, cand_xy, sites_xy, cost, n_cand, existing, candidate_source = _cost_setup(
            inputs,
            travel,
            case=case,
            candidates=candidates,
            candidate_filter=candidate_filter,
            spacing_m=spacing_m,
            existing_xy=existing_xy,
            say=say,
        )
    if n_cand == 0:
        msg = "no candidate sites are left; supply candidates or use candidate_filter='all'"
        raise ParameterError(msg)

    say(f"solving {model.upper()} with HiGHS over {n_cand} candidates")
    problem = SitingProblem(
        case=case,
        cells_xy=cells_xy,
        weights=weights,
        cand_xy=cand_xy,
        sites_xy=sites_xy,
        existing=existing,
        existing_ids=existing_ids,
        cost=cost,
        aed=aed,
        crs=crs,
    )
    run = run_model(
        problem,
        travel,
        inputs.facilities,
        model=model,
        count=int(count or 0),
        share=share,
        budget=budget,
        start_sites=start_sites,
        ambulances=ambulances,
        busy_fraction=busy_fraction,
        assume_unknown_ambulances=assume_unknown_ambulances,
    )
    solved, pmedian, extra = run.solved, run.pmedian, run.extra
    assumptions += run.assumptions

    table = solved.marginal_gains()
    sites, towns = _site_rows(table, problem, towns=inputs.towns, with_station_ids=model == "mexclp")
    if aed is None:
        assumptions.append("a population cell counts as covered when its centre is within the threshold")
    if population.modelled:
        assumptions.append(modelled_phrase(population.source))
    if travel.network_source == settings.STRAIGHT_LINE_SOURCE:
        assumptions.append(
            f"travel times are a straight-line estimate (× {settings.CIRCUITY_FACTOR:g} circuity), "
            "not a road network"
        )
    if len(table) > 1:
        assumptions.append(
            "sites are ranked greedily by population added; the first k of them are a good, "
            "not always optimal, "
            "choice for a budget of k"
        )
    optimal = not solved.time_limited
    gap_percent = _gap_percent(pmedian if pmedian is not None else solved)
    label: str | None = None
    if aed is not None and aed.pooled and model == "mclp":
        # optimal among the pool; the sum of the largest single-site gains bounds the whole
        optimal = False
        bound = solved.baseline_population + float(aed.fields["pool_bound_added_population"])
        pool_gap = round(100.0 * max(bound - solved.covered_population, 0.0) / bound, 4) if bound > 0 else 0.0
        gap_percent = None if gap_percent is None else max(gap_percent, pool_gap)
        label = (
            f"候选池内最优 optimal among the {len(aed.cand_xy):,} candidates reaching the most people alone "
            f"(in {budget.elapsed():.1f} s), within {gap_percent:.2f} % of the optimum over all "
            f"{aed.candidate_count:,}"
            if not solved.time_limited and gap_percent is not None
            else None
        )
    doc: dict[str, Any] = {
        "kind": kind,
        "model": model,
        "count": len(sites),
        "sites": sites,
        "baseline_population": round(solved.baseline_population, 1),
        "baseline_coverage": round(solved.baseline_population / total, 6) if total > 0 else 0.0,
        "covered_population": round(solved.covered_population, 1),
        "coverage": round(solved.covered_population / total, 6) if total > 0 else 0.0,
        "total_population": round(total, 1),
        "threshold_minutes": round(case.threshold_minutes, 4),
        "profile": case.profile,
        "direction": case.direction,
        "existing_sites": existing_ids,
        "candidate_count": n_cand,
        "candidate_source": candidate_source,
        "solver": solved.solver,
        "status": solved.status,
        "time_limited": solved.time_limited,
        "solve_seconds": round(solved.solve_seconds, 4),
        "elapsed_seconds": round(budget.elapsed(), 3),
        "budget_seconds": round(budget.seconds, 3),
        "optimal": optimal,
        "complete": not solved.time_limited and not budget.stop.is_set(),
        "gap_percent": gap_percent,
        "solution_label": label
        or solution_label(
            optimal=optimal, seconds=budget.elapsed(), gap_percent=gap_percent, stopped=budget.stop.is_set()
        ),
        "network_source": travel.network_source,
        "population_source": population.source,
        "assumptions": assumptions,
    }
    doc.update(extra)
    if aed is not None:
        doc.update(aed.fields)
        doc["sites_per_town"] = dict(sorted(Counter(str(t) for t in towns).items()))
    if include_cells:
        ranks = cell_ranks(solved)
        doc["cell_rank"] = (
            ranks if aed is None else cell_ranks_of_points(ranks, aed.demand.cell, len(population.cells))
        )
    if pmedian is not None:
        doc["mean_minutes"] = _finite(round(pmedian.mean_cost, 3))
        doc["baseline_mean_minutes"] = _finite(round(pmedian.baseline_mean_cost, 3))
    logger.info(
        "siting %s/%s: %d new sites, coverage %.1f%% → %.1f%%",
        kind,
        model,
        len(sites),
        100 * doc["baseline_coverage"],
        100 * doc["coverage"],
    )
    return doc
