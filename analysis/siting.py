"""Where new sites buy the most coverage: location models with the existing sites kept fixed.

Three models, each built either from numbers (:meth:`from_cost_matrix`, a demand × site matrix of
travel times) or from GeoDataFrames (:meth:`from_geodataframe`), and solved as a mixed-integer
programme with HiGHS (through ``highspy``):

- :class:`MaximalCovering` (MCLP): ``p`` new sites that add the most population within the
  threshold;
- :class:`SetCovering` (LSCP): the fewest new sites that bring coverage to a target share of the
  population (a share below 1 is the partial-covering variant);
- :class:`PMedian`: ``p`` new sites that minimise population-weighted travel time.

Existing sites are forced open and never counted in ``p``. After solving, the chosen sites are
ranked greedily by the population each adds over the existing sites, so ``added_population`` never
rises down the table and a planner can stop at any budget.

:func:`recommend_sites` wraps the three use cases of the county plan (120 stations, health
facilities, public AEDs) with their own thresholds, profiles and existing sites, and returns a
JSON-able document.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import settings
from analysis.errors import CRSError, DataError, ParameterError, SolverError

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.datasets import Inputs
    from analysis.travel import TravelModel

logger = logging.getLogger(__name__)

SOLVER_NAME = "HiGHS (highspy)"

Kind = Literal["ems", "facility", "aed"]
ModelName = Literal["mclp", "lscp", "pmedian"]
CandidateFilter = Literal["all", "populated", "uncovered"]


class SiteKind(StrEnum):
    """What is being sited."""

    ems = "ems"
    facility = "facility"
    aed = "aed"


class SiteModel(StrEnum):
    """Location model."""

    mclp = "mclp"
    lscp = "lscp"
    pmedian = "pmedian"


#: Values of :class:`SiteKind` and :class:`SiteModel`, for messages and schemas.
KINDS: tuple[str, ...] = tuple(kind.value for kind in SiteKind)
MODELS: tuple[str, ...] = tuple(model.value for model in SiteModel)
CANDIDATE_FILTERS: tuple[str, ...] = ("all", "populated", "uncovered")

#: Facility kinds that count as an existing site of each use case.
EXISTING_KINDS: dict[str, tuple[str, ...]] = {
    "ems": ("ems_centre", "ems_subcentre", "ems_station"),
    "facility": ("hospital", "township_centre", "community_centre"),
    "aed": ("aed",),
}

# A solution value above this counts as "site open" (binaries come back as 0.9999999...).
_OPEN_TOLERANCE = 0.5


# --- the MILP engine --------------------------------------------------------------------------


@dataclass(frozen=True)
class _MilpResult:
    x: np.ndarray
    objective: float
    gap: float
    status: str
    time_limited: bool
    seconds: float


@contextmanager
def _quiet_banner() -> Iterator[None]:
    """Silence C-level stdout while HiGHS prints its start-up banner, so JSON on stdout stays clean."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        yield
        return
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve_milp(
    *,
    objective: np.ndarray,
    matrix: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    maximize: bool,
    time_limit_s: float | None,
    start: np.ndarray | None = None,
    what: str,
) -> _MilpResult:
    """Solve ``opt objective·x  s.t. row_lower <= A x <= row_upper, bounds, integrality`` with HiGHS."""
    import highspy

    inf = highspy.kHighsInf
    matrix = sp.csc_matrix(matrix)
    n_row, n_col = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(objective, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(np.float64)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
    ]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize

    with _quiet_banner():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    limit = settings.SOLVER_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if limit <= 0:
        msg = f"time_limit_s must be positive, got {limit}; pass e.g. time_limit_s=60"
        raise ParameterError(msg)
    h.setOptionValue("time_limit", float(limit))
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=np.float64).tolist()
        solution.value_valid = True
        h.setSolution(solution)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began

    status = h.getModelStatus()
    info = h.getInfo()
    status_text = h.modelStatusToString(status)
    has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        msg = (
            f"the {what} model is infeasible (HiGHS: {status_text}); relax the target or add candidate sites"
        )
        raise SolverError(msg)
    time_limited = status == highspy.HighsModelStatus.kTimeLimit
    if status != highspy.HighsModelStatus.kOptimal and not (time_limited and has_solution):
        msg = (
            f"HiGHS stopped without a usable solution of the {what} model ({status_text}) after "
            f"{seconds:.1f} s; raise time_limit_s or use fewer candidate sites"
        )
        raise SolverError(msg)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    objective_value = float(info.objective_function_value)
    gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else float("inf")
    if abs(objective_value) < 1e-9 and status == highspy.HighsModelStatus.kOptimal:
        gap = 0.0  # HiGHS reports an infinite relative gap at a zero optimum
    if time_limited:
        logger.warning("%s model hit the %.0f s time limit; MIP gap %.4g", what, limit, gap)
    return _MilpResult(
        x=x,
        objective=objective_value,
        gap=gap,
        status=status_text,
        time_limited=time_limited,
        seconds=seconds,
    )


# --- shared pieces ----------------------------------------------------------------------------


def coverage_matrix(cost: np.ndarray, threshold: float) -> sp.csc_matrix:
    """Sparse boolean demand × site matrix of the pairs within *threshold*.

    Parameters
    ----------
    cost
        Demand × site travel costs (``inf`` where unreachable).
    threshold
        Largest cost that counts as covered, in the units of *cost*.

    Returns
    -------
    scipy.sparse.csc_matrix
        ``True`` where ``cost <= threshold``; only those pairs are stored.
    """
    rows, cols = np.nonzero(np.asarray(cost) <= threshold)
    data = np.ones(rows.size, dtype=bool)
    return sp.csc_matrix((data, (rows, cols)), shape=np.shape(cost))


def greedy_maximal_covering(
    coverage: sp.spmatrix,
    weights: np.ndarray,
    *,
    p: int,
    candidates: np.ndarray | None = None,
    covered: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Pick *p* sites one at a time, each adding the most still-uncovered weight.

    Parameters
    ----------
    coverage
        Sparse boolean demand × site matrix.
    weights
        Population of each demand point.
    p
        Number of sites to pick.
    candidates
        Column indices allowed; all columns when None.
    covered
        Boolean mask of demand already covered (by existing sites); none when None.

    Returns
    -------
    (sites, gains)
        Column indices in the order picked and the population each added. For covering, gains
        never rise (coverage is submodular).
    """
    a = sp.csc_matrix(coverage, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    remaining = weights.copy()
    if covered is not None:
        remaining[np.asarray(covered, dtype=bool)] = 0.0
    allowed = np.arange(a.shape[1]) if candidates is None else np.asarray(candidates, dtype=np.int64)
    open_mask = np.zeros(allowed.size, dtype=bool)
    sub = a[:, allowed]
    sites: list[int] = []
    gains: list[float] = []
    for _ in range(min(p, allowed.size)):
        gain = np.asarray(sub.T @ remaining).ravel()
        gain[open_mask] = -1.0
        best = int(np.argmax(gain))  # first index on ties, so the order is reproducible
        open_mask[best] = True
        sites.append(int(allowed[best]))
        gains.append(float(max(gain[best], 0.0)))
        reached = sub[:, best].nonzero()[0]
        remaining[reached] = 0.0
    return np.asarray(sites, dtype=np.int64), np.asarray(gains, dtype=np.float64)


def _greedy_pmedian(cost: np.ndarray, weights: np.ndarray, base: np.ndarray, *, p: int) -> np.ndarray:
    """Positions of *p* candidate columns of *cost*, each cutting weighted cost the most."""
    finite = np.isfinite(cost)
    # people no site reaches yet count at more than any finite cost, so any reaching site saves
    unreached = 2.0 * float(cost[finite].max()) + 1.0 if finite.any() else 1.0
    current = np.where(np.isfinite(base), base, unreached)
    chosen: list[int] = []
    for _ in range(min(p, cost.shape[1])):
        saving = (weights[:, None] * np.maximum(current[:, None] - cost, 0.0)).sum(axis=0)
        saving[chosen] = -1.0
        best = int(np.argmax(saving))
        chosen.append(best)
        current = np.minimum(current, cost[:, best])
    return np.asarray(chosen, dtype=np.int64)


def _linked_rows(
    cov: sp.csr_matrix, last_row: np.ndarray, *, lower: float, upper: float
) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """Rows ``y_i - sum_{j in N_i} x_j <= 0`` for each demand row of *cov*, then one bounded row.

    Columns are the candidate sites ``x`` then one ``y`` per row of *cov*; the last row is
    ``lower <= last_row · (x, y) <= upper``. Returns the matrix and the row bounds.
    """
    n_y = cov.shape[0]
    matrix = sp.vstack(
        [sp.hstack([-cov, sp.identity(n_y, format="csr")]), sp.csr_matrix(last_row[None, :])], format="csc"
    )
    row_lower = np.concatenate([np.full(n_y, -np.inf), [lower]])
    row_upper = np.concatenate([np.zeros(n_y), [upper]])
    return matrix, row_lower, row_upper


def _as_index_array(existing: Sequence[int] | np.ndarray | None, n_sites: int) -> np.ndarray:
    if existing is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(existing)
    if arr.dtype == bool:
        if arr.size != n_sites:
            msg = f"existing mask has {arr.size} entries but the cost matrix has {n_sites} site columns"
            raise ParameterError(msg)
        return np.flatnonzero(arr).astype(np.int64)
    arr = arr.astype(np.int64).ravel()
    if arr.size and (arr.min() < 0 or arr.max() >= n_sites):
        msg = f"existing site indices must lie in 0..{n_sites - 1}; got {arr.tolist()}"
        raise ParameterError(msg)
    return np.unique(arr)


class _LocationModel:
    """Shared state and results of the three models (not used directly)."""

    name: ClassVar[str] = "location"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        existing: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        cost = np.asarray(cost, dtype=np.float64)
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if cost.ndim != 2:
            msg = f"cost must be a 2-D demand × site matrix, got shape {cost.shape}"
            raise ParameterError(msg)
        if weights.size != cost.shape[0]:
            msg = f"weights has {weights.size} entries but the cost matrix has {cost.shape[0]} demand rows"
            raise ParameterError(msg)
        if np.any(~np.isfinite(weights)) or np.any(weights < 0):
            msg = "weights (population) must be finite and non-negative; fix the population column"
            raise ParameterError(msg)
        if np.any(np.isnan(cost)) or np.any(cost < 0):
            msg = "cost matrix has negative or NaN travel costs; use inf for unreachable pairs"
            raise ParameterError(msg)
        if not (math.isfinite(threshold) and threshold >= 0):
            msg = f"threshold must be a finite non-negative number, got {threshold}"
            raise ParameterError(msg)
        self.cost = cost
        self.weights = weights
        self.threshold = float(threshold)
        self.n_demand, self.n_sites = cost.shape
        self.existing = _as_index_array(existing, self.n_sites)
        is_existing = np.zeros(self.n_sites, dtype=bool)
        is_existing[self.existing] = True
        #: Column indices of the sites that may be opened.
        self.candidates = np.flatnonzero(~is_existing).astype(np.int64)
        #: Sparse coverage: only pairs within the threshold are stored.
        self.coverage = coverage_matrix(cost, self.threshold)
        self.total_population = float(weights.sum())
        base = np.asarray(self.coverage[:, self.existing].sum(axis=1)).ravel() > 0
        #: Demand already covered by the existing sites.
        self.baseline_covered = base
        self.baseline_population = float(weights[base].sum())
        # results, filled by solve()
        self.selected = np.zeros(0, dtype=np.int64)
        self.added_population = np.zeros(0, dtype=np.float64)
        self.objective = float("nan")
        self.gap = float("nan")
        self.status = "not solved"
        self.time_limited = False
        self.solve_seconds = 0.0
        self.solver = SOLVER_NAME

    def _check_p(self, p: int) -> int:
        if isinstance(p, bool) or int(p) != p or p < 1:
            msg = f"the number of new sites must be a whole number of at least 1, got {p!r}"
            raise ParameterError(msg)
        if p > self.candidates.size:
            msg = (
                f"asked for {p} new sites but only {self.candidates.size} candidate sites exist; "
                "lower the count or supply more candidates"
            )
            raise ParameterError(msg)
        return int(p)

    def _rank(self, chosen: np.ndarray) -> None:
        """Order *chosen* by greedy marginal population added over the existing sites."""
        order, gains = greedy_maximal_covering(
            self.coverage, self.weights, p=chosen.size, candidates=chosen, covered=self.baseline_covered
        )
        self.selected = order
        self.added_population = gains

    def _candidate_coverage(self) -> tuple[sp.csc_matrix, np.ndarray]:
        """Demand × candidate coverage, and which demand points some candidate covers."""
        sub = self.coverage[:, self.candidates]
        return sub, np.asarray(sub.sum(axis=1)).ravel() > 0

    def _solve_sites(
        self,
        *,
        objective: np.ndarray,
        matrix: sp.csc_matrix,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        maximize: bool,
        time_limit_s: float | None,
        start: np.ndarray | None = None,
        what: str,
    ) -> _MilpResult:
        """Solve a model whose columns are the candidates' binaries then continuous ones, all in [0, 1].

        Ranks the candidates the solution opens and records the solver's status, gap and time.
        """
        n_x, n_col = self.candidates.size, objective.size
        result = _solve_milp(
            objective=objective,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_col),
            col_upper=np.ones(n_col),
            integer=np.arange(n_col) < n_x,
            maximize=maximize,
            time_limit_s=time_limit_s,
            start=start,
            what=what,
        )
        self._rank(self.candidates[result.x[:n_x] > _OPEN_TOLERANCE])
        self.gap = result.gap
        self.status = result.status
        self.time_limited = result.time_limited
        self.solve_seconds = result.seconds
        return result

    def _finish_from(self, other: _LocationModel) -> None:
        self.gap = other.gap
        self.status = other.status
        self.time_limited = other.time_limited
        self.solve_seconds = other.solve_seconds

    @property
    def open_sites(self) -> np.ndarray:
        """Column indices of every open site: existing first, then new sites by rank."""
        return np.concatenate([self.existing, self.selected])

    @property
    def covered_population(self) -> float:
        """Population within the threshold of an open site after solving."""
        return self.baseline_population + float(self.added_population.sum())

    def marginal_gains(self) -> pd.DataFrame:
        """The ranked table of new sites.

        Returns
        -------
        pandas.DataFrame
            One row per new site in rank order: ``rank`` (1 = largest gain), ``site`` (column
            index in the cost matrix), ``added_population``, ``cumulative_population`` (baseline
            included) and ``cumulative_coverage`` (share of the total population).
        """
        cumulative = self.baseline_population + np.cumsum(self.added_population)
        total = self.total_population
        return pd.DataFrame(
            {
                "rank": np.arange(1, self.selected.size + 1),
                "site": self.selected,
                "added_population": self.added_population,
                "cumulative_population": cumulative,
                "cumulative_coverage": cumulative / total if total > 0 else np.zeros_like(cumulative),
            }
        )

    @classmethod
    def from_cost_matrix(
        cls,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        existing: Sequence[int] | np.ndarray | None = None,
        **options: Any,
    ) -> Self:
        """Build the model from a demand × site cost matrix.

        Parameters
        ----------
        cost
            Travel cost from each site to each demand point, shape (n_demand, n_sites); ``inf``
            where unreachable. Existing and candidate sites share the columns.
        weights
            Population of each demand point.
        threshold
            Largest cost that counts as covered (same units as *cost*); for p-median only used
            to report coverage and rank the chosen sites.
        existing
            Column indices (or a boolean mask) of existing sites, forced open; none when None.
        **options
            Model options: ``p`` (MCLP, p-median), ``share`` (LSCP), ``unserved_cost`` (p-median).

        Returns
        -------
        MaximalCovering | SetCovering | PMedian

        Raises
        ------
        ParameterError
            If shapes disagree, ``p`` < 1 or exceeds the number of candidate columns, or *share*
            is outside (0, 1].
        """
        return cls(cost, weights, threshold=threshold, existing=existing, **options)

    @classmethod
    def from_geodataframe(
        cls,
        gdf_demand: gpd.GeoDataFrame,
        gdf_candidates: gpd.GeoDataFrame,
        *,
        threshold: float,
        weights_col: str = "population",
        gdf_existing: gpd.GeoDataFrame | None = None,
        travel: TravelModel | None = None,
        profile: str | None = None,
        direction: Literal["from_sources", "to_sources"] = "from_sources",
        cutoff_minutes: float | None = None,
        **options: Any,
    ) -> Self:
        """Build the model from demand and site GeoDataFrames in one projected CRS.

        Checks the CRS (present, projected, equal) and geometry types, computes the cost matrix,
        then calls :meth:`from_cost_matrix`.

        Parameters
        ----------
        gdf_demand
            Demand points or polygons (centroids are used) with a population column.
        gdf_candidates
            Candidate sites (Points).
        threshold
            Minutes when *travel* is given, else straight-line metres.
        weights_col
            Population column of *gdf_demand*.
        gdf_existing
            Existing sites (Points), forced open; their columns follow the candidates'.
        travel
            Travel model for the cost matrix; straight-line metres when None.
        profile, direction
            Passed to ``travel.matrix``.
        cutoff_minutes
            Cut-off of ``travel.matrix``; *threshold* for the covering models when None, no
            cut-off for p-median.
        **options
            Model options: ``p`` (MCLP, p-median), ``share`` (LSCP), ``unserved_cost`` (p-median).

        Returns
        -------
        MaximalCovering | SetCovering | PMedian

        Raises
        ------
        CRSError
            If a frame has no CRS, a geographic CRS, or a CRS different from *gdf_demand*.
        DataError
            If geometries are missing or of the wrong type, or the population column is missing.
        """
        if cutoff_minutes is None and cls.name != "pmedian":
            cutoff_minutes = threshold
        frames = {"demand": gdf_demand, "candidates": gdf_candidates}
        if gdf_existing is not None:
            frames["existing"] = gdf_existing
        crs = gdf_demand.crs
        for label, gdf in frames.items():
            if gdf.crs is None:
                msg = (
                    f"gdf_{label} has no CRS; set one with gdf.set_crs(...) and project it (e.g. EPSG:32650)"
                )
                raise CRSError(msg)
            if not gdf.crs.is_projected:
                msg = (
                    f"gdf_{label} is in a geographic CRS ({gdf.crs.to_string()}); distances need a projected "
                    f"CRS: use gdf.to_crs('{settings.WORKING_CRS}')"
                )
                raise CRSError(msg)
            if gdf.crs != crs:
                msg = f"gdf_{label} is in {gdf.crs.to_string()}, gdf_demand in {crs.to_string()}; use one CRS"
                raise CRSError(msg)
            if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
                msg = f"gdf_{label} has rows without geometry; drop them first"
                raise DataError(msg)
        for label in ("candidates", "existing"):
            if label in frames and not (frames[label].geom_type == "Point").all():
                msg = f"gdf_{label} must hold Point geometries (site locations)"
                raise DataError(msg)
        if not gdf_demand.geom_type.isin(["Point", "Polygon", "MultiPolygon"]).all():
            msg = "gdf_demand must hold Points or Polygons (polygons are represented by their centroids)"
            raise DataError(msg)
        if weights_col not in gdf_demand.columns:
            msg = f"gdf_demand has no column {weights_col!r}; pass weights_col= the population column"
            raise DataError(msg)
        demand_points = gdf_demand.geometry.centroid
        demand_xy = np.column_stack([demand_points.x.to_numpy(), demand_points.y.to_numpy()])
        site_frames = [gdf_candidates] if gdf_existing is None else [gdf_candidates, gdf_existing]
        sites_xy = np.vstack(
            [np.column_stack([g.geometry.x.to_numpy(), g.geometry.y.to_numpy()]) for g in site_frames]
        )
        if travel is None:
            diff = demand_xy[:, None, :] - sites_xy[None, :, :]
            cost = np.hypot(diff[..., 0], diff[..., 1])
        else:
            if profile is None:
                msg = "profile is required when a travel model is given (e.g. profile='ambulance')"
                raise ParameterError(msg)
            cost = travel.matrix(
                sites_xy, demand_xy, profile=profile, direction=direction, cutoff_minutes=cutoff_minutes
            ).T
        n_cand = len(gdf_candidates)
        existing = np.arange(n_cand, sites_xy.shape[0], dtype=np.int64)
        weights = gdf_demand[weights_col].to_numpy(dtype=np.float64)
        return cls(
            np.asarray(cost, dtype=np.float64), weights, threshold=threshold, existing=existing, **options
        )


# --- maximal covering -------------------------------------------------------------------------


class MaximalCovering(_LocationModel):
    """Maximal covering location problem (MCLP) with existing sites fixed.

    Choose exactly ``p`` new sites among the candidate columns to maximise the population within
    ``threshold`` of an open site; existing sites are open and not counted in ``p``.

    Formulation, over demand *i* not already covered and reachable by some candidate::

        max  sum_i w_i y_i
        s.t. y_i <= sum_{j in N_i} x_j,   sum_j x_j = p,   x_j in {0, 1},   0 <= y_i <= 1

    Parameters
    ----------
    cost, weights, threshold, existing
        As in :meth:`from_cost_matrix`.
    p
        Number of new sites to open.
    """

    name: ClassVar[str] = "mclp"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        p: int,
        existing: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing)
        self.p = self._check_p(p)

    def solve(self, *, time_limit_s: float | None = None) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population added.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None. A time-limited run
            keeps its best solution and reports ``time_limited`` and the MIP ``gap``.

        Returns
        -------
        MaximalCovering
            This model, with ``selected``, ``added_population``, ``gap`` and timings set.

        Raises
        ------
        SolverError
            If HiGHS finds no feasible solution in time.
        """
        cand = self.candidates
        sub, reachable = self._candidate_coverage()  # demand × candidate
        active = np.flatnonzero(reachable & ~self.baseline_covered & (self.weights > 0))
        n_x, n_y = cand.size, active.size
        # rows 0..n_y-1: y_i - sum x_j <= 0 ; row n_y: sum x_j = p
        cov = sp.csr_matrix(sub[active, :], dtype=np.float64)
        a, row_lower, row_upper = _linked_rows(
            cov, np.concatenate([np.ones(n_x), np.zeros(n_y)]), lower=self.p, upper=self.p
        )
        objective = np.concatenate([np.zeros(n_x), self.weights[active]])
        # greedy warm start: a good incumbent helps when the time limit bites
        greedy_sites, _ = greedy_maximal_covering(
            self.coverage, self.weights, p=self.p, candidates=cand, covered=self.baseline_covered
        )
        x0 = np.isin(cand, greedy_sites).astype(np.float64)
        y0 = np.minimum(np.asarray(cov @ x0).ravel(), 1.0)
        result = self._solve_sites(
            objective=objective,
            matrix=a,
            row_lower=row_lower,
            row_upper=row_upper,
            maximize=True,
            time_limit_s=time_limit_s,
            start=np.concatenate([x0, y0]),
            what="maximal covering",
        )
        self.objective = self.baseline_population + result.objective
        logger.info(
            "MCLP: %d new sites from %d candidates over %d demand points, %.0f people covered "
            "(%.0f before), gap %.3g, %.2f s",
            self.p,
            n_x,
            self.n_demand,
            self.covered_population,
            self.baseline_population,
            self.gap,
            self.solve_seconds,
        )
        return self


# --- set covering -----------------------------------------------------------------------------


class SetCovering(_LocationModel):
    """Location set covering problem (LSCP) with existing sites fixed, optionally partial.

    Open the fewest new sites so that at least ``share`` of the total population is within
    ``threshold`` of an open site. With ``share = 1`` every populated demand point must be
    covered::

        min  sum_j x_j   s.t.  sum_{j in N_i} x_j >= 1  for each uncovered i with w_i > 0

    With ``share < 1`` (partial covering)::

        min  sum_j x_j   s.t.  y_i <= sum_{j in N_i} x_j,   sum_i w_i y_i >= share * W - baseline

    Parameters
    ----------
    cost, weights, threshold, existing
        As in :meth:`from_cost_matrix`.
    share
        Target share of the total population to cover, in (0, 1].
    """

    name: ClassVar[str] = "lscp"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        share: float = 1.0,
        existing: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing)
        if not (0.0 < share <= 1.0):
            msg = f"share must be in (0, 1], got {share}; e.g. 1.0 for full or 0.95 for 95% coverage"
            raise ParameterError(msg)
        self.share = float(share)
        self.p = 0

    def solve(self, *, time_limit_s: float | None = None) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population added.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.

        Returns
        -------
        SetCovering
            This model; ``selected`` holds the new sites in rank order and ``p`` their number.

        Raises
        ------
        SolverError
            If the target share cannot be reached even with every candidate open (the message
            gives the population out of reach), or HiGHS finds no solution in time.
        """
        cand = self.candidates
        sub, reachable = self._candidate_coverage()
        open_demand = ~self.baseline_covered & (self.weights > 0)
        unreachable = open_demand & ~reachable
        out_of_reach = float(self.weights[unreachable].sum())
        target = self.share * self.total_population
        best_possible = self.baseline_population + float(self.weights[open_demand & reachable].sum())
        full = self.share >= 1.0
        if (full and out_of_reach > 0) or best_possible < target * (1 - 1e-12):
            best_share = best_possible / max(self.total_population, 1e-12)
            msg = (
                f"cannot cover {self.share:.1%} of {self.total_population:,.0f} people within "
                f"{self.threshold:g}: {out_of_reach:,.0f} people at {int(unreachable.sum())} demand points "
                "are beyond the threshold of every candidate and existing site "
                f"(best possible {best_share:.3%}); "
                "add candidate sites near them or lower the target share"
            )
            raise SolverError(msg)
        need = target - self.baseline_population
        if need <= 0:
            self._rank(np.zeros(0, dtype=np.int64))
            self.p, self.objective, self.gap, self.status = 0, 0.0, 0.0, "Optimal"
            logger.info("LSCP: existing sites already cover %.1f%%; no new site needed", 100 * self.share)
            return self

        n_x = cand.size
        if full:
            active = np.flatnonzero(open_demand)
            a = sp.csc_matrix(sub[active, :], dtype=np.float64)
            row_lower = np.ones(active.size)
            row_upper = np.full(active.size, np.inf)
            objective = np.ones(n_x)
        else:
            active = np.flatnonzero(open_demand & reachable)
            n_y = active.size
            cov = sp.csr_matrix(sub[active, :], dtype=np.float64)
            # a hair of slack so that rounding in the weights never makes an exact target infeasible
            a, row_lower, row_upper = _linked_rows(
                cov,
                np.concatenate([np.zeros(n_x), self.weights[active]]),
                lower=need * (1 - 1e-9),
                upper=np.inf,
            )
            objective = np.concatenate([np.ones(n_x), np.zeros(n_y)])
        result = self._solve_sites(
            objective=objective,
            matrix=a,
            row_lower=row_lower,
            row_upper=row_upper,
            maximize=False,
            time_limit_s=time_limit_s,
            what="set covering",
        )
        self.p = int(self.selected.size)
        self.objective = result.objective
        logger.info(
            "LSCP: %d new sites reach %.1f%% coverage (target %.1f%%), gap %.3g, %.2f s",
            self.p,
            100 * self.covered_population / max(self.total_population, 1e-12),
            100 * self.share,
            self.gap,
            self.solve_seconds,
        )
        return self


# --- p-median ---------------------------------------------------------------------------------


class PMedian(_LocationModel):
    """p-median with existing sites fixed: minimise population-weighted travel cost.

    Each demand point is served by its cheapest open site. Only candidates cheaper than the
    best existing site are modelled for each demand point, which keeps the model small::

        min  sum_i w_i (b_i u_i + sum_j c_ij z_ij)
        s.t. u_i + sum_j z_ij = 1,   z_ij <= x_j,   sum_j x_j = p

    where ``b_i`` is the cost to the nearest existing site (or ``unserved_cost``).
    ``threshold`` is used only to report coverage and rank the chosen sites.

    Parameters
    ----------
    cost, weights, threshold, existing
        As in :meth:`from_cost_matrix`.
    p
        Number of new sites to open.
    unserved_cost
        Cost charged to a demand point that no open site reaches (e.g. the cut-off of the
        travel matrix). When None, every populated demand point must be reachable.
    """

    name: ClassVar[str] = "pmedian"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        p: int,
        existing: Sequence[int] | np.ndarray | None = None,
        unserved_cost: float | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing)
        self.p = self._check_p(p)
        if unserved_cost is not None and not (math.isfinite(unserved_cost) and unserved_cost >= 0):
            msg = f"unserved_cost must be a finite non-negative number, got {unserved_cost}"
            raise ParameterError(msg)
        self.unserved_cost = unserved_cost
        #: Population-weighted mean cost after solving (same units as the cost matrix).
        self.mean_cost = float("nan")
        #: Population-weighted mean cost with the existing sites only.
        self.baseline_mean_cost = float("nan")

    def solve(self, *, time_limit_s: float | None = None) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population covered.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.

        Returns
        -------
        PMedian
            This model; ``objective`` is the total weighted cost, ``mean_cost`` its mean.

        Raises
        ------
        SolverError
            If some population can reach no site and ``unserved_cost`` is None.
        """
        cand = self.candidates
        n_x = cand.size
        w = self.weights
        if self.existing.size:
            base = self.cost[:, self.existing].min(axis=1)
        else:
            base = np.full(self.n_demand, np.inf)
        if self.unserved_cost is not None:
            base = np.minimum(base, self.unserved_cost)
        cand_cost = self.cost[:, cand]
        better = cand_cost < base[:, None]
        populated = w > 0
        stuck = populated & ~np.isfinite(base) & ~better.any(axis=1)
        if stuck.any():
            msg = (
                f"{w[stuck].sum():,.0f} people at {int(stuck.sum())} demand points cannot reach any site; "
                "pass unserved_cost= (e.g. the matrix cut-off) or add candidate sites near them"
            )
            raise SolverError(msg)
        demand_idx, cand_pos = np.nonzero(better & populated[:, None])
        n_z = demand_idx.size
        has_base = populated & np.isfinite(base)
        u_demand = np.flatnonzero(has_base)
        n_u = u_demand.size
        rows_assign = np.flatnonzero(populated)
        row_of = np.full(self.n_demand, -1, dtype=np.int64)
        row_of[rows_assign] = np.arange(rows_assign.size)
        n_assign = rows_assign.size
        # columns: x (n_x) | z (n_z) | u (n_u)
        # rows: assignment (n_assign) | z - x <= 0 (n_z) | sum x = p (1)
        z_cols = n_x + np.arange(n_z)
        u_cols = n_x + n_z + np.arange(n_u)
        r = [row_of[demand_idx], row_of[u_demand], n_assign + np.arange(n_z), n_assign + np.arange(n_z)]
        c = [z_cols, u_cols, z_cols, cand_pos]
        v = [np.ones(n_z), np.ones(n_u), np.ones(n_z), -np.ones(n_z)]
        r.append(np.full(n_x, n_assign + n_z))
        c.append(np.arange(n_x))
        v.append(np.ones(n_x))
        n_rows = n_assign + n_z + 1
        a = sp.csc_matrix(
            (np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(n_rows, n_x + n_z + n_u)
        )
        row_lower = np.concatenate([np.ones(n_assign), np.full(n_z, -np.inf), [self.p]])
        row_upper = np.concatenate([np.ones(n_assign), np.zeros(n_z), [self.p]])
        objective = np.concatenate(
            [np.zeros(n_x), w[demand_idx] * cand_cost[demand_idx, cand_pos], w[u_demand] * base[u_demand]]
        )
        # greedy warm start: a good incumbent matters when the time limit bites (mid-sized p)
        x0 = np.zeros(n_x)
        x0[_greedy_pmedian(cand_cost, w, base, p=self.p)] = 1.0
        z_open = x0[cand_pos] > 0
        best_cost = np.where(np.isfinite(base), base, np.inf)
        chosen_pair = np.full(self.n_demand, -1, dtype=np.int64)
        for pair in np.flatnonzero(z_open):
            i = demand_idx[pair]
            c = cand_cost[i, cand_pos[pair]]
            if c < best_cost[i]:
                best_cost[i], chosen_pair[i] = c, pair
        z0 = np.zeros(n_z)
        z0[chosen_pair[chosen_pair >= 0]] = 1.0
        u0 = (chosen_pair[u_demand] < 0).astype(np.float64)
        result = self._solve_sites(
            objective=objective,
            matrix=a,
            row_lower=row_lower,
            row_upper=row_upper,
            maximize=False,
            time_limit_s=time_limit_s,
            start=np.concatenate([x0, z0, u0]),
            what="p-median",
        )
        self.objective = result.objective
        total_w = float(w[populated].sum())
        self.mean_cost = result.objective / total_w if total_w > 0 else 0.0
        baseline_total = float((w[has_base] * base[has_base]).sum())
        self.baseline_mean_cost = baseline_total / total_w if total_w > 0 else float("nan")
        if (populated & ~np.isfinite(base)).any():
            self.baseline_mean_cost = float("inf")
        logger.info(
            "p-median: %d new sites from %d candidates, mean cost %.3g (was %.3g), gap %.3g, %.2f s",
            self.p,
            n_x,
            self.mean_cost,
            self.baseline_mean_cost,
            self.gap,
            self.solve_seconds,
        )
        return self


def cell_ranks(model: _LocationModel) -> list[int | None]:
    """Which open site first covers each demand point, in rank order.

    Parameters
    ----------
    model
        A solved model.

    Returns
    -------
    list
        Per demand point: 0 when an existing site covers it, *k* when the rank-*k* new site is the
        first to cover it, None when no open site does.
    """
    rank = np.full(model.n_demand, -1, dtype=np.int64)
    rank[model.baseline_covered] = 0
    for k, site in enumerate(model.selected, start=1):
        reached = model.coverage[:, int(site)].nonzero()[0]
        fresh = reached[rank[reached] < 0]
        rank[fresh] = k
    return [int(r) if r >= 0 else None for r in rank]


def aggregate_demand(
    points_xy: np.ndarray, weights: np.ndarray, *, block_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Merge demand points into square blocks at their population-weighted centres.

    Parameters
    ----------
    points_xy
        (n, 2) projected coordinates.
    weights
        Population of each point.
    block_m
        Side of a block, metres.

    Returns
    -------
    (blocks_xy, population)
        Centres and population of the populated blocks.
    """
    if not block_m > 0:
        msg = f"block size must be positive, got {block_m}"
        raise ParameterError(msg)
    weights = np.asarray(weights, dtype=np.float64)
    key = np.floor(np.asarray(points_xy) / block_m).astype(np.int64)
    _, inverse = np.unique(key, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    n = int(inverse.max()) + 1 if inverse.size else 0
    total = np.bincount(inverse, weights=weights, minlength=n)
    safe = np.where(total > 0, total, 1.0)
    x = np.bincount(inverse, weights=weights * points_xy[:, 0], minlength=n) / safe
    y = np.bincount(inverse, weights=weights * points_xy[:, 1], minlength=n) / safe
    keep = total > 0
    return np.column_stack([x, y])[keep], total[keep]


# --- candidates -------------------------------------------------------------------------------


def _outline(boundary: gpd.GeoDataFrame, crs: str) -> Any:
    import shapely

    geoms = boundary.to_crs(crs).geometry
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    if geoms.empty:
        msg = "the county boundary has no geometry; check data/boundary.geojson"
        raise DataError(msg)
    outline = shapely.make_valid(shapely.union_all(geoms.to_numpy()))
    shapely.prepare(outline)
    return outline


def grid_candidates(
    boundary: gpd.GeoDataFrame, *, spacing_m: float | None = None, crs: str | None = None
) -> np.ndarray:
    """Points on a square grid inside the county outline.

    Parameters
    ----------
    boundary
        County outline (any CRS).
    spacing_m
        Grid spacing; ``settings.CANDIDATE_SPACING_M`` when None.
    crs
        Projected CRS of the returned coordinates; ``settings.WORKING_CRS`` when None.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y of the grid points inside the outline, cell-centred on multiples of the spacing.

    Raises
    ------
    ParameterError
        If the spacing is not positive.
    """
    import shapely

    spacing = settings.CANDIDATE_SPACING_M if spacing_m is None else float(spacing_m)
    if not (math.isfinite(spacing) and spacing > 0):
        msg = f"candidate spacing must be a positive number of metres, got {spacing_m}"
        raise ParameterError(msg)
    outline = _outline(boundary, crs or settings.WORKING_CRS)
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(math.floor(minx / spacing) * spacing + spacing / 2, maxx, spacing)
    ys = np.arange(math.floor(miny / spacing) * spacing + spacing / 2, maxy, spacing)
    mesh_x, mesh_y = np.meshgrid(xs, ys)
    gx, gy = mesh_x.ravel(), mesh_y.ravel()
    inside = np.asarray(shapely.contains_xy(outline, gx, gy), dtype=bool)
    return np.column_stack([gx[inside], gy[inside]])


def load_candidates(path: str | Path) -> gpd.GeoDataFrame:
    """Read candidate sites from GeoJSON, GeoPackage or CSV (``lon``/``lat`` columns, WGS-84).

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with the file's other columns.

    Raises
    ------
    DataError
        If the file is missing, unreadable, has no coordinates or holds non-point geometries.
    """
    import geopandas as gpd

    from analysis.datasets import LONLAT_COLUMNS

    file = Path(path)
    if not file.exists():
        msg = f"candidate file {file} does not exist; check the path"
        raise DataError(msg)
    if file.suffix.lower() == ".csv":
        table = pd.read_csv(file)
        cols = {c.lower(): c for c in table.columns}
        pair = next(((cols[a], cols[b]) for a, b in LONLAT_COLUMNS if a in cols and b in cols), None)
        if pair is None:
            msg = f"{file.name}: no lon/lat columns; name them 'lon' and 'lat' (WGS-84 degrees)"
            raise DataError(msg)
        lon = pd.to_numeric(table[pair[0]], errors="coerce")
        lat = pd.to_numeric(table[pair[1]], errors="coerce")
        bad = np.flatnonzero((lon.isna() | lat.isna()).to_numpy())
        if bad.size:
            msg = f"{file.name}: row {int(bad[0]) + 2} has no numeric lon/lat; fix or remove it"
            raise DataError(msg)
        return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=settings.GEOGRAPHIC_CRS)
    try:
        gdf = gpd.read_file(file)
    except (OSError, ValueError) as exc:
        msg = f"cannot read candidate file {file.name}: {exc}; use GeoJSON, GeoPackage or CSV with lon/lat"
        raise DataError(msg) from exc
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS)
    return gdf.to_crs(settings.GEOGRAPHIC_CRS)


def _deg(value: float) -> str:
    return f"{value:.5f}" if abs(value) < 1000 else f"{value:.3g}"


def candidates_xy(
    gdf_candidates: gpd.GeoDataFrame,
    boundary: gpd.GeoDataFrame,
    *,
    crs: str | None = None,
    tolerance_m: float | None = None,
) -> np.ndarray:
    """Check user candidate sites and return their projected coordinates.

    Parameters
    ----------
    gdf_candidates
        Candidate Points (with a CRS; EPSG:4326 assumed when missing).
    boundary
        County outline.
    crs
        Projected CRS of the result; ``settings.WORKING_CRS`` when None.
    tolerance_m
        How far outside the outline a candidate may lie;
        ``settings.CANDIDATE_BOUNDARY_TOLERANCE_M`` when None.

    Returns
    -------
    numpy.ndarray
        (n, 2) x, y in *crs*.

    Raises
    ------
    ParameterError
        If there are no candidates, a geometry is missing or not a Point, or a candidate lies
        outside the county (the message lists the first few by row number and lon/lat).
    """
    import shapely

    crs = crs or settings.WORKING_CRS
    tolerance = settings.CANDIDATE_BOUNDARY_TOLERANCE_M if tolerance_m is None else tolerance_m
    if len(gdf_candidates) == 0:
        msg = "the candidate list is empty; give at least one candidate site"
        raise ParameterError(msg)
    gdf = gdf_candidates.copy()
    if gdf.crs is None:
        gdf = gdf.set_crs(settings.GEOGRAPHIC_CRS)
    geom = gdf.geometry
    bad = np.flatnonzero((geom.isna() | geom.is_empty | (geom.geom_type != "Point")).to_numpy())
    if bad.size:
        msg = f"candidate {int(bad[0]) + 1} has no Point geometry; every candidate must be a point (lon, lat)"
        raise ParameterError(msg)
    projected = gdf.to_crs(crs).geometry
    xy = np.column_stack([projected.x.to_numpy(), projected.y.to_numpy()])
    area = _outline(boundary, crs).buffer(tolerance) if tolerance > 0 else _outline(boundary, crs)
    inside = shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    if not inside.all():
        outside = np.flatnonzero(~inside)
        wgs = gdf.to_crs(settings.GEOGRAPHIC_CRS).geometry
        listed = ", ".join(f"#{i + 1} ({_deg(wgs.iloc[i].x)}, {_deg(wgs.iloc[i].y)})" for i in outside[:5])
        more = f" and {outside.size - 5} more" if outside.size > 5 else ""
        msg = (
            f"{outside.size} of {len(gdf)} candidate sites lie outside the county: {listed}{more}; "
            "candidates must be inside the county outline (lon, lat in WGS-84 degrees)"
        )
        raise ParameterError(msg)
    return xy


# --- the three use cases ----------------------------------------------------------------------


@dataclass(frozen=True)
class _UseCase:
    profile: str
    direction: Literal["from_sources", "to_sources"]
    threshold_minutes: float
    assumptions: tuple[str, ...]


def _use_case(
    kind: str, *, profile: str | None, threshold_minutes: float | None, aed_walk_radius_m: float | None
) -> _UseCase:
    if kind == "ems":
        dispatch = settings.EMS_DISPATCH_MINUTES
        minutes = settings.EMS_RESPONSE_MINUTES - dispatch if threshold_minutes is None else threshold_minutes
        return _UseCase(
            profile=profile or "ambulance",
            direction="from_sources",
            threshold_minutes=minutes,
            assumptions=(
                f"急救圈 EMS circle: response {settings.EMS_RESPONSE_MINUTES:g} min = {dispatch:g} min "
                f"dispatch + {minutes:g} min drive from the station by the {profile or 'ambulance'} profile",
            ),
        )
    if kind == "facility":
        mode = profile or settings.SERVICE_CIRCLE_PROFILE
        minutes = settings.SERVICE_CIRCLE_MINUTES if threshold_minutes is None else threshold_minutes
        return _UseCase(
            profile=mode,
            direction="to_sources",
            threshold_minutes=minutes,
            assumptions=(
                f"15分钟服务圈 service circle: {minutes:g} min by {mode} to the nearest open hospital, "
                "township or community health centre (the plan does not fix the mode)",
            ),
        )
    radius_m = settings.AED_WALK_RADIUS_M if aed_walk_radius_m is None else aed_walk_radius_m
    walk_kmh = settings.DEFAULT_SPEED_KMH["walk"]
    minutes = radius_m / (walk_kmh * 1000.0 / 60.0) if threshold_minutes is None else threshold_minutes
    return _UseCase(
        profile=profile or "walk",
        direction="to_sources",
        threshold_minutes=minutes,
        assumptions=(
            f"AED access: {radius_m:g} m walking distance, taken as {minutes:.2f} min at {walk_kmh:g} km/h",
            "existing AED locations are unknown in the default data (only the reported count is known), so "
            "the baseline counts no AED coverage and new sites may duplicate existing AEDs",
            "AED candidates are the centres of populated population cells; a cell counts as covered when its "
            "centre is within the walk, which overstates coverage for cells larger than the walk",
        ),
    )


def _existing_sites(
    facilities: gpd.GeoDataFrame, kind: str, *, include_planned: bool, crs: str
) -> tuple[np.ndarray, list[str], int]:
    kinds = EXISTING_KINDS[kind]
    statuses = ("open", "planned") if include_planned else ("open",)
    rows = facilities[facilities["kind"].isin(kinds) & facilities["status"].isin(statuses)]
    located = rows[rows.geometry.notna() & ~rows.geometry.is_empty]
    if located.empty:
        return np.empty((0, 2)), [], len(rows)
    pts = located.to_crs(crs).geometry
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    return xy, [str(i) for i in located["id"]], len(rows) - len(located)


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


def _aed_default_count(total_population: float, facts: dict[str, dict[str, Any]]) -> tuple[int, str]:
    target = math.ceil(total_population / settings.PEOPLE_PER_AED)
    fact = facts.get("aed_public_count")
    have = int(fact["value"]) if fact and fact.get("value") is not None else 0
    year = fact.get("year") if fact else None
    note = (
        f"AED budget = 1 per {settings.PEOPLE_PER_AED:,} people ({target}) minus {have} reported public AEDs"
    )
    return target - have, note + (f" ({year})" if year else "")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


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
        "mclp" (maximal covering), "lscp" (fewest sites reaching *share*) or "pmedian"
        (population-weighted travel time).
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
        Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.
    include_cells
        Add ``cell_rank``: per population cell (in ``inputs.population.cells`` order), 0 when an
        existing site covers it, *k* when the rank-*k* new site is the first to cover it, None
        when it stays uncovered (for maps).
    progress
        Called with a short message before each long step.

    Returns
    -------
    dict
        JSON-able: ``kind``, ``model``, ``sites`` (ranked, each with ``rank``, ``lon``, ``lat``
        (WGS-84), ``town_code``, ``added_population``, ``cumulative_population``,
        ``cumulative_coverage``), ``baseline_coverage``, ``coverage``, ``solver``,
        ``solve_seconds``, ``gap``, ``status``, ``time_limited``, ``threshold_minutes``,
        ``profile``, ``network_source``, ``population_source``, ``assumptions`` and counts.

    Raises
    ------
    ParameterError
        Unknown kind/model/filter, a count below 1 or above the number of candidates, or
        candidates outside the county.
    SolverError
        An infeasible target or no solution within the time limit.
    """
    from pyproj import Transformer

    say = progress or (lambda _message: None)
    if kind not in KINDS:
        msg = f"unknown kind {kind!r}; use one of {', '.join(KINDS)}"
        raise ParameterError(msg)
    if model not in MODELS:
        msg = f"unknown model {model!r}; use one of {', '.join(MODELS)}"
        raise ParameterError(msg)
    if candidate_filter not in CANDIDATE_FILTERS:
        msg = f"unknown candidate filter {candidate_filter!r}; use one of {', '.join(CANDIDATE_FILTERS)}"
        raise ParameterError(msg)
    case = _use_case(
        kind, profile=profile, threshold_minutes=threshold_minutes, aed_walk_radius_m=aed_walk_radius_m
    )
    if not (math.isfinite(case.threshold_minutes) and case.threshold_minutes > 0):
        msg = f"threshold must be a positive number of minutes, got {case.threshold_minutes}"
        raise ParameterError(msg)
    assumptions = list(case.assumptions)
    crs = travel.crs
    population = inputs.population
    weights = population.populations
    total = float(weights.sum())
    if kind == "aed" and count is None and model != "lscp":
        count, note = _aed_default_count(total, inputs.facts)
        assumptions.append(note)
        if count < 1:
            msg = "the reported AEDs already meet 1 per 10,000 people; pass count= to site more"
            raise ParameterError(msg)
    if model != "lscp" and count is None:
        msg = f"count (number of new sites) is required for kind {kind!r}"
        raise ParameterError(msg)

    say("preparing population cells and candidate sites")
    cells_xy = population.points_xy(crs)
    existing_xy, existing_ids, unlocated = _existing_sites(
        inputs.facilities, kind, include_planned=include_planned, crs=crs
    )
    assumptions.append(
        f"{len(existing_ids)} existing {kind} sites kept open"
        + (f"; {unlocated} more without a known location are not counted" if unlocated else "")
    )
    if candidates is not None:
        cand_xy = candidates_xy(candidates, inputs.boundary, crs=crs)
        candidate_source = f"{len(cand_xy)} user-supplied candidate sites"
    elif kind == "aed":
        cand_xy = cells_xy[weights > 0]
        candidate_source = f"centres of the {len(cand_xy)} populated population cells"
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
    if candidates is None and kind != "aed" and candidate_filter == "uncovered" and existing.size:
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
    if n_cand == 0:
        msg = "no candidate sites are left; supply candidates or use candidate_filter='all'"
        raise ParameterError(msg)

    say(f"solving {model.upper()} with HiGHS over {n_cand} candidates")
    solved: MaximalCovering | SetCovering | PMedian
    pmedian: PMedian | None = None
    if model == "mclp":
        solved = MaximalCovering.from_cost_matrix(
            cost, weights, threshold=case.threshold_minutes, p=int(count or 0), existing=existing
        )
        solved.solve(time_limit_s=time_limit_s)
    elif model == "lscp":
        solved = SetCovering.from_cost_matrix(
            cost, weights, threshold=case.threshold_minutes, share=share, existing=existing
        )
        solved.solve(time_limit_s=time_limit_s)
    else:
        cutoff = case.threshold_minutes * settings.PMEDIAN_CUTOFF_FACTOR
        block_m = settings.PMEDIAN_DEMAND_BLOCK_M
        blocks_xy, block_population = aggregate_demand(cells_xy, weights, block_m=block_m)
        block_cost = travel.matrix(
            sites_xy, blocks_xy, profile=case.profile, direction=case.direction, cutoff_minutes=cutoff
        ).T
        pmedian = PMedian.from_cost_matrix(
            block_cost,
            block_population,
            threshold=case.threshold_minutes,
            p=int(count or 0),
            existing=existing,
            unserved_cost=cutoff,
        ).solve(time_limit_s=time_limit_s)
        # rank and report coverage on the full cells, as for the covering models
        solved = MaximalCovering.from_cost_matrix(
            cost, weights, threshold=case.threshold_minutes, p=pmedian.p, existing=existing
        )
        solved._rank(pmedian.selected)
        solved._finish_from(pmedian)
        assumptions.append(
            f"p-median: travel beyond {cutoff:g} min counts as {cutoff:g} min "
            f"({settings.PMEDIAN_CUTOFF_FACTOR:g} × the threshold); population cells are merged into "
            f"{block_m:g} m blocks (population-weighted centres) for the optimisation"
        )

    table = solved.marginal_gains()
    chosen_xy = cand_xy[table["site"].to_numpy(dtype=np.int64)] if len(table) else np.empty((0, 2))
    to_wgs = Transformer.from_crs(crs, settings.GEOGRAPHIC_CRS, always_xy=True)
    lon_t, lat_t = to_wgs.transform(chosen_xy[:, 0], chosen_xy[:, 1])
    lon = np.atleast_1d(np.asarray(lon_t, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat_t, dtype=np.float64))
    towns = _town_codes(lon, lat, inputs.towns)
    added = table["added_population"].to_numpy(dtype=np.float64)
    cum_pop = table["cumulative_population"].to_numpy(dtype=np.float64)
    cum_cov = table["cumulative_coverage"].to_numpy(dtype=np.float64)
    sites = [
        {
            "rank": i + 1,
            "lon": round(float(lon[i]), 6),
            "lat": round(float(lat[i]), 6),
            "town_code": towns[i],
            "added_population": round(float(added[i]), 1),
            "cumulative_population": round(float(cum_pop[i]), 1),
            "cumulative_coverage": round(float(cum_cov[i]), 6),
        }
        for i in range(len(table))
    ]
    assumptions.append("a population cell counts as covered when its centre is within the threshold")
    if population.modelled:
        assumptions.append(f"population is modelled: {population.source}")
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
        "gap": _finite(solved.gap),
        "network_source": travel.network_source,
        "population_source": population.source,
        "assumptions": assumptions,
    }
    if include_cells:
        doc["cell_rank"] = cell_ranks(solved)
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


SITE_COLUMNS: tuple[str, ...] = (
    "rank",
    "lon",
    "lat",
    "town_code",
    "added_population",
    "cumulative_population",
    "cumulative_coverage",
)


def sites_frame(document: dict[str, Any]) -> pd.DataFrame:
    """The ranked sites of a :func:`recommend_sites` document as a table.

    Parameters
    ----------
    document
        Output of :func:`recommend_sites`.

    Returns
    -------
    pandas.DataFrame
        One row per site with the columns of ``SITE_COLUMNS`` plus ``kind`` and ``model``.
    """
    frame = pd.DataFrame(document["sites"], columns=list(SITE_COLUMNS))
    frame.insert(0, "kind", document["kind"])
    frame.insert(1, "model", document["model"])
    return frame


def sites_geojson(document: dict[str, Any]) -> dict[str, Any]:
    """The ranked sites of a :func:`recommend_sites` document as a GeoJSON FeatureCollection.

    Parameters
    ----------
    document
        Output of :func:`recommend_sites`.

    Returns
    -------
    dict
        FeatureCollection of Points (WGS-84) with the site fields as properties; the other
        fields of the document are kept under the foreign member ``metadata``.
    """
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [site["lon"], site["lat"]]},
            "properties": dict(site),
        }
        for site in document["sites"]
    ]
    metadata = {key: value for key, value in document.items() if key != "sites"}
    return {"type": "FeatureCollection", "features": features, "metadata": metadata}
