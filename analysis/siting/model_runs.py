"""Building and solving one location model over a prepared siting problem (MCLP, LSCP, p-median, MEXCLP,
backup covering), with the fields and assumptions each model adds to the document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis import settings
from analysis.errors import ParameterError
from analysis.siting.budget import Budget
from analysis.siting.demand import aggregate_demand
from analysis.siting.kinds import ModelName
from analysis.siting.models import BackupCovering, ExpectedCovering, MaximalCovering, PMedian, SetCovering
from analysis.siting.use_cases import UseCase

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.siting.aed.setup import AedSetup
    from analysis.travel import TravelModel


@dataclass(frozen=True)
class SitingProblem:
    """What every model is built from: demand, candidates (then existing sites) and their costs.

    Attributes
    ----------
    case
        The use case (profile, direction, threshold).
    cells_xy, weights
        Demand points in the working CRS and their people.
    cand_xy
        Candidate sites; columns ``0 .. len(cand_xy) - 1``.
    sites_xy
        Candidates, then the existing sites (columns ``existing``).
    existing, existing_ids
        Columns of the existing sites and their facility ids.
    cost
        (demand × site) minutes, or None for walk-scale AED siting (``aed.coverage`` instead).
    aed
        The AED setup when siting AEDs at walk scale.
    crs
        The working CRS.
    """

    case: UseCase
    cells_xy: np.ndarray
    weights: np.ndarray
    cand_xy: np.ndarray
    sites_xy: np.ndarray
    existing: np.ndarray
    existing_ids: list[str]
    cost: np.ndarray | None
    aed: AedSetup | None
    crs: str

    @property
    def total(self) -> float:
        """People in the demand."""
        return float(self.weights.sum())


@dataclass
class ModelRun:
    """A solved model, ready to rank: see :func:`run_model`."""

    solved: MaximalCovering | SetCovering | PMedian | ExpectedCovering | BackupCovering
    pmedian: PMedian | None
    extra: dict[str, Any] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)


def _start_columns(
    start_sites: Sequence[tuple[float, float]] | None, cand_xy: np.ndarray, *, crs: str
) -> np.ndarray | None:
    """Candidate columns at the given (lon, lat) sites (within a metre), or None."""
    if not start_sites or not len(cand_xy):
        return None
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    lonlat = np.asarray(start_sites, dtype=np.float64).reshape(-1, 2)
    to_crs = Transformer.from_crs(settings.GEOGRAPHIC_CRS, crs, always_xy=True)
    x, y = to_crs.transform(lonlat[:, 0], lonlat[:, 1])
    dist, column = cKDTree(cand_xy).query(np.column_stack([x, y]))
    return np.unique(column[np.asarray(dist) <= settings.START_SITE_MATCH_M]).astype(np.int64)


def _stationed_ambulances(
    facilities: gpd.GeoDataFrame,
    station_ids: Sequence[str],
    *,
    given: Mapping[str, int] | None,
    assume_unknown: int | None,
) -> tuple[list[float], list[str]]:
    """Ambulances at each existing station: the planner's numbers, else the data's; unknown refused."""
    import pandas as pd

    given = dict(given or {})
    stray = sorted(set(given) - set(station_ids))
    if stray:
        msg = f"ambulances given for {stray}, which are not open 120 sites; use ids of {list(station_ids)}"
        raise ParameterError(msg)
    table = facilities.set_index(facilities["id"].astype(str))
    counts: list[float] = []
    unknown: list[str] = []
    for sid in station_ids:
        if sid in given:
            counts.append(float(given[sid]))
            continue
        value = table.loc[sid, "ambulances"] if "ambulances" in table.columns else None
        if value is None or pd.isna(value):
            unknown.append(sid)
            counts.append(float("nan") if assume_unknown is None else float(assume_unknown))
        else:
            counts.append(float(value))
    notes = [f"ambulances per station: {sum(1 for s in station_ids if s not in unknown)} known or given"]
    if unknown and assume_unknown is None:
        msg = (
            f"the ambulances at {len(unknown)} of {len(station_ids)} stations are unknown "
            f"({', '.join(unknown)}); "
            "give them (ambulances={station id: count}) or pass assume_unknown_ambulances to count each "
            "as that many (the result then says it assumed them)"
        )
        raise ParameterError(msg)
    if unknown:
        notes.append(
            f"ASSUMED: {len(unknown)} stations with unknown ambulances counted as {assume_unknown} each "
            f"({', '.join(unknown)}); expected coverage depends on this assumption"
        )
    return counts, notes


def _expected_block(model: ExpectedCovering, station_ids: Sequence[str], n_cand: int) -> dict[str, Any]:
    """MEXCLP fields of the document: q, expected coverage before/after and added ambulances per site."""
    before, after = model.expected_share()
    by_station = {
        station_ids[int(j) - n_cand]: int(model.allocation[j])
        for j in np.flatnonzero(model.allocation)
        if j >= n_cand
    }
    return {
        "busy_fraction": model.q,
        "expected_coverage_before": round(before, 6),
        "expected_coverage_after": round(after, 6),
        "ambulances_added": int(model.allocation.sum()),
        "ambulances_added_at_stations": by_station,
        "ambulances_at_new_sites": int(model.allocation[:n_cand].sum()),
        "covered_any_population": round(model.covered_any, 1),
    }


def _dense(cost: np.ndarray | None) -> np.ndarray:
    if cost is None:
        msg = "this model needs the travel-cost matrix, which walk-scale AED siting does not build"
        raise ParameterError(msg)
    return cost


def run_model(
    problem: SitingProblem,
    travel: TravelModel,
    facilities: gpd.GeoDataFrame,
    *,
    model: ModelName,
    count: int,
    share: float,
    budget: Budget,
    start_sites: Sequence[tuple[float, float]] | None,
    ambulances: Mapping[str, int] | None,
    busy_fraction: float | None,
    assume_unknown_ambulances: int | None,
) -> ModelRun:
    """Build *model* over *problem* and solve it with HiGHS within *budget*.

    Parameters
    ----------
    problem
        Demand, candidates, existing sites and the cost or coverage matrix.
    travel
        Travel model (p-median measures its own block × site matrix).
    facilities
        Facilities (MEXCLP reads the stations' ``ambulances``).
    model, count, share
        The model, the number of new sites (ambulances for MEXCLP) and LSCP's target share.
    budget
        Wall-clock budget of the solve.
    start_sites
        (lon, lat) of an earlier run's sites, to continue from (MCLP).
    ambulances, busy_fraction, assume_unknown_ambulances
        MEXCLP's stations, busy fraction and what to count for unknown fleets
        (see :func:`analysis.siting.recommend.recommend_sites`).

    Returns
    -------
    ModelRun
        The solved model used for ranking, the p-median when that was the model, the model's own
        document fields and the assumptions it adds.
    """
    assumptions: list[str] = []
    pmedian: PMedian | None = None
    extra: dict[str, Any] = {}
    solved: MaximalCovering | SetCovering | PMedian | ExpectedCovering | BackupCovering
    if model == "mexclp":
        stationed, notes = _stationed_ambulances(
            facilities, problem.existing_ids, given=ambulances, assume_unknown=assume_unknown_ambulances
        )
        assumptions.extend(notes)
        mexclp = ExpectedCovering.from_cost_matrix(
            _dense(problem.cost),
            problem.weights,
            threshold=problem.case.threshold_minutes,
            k=count,
            existing=problem.existing,
            existing_ambulances=stationed,
            busy_fraction=busy_fraction,
        ).solve(budget=budget)
        solved = mexclp
        extra = _expected_block(mexclp, problem.existing_ids, len(problem.cand_xy))
        assumptions.append(
            f"MEXCLP (Daskin 1983): each ambulance is busy {100 * mexclp.q:g} % of the time, independently "
            "of the others; coverage and the values per site are expected people covered"
            + (" (busy fraction assumed, not measured)" if busy_fraction is None else "")
        )
    elif model == "backup":
        backup = BackupCovering.from_cost_matrix(
            _dense(problem.cost),
            problem.weights,
            threshold=problem.case.threshold_minutes,
            p=count,
            existing=problem.existing,
        ).solve(budget=budget)
        solved = backup
        extra = {
            "primary_weight": backup.primary_weight,
            "baseline_backup_population": round(backup.baseline_backup, 1),
            "backup_population": round(backup.backup_population, 1),
            "backup_coverage": round(backup.backup_population / problem.total, 6)
            if problem.total > 0
            else 0.0,
        }
        assumptions.append(
            f"backup covering (Hogan and ReVelle 1986): first coverage weighted {backup.primary_weight:g}, "
            f"coverage by a second station {1 - backup.primary_weight:g}; sites are ranked by first coverage"
        )
    elif model == "mclp":
        if problem.aed is not None:
            solved = MaximalCovering.from_coverage_matrix(
                problem.aed.coverage.matrix,
                problem.weights,
                threshold=problem.aed.coverage.radius_m,
                p=count,
                existing=problem.existing,
            )
        else:
            solved = MaximalCovering.from_cost_matrix(
                _dense(problem.cost),
                problem.weights,
                threshold=problem.case.threshold_minutes,
                p=count,
                existing=problem.existing,
            )
        start = _start_columns(start_sites, problem.cand_xy, crs=problem.crs)
        solved.solve(budget=budget, start_sites=start)
    elif model == "lscp":
        if problem.aed is not None:
            solved = SetCovering.from_coverage_matrix(
                problem.aed.coverage.matrix,
                problem.weights,
                threshold=problem.aed.coverage.radius_m,
                share=share,
                existing=problem.existing,
            )
        else:
            solved = SetCovering.from_cost_matrix(
                _dense(problem.cost),
                problem.weights,
                threshold=problem.case.threshold_minutes,
                share=share,
                existing=problem.existing,
            )
        solved.solve(budget=budget)
    else:
        cutoff = problem.case.threshold_minutes * settings.PMEDIAN_CUTOFF_FACTOR
        block_m = settings.PMEDIAN_DEMAND_BLOCK_M
        blocks_xy, block_population = aggregate_demand(problem.cells_xy, problem.weights, block_m=block_m)
        block_cost = travel.matrix(
            problem.sites_xy,
            blocks_xy,
            profile=problem.case.profile,
            direction=problem.case.direction,
            cutoff_minutes=cutoff,
        ).T
        pmedian = PMedian.from_cost_matrix(
            block_cost,
            block_population,
            threshold=problem.case.threshold_minutes,
            p=count,
            existing=problem.existing,
            unserved_cost=cutoff,
        ).solve(budget=budget)
        # rank and report coverage on the full cells, as for the covering models
        solved = MaximalCovering.from_cost_matrix(
            _dense(problem.cost),
            problem.weights,
            threshold=problem.case.threshold_minutes,
            p=pmedian.p,
            existing=problem.existing,
        )
        solved._rank(pmedian.selected)
        solved._finish_from(pmedian)
        assumptions.append(
            f"p-median: travel beyond {cutoff:g} min counts as {cutoff:g} min "
            f"({settings.PMEDIAN_CUTOFF_FACTOR:g} × the threshold); population cells are merged into "
            f"{block_m:g} m blocks (population-weighted centres) for the optimisation"
        )
    return ModelRun(solved=solved, pmedian=pmedian, extra=extra, assumptions=assumptions)
