"""What every location model shares: input checks, existing sites, ranking and the two constructors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import settings
from analysis.errors import CRSError, DataError, ParameterError
from analysis.siting.gains import coverage_matrix, greedy_maximal_covering
from analysis.siting.solver import OPEN_TOLERANCE, SOLVER_NAME, MilpResult, solve_milp

if TYPE_CHECKING:
    import geopandas as gpd

    from analysis.siting.budget import Budget
    from analysis.travel import TravelModel


def linked_rows(
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


def as_index_array(existing: Sequence[int] | np.ndarray | None, n_sites: int) -> np.ndarray:
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


class LocationModel:
    """Shared state and results of the three models (not used directly)."""

    name: ClassVar[str] = "location"

    #: Whether the model needs only who covers whom (and so can be built from a sparse coverage matrix).
    accepts_coverage: ClassVar[bool] = False

    def __init__(
        self,
        cost: np.ndarray | None,
        weights: np.ndarray,
        *,
        threshold: float,
        existing: Sequence[int] | np.ndarray | None = None,
        coverage: sp.spmatrix | None = None,
    ) -> None:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if coverage is not None:
            if cost is not None:
                msg = "give a cost matrix or a coverage matrix, not both"
                raise ParameterError(msg)
            self.coverage = sp.csc_matrix(coverage, dtype=bool)
            self.coverage.eliminate_zeros()
            shape = self.coverage.shape
            what = "coverage"
        else:
            if cost is None:
                msg = "a cost matrix (or, for covering models, a coverage matrix) is required"
                raise ParameterError(msg)
            cost = np.asarray(cost, dtype=np.float64)
            if cost.ndim != 2:
                msg = f"cost must be a 2-D demand × site matrix, got shape {cost.shape}"
                raise ParameterError(msg)
            if np.any(np.isnan(cost)) or np.any(cost < 0):
                msg = "cost matrix has negative or NaN travel costs; use inf for unreachable pairs"
                raise ParameterError(msg)
            shape = cost.shape
            what = "cost"
        if weights.size != shape[0]:
            msg = f"weights has {weights.size} entries but the {what} matrix has {shape[0]} demand rows"
            raise ParameterError(msg)
        if np.any(~np.isfinite(weights)) or np.any(weights < 0):
            msg = "weights (population) must be finite and non-negative; fix the population column"
            raise ParameterError(msg)
        if not (math.isfinite(threshold) and threshold >= 0):
            msg = f"threshold must be a finite non-negative number, got {threshold}"
            raise ParameterError(msg)
        #: Demand × site costs; None when the model was built from a coverage matrix.
        self.cost: np.ndarray | None = cost
        self.weights = weights
        self.threshold = float(threshold)
        self.n_demand, self.n_sites = int(shape[0]), int(shape[1])
        self.existing = as_index_array(existing, self.n_sites)
        is_existing = np.zeros(self.n_sites, dtype=bool)
        is_existing[self.existing] = True
        #: Column indices of the sites that may be opened.
        self.candidates = np.flatnonzero(~is_existing).astype(np.int64)
        if cost is not None:
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
        #: Best bound on the objective proven by the solver (same units as ``objective``).
        self.bound = float("nan")
        self.status = "not solved"
        self.time_limited = False
        self.solve_seconds = 0.0
        self.solver = SOLVER_NAME

    def dense_cost(self) -> np.ndarray:
        """The demand × site cost matrix (models built from coverage alone have none)."""
        if self.cost is None:
            msg = f"the {self.name} model was built from a coverage matrix and has no travel costs"
            raise ParameterError(msg)
        return self.cost

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
        budget: Budget | None = None,
        objective_offset: float = 0.0,
        objective_name: str = "objective",
        col_lower_override: np.ndarray | None = None,
    ) -> MilpResult:
        """Solve a model whose columns are the candidates' binaries then continuous ones, all in [0, 1].

        Ranks the candidates the solution opens and records the solver's status, gap and time.
        """
        n_x, n_col = self.candidates.size, objective.size
        result = solve_milp(
            objective=objective,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_col) if col_lower_override is None else col_lower_override,
            col_upper=np.ones(n_col),
            integer=np.arange(n_col) < n_x,
            maximize=maximize,
            time_limit_s=time_limit_s,
            start=start,
            what=what,
            budget=budget,
            objective_offset=objective_offset,
            objective_name=objective_name,
        )
        self._rank(self.candidates[result.x[:n_x] > OPEN_TOLERANCE])
        self.gap = result.gap
        self.bound = result.bound + objective_offset
        self.status = result.status
        self.time_limited = result.time_limited
        self.solve_seconds = result.seconds
        return result

    def _finish_from(self, other: LocationModel) -> None:
        self.gap = other.gap
        self.bound = other.bound
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
    def from_coverage_matrix(
        cls,
        coverage: sp.spmatrix,
        weights: np.ndarray,
        *,
        threshold: float,
        existing: Sequence[int] | np.ndarray | None = None,
        **options: Any,
    ) -> Self:
        """Build a covering model from a sparse demand × site coverage matrix, never densifying it.

        For demand too fine for a dense matrix (e.g. AED demand every 100 m: tens of thousands of points
        and as many candidates); the HiGHS formulation and the ranking are those of
        :meth:`from_cost_matrix`.

        Parameters
        ----------
        coverage
            Boolean (or 0/1) scipy.sparse matrix, shape (n_demand, n_sites): true where the site covers
            the demand point. Existing and candidate sites share the columns.
        weights
            Population of each demand point.
        threshold
            The reach the coverage was built with (e.g. metres of walk), for messages only.
        existing
            Column indices (or a boolean mask) of existing sites, forced open; none when None.
        **options
            Model options: ``p`` (MCLP), ``share`` (LSCP).

        Returns
        -------
        MaximalCovering | SetCovering

        Raises
        ------
        ParameterError
            The model needs travel costs (p-median, MEXCLP, backup covering), or shapes disagree.
        """
        if not cls.accepts_coverage:
            msg = (
                f"the {cls.name} model needs travel costs, not only who covers whom; build it with "
                "from_cost_matrix"
            )
            raise ParameterError(msg)
        if not sp.issparse(coverage):
            msg = "coverage must be a scipy.sparse matrix (demand × site)"
            raise ParameterError(msg)
        return cls(None, weights, threshold=threshold, existing=existing, coverage=coverage, **options)

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
