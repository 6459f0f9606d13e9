"""Expected coverage with busy ambulances (MEXCLP, Daskin 1983): where *k* more ambulances help most.

Each ambulance is busy a fraction ``q`` of the time, independently of the others (Daskin's assumption),
so a demand point within reach of *m* ambulances is covered with probability ``1 - q**m``. Given the
ambulances already at each station, the model places ``k`` more at existing stations or new sites to
maximise the expected covered population::

    max  sum_i w_i sum_{t=1..k} (1 - q) q**(A_i + t - 1) y_it
    s.t. sum_t y_it <= sum_{j in N_i} z_j,   sum_j z_j = k,   z_j in {0, 1, 2, ...},   0 <= y_it <= 1

where ``A_i`` is the number of ambulances already within reach of *i* and ``z_j`` the ambulances added
at site *j*. The coefficients fall with *t*, so the relaxed ``y`` fill in order and only ``z`` need be
integer. The added ambulances are then ranked greedily by the expected population each adds, which
never rises down the table (expected coverage is concave in the number of ambulances).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis import settings
from analysis.errors import ParameterError
from analysis.siting.gains import dominated_columns
from analysis.siting.models.base import LocationModel
from analysis.siting.solver import solve_milp

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)


def busy_fraction(*, calls_per_year: float, minutes_per_call: float, ambulances: int) -> float:
    """Daskin's (1983) system-wide busy fraction: the fleet's busy time over its available time.

    Parameters
    ----------
    calls_per_year
        Ambulance dispatches a year.
    minutes_per_call
        Mean time an ambulance is committed to one call (dispatch to back in service), minutes.
    ambulances
        Ambulances in service.

    Returns
    -------
    float
        ``calls × minutes / (ambulances × 525,600)``.

    Raises
    ------
    ParameterError
        Non-positive inputs, or a fleet busier than all of its time (q >= 1).
    """
    if not (calls_per_year > 0 and minutes_per_call > 0 and ambulances >= 1):
        msg = "calls_per_year, minutes_per_call and ambulances must be positive"
        raise ParameterError(msg)
    q = calls_per_year * minutes_per_call / (ambulances * 365.0 * 24.0 * 60.0)
    if q >= 1.0:
        msg = f"the fleet would be busy {q:.0%} of the time; check the call count, minutes and ambulances"
        raise ParameterError(msg)
    return float(q)


def expected_coverage(counts: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Expected covered population when demand point *i* is reached by ``counts[i]`` ambulances.

    Parameters
    ----------
    counts
        Ambulances within reach of each demand point.
    weights
        Population of each demand point.
    q
        Busy fraction.

    Returns
    -------
    float
        ``sum_i w_i (1 - q**counts_i)``.
    """
    return float(np.asarray(weights, dtype=np.float64) @ (1.0 - q ** np.asarray(counts, dtype=np.float64)))


class ExpectedCovering(LocationModel):
    """MEXCLP with the ambulances already stationed kept: where to put ``k`` more.

    Columns are sites: existing stations (with their ambulances) and candidate sites (none yet); an added
    ambulance may go to either. A candidate site that gets one becomes a new station.

    Parameters
    ----------
    cost, weights, threshold, existing
        As in :meth:`from_cost_matrix`.
    k
        Ambulances to add.
    existing_ambulances
        Ambulances at each existing site, in the order of *existing* (whole numbers; an unknown count
        is refused: it would make every expected value a guess).
    busy_fraction
        Share of time an ambulance is busy, in (0, 1); ``settings.BUSY_FRACTION`` when None.
    max_per_site
        Most ambulances one site may hold after the additions; no limit when None.
    """

    name: ClassVar[str] = "mexclp"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        k: int,
        existing: Sequence[int] | np.ndarray | None = None,
        existing_ambulances: Sequence[float] | np.ndarray | None = None,
        busy_fraction: float | None = None,
        max_per_site: int | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing)
        if isinstance(k, bool) or int(k) != k or k < 1:
            msg = f"the number of added ambulances must be a whole number of at least 1, got {k!r}"
            raise ParameterError(msg)
        self.k = self.p = int(k)
        q = settings.BUSY_FRACTION if busy_fraction is None else float(busy_fraction)
        if not (0.0 < q < 1.0):
            msg = f"busy_fraction must be between 0 and 1 (exclusive), got {q}; e.g. 0.3"
            raise ParameterError(msg)
        self.q = q
        given = (
            np.zeros(self.existing.size)
            if existing_ambulances is None
            else np.asarray(existing_ambulances, dtype=np.float64)
        )
        if given.size != self.existing.size:
            msg = f"existing_ambulances has {given.size} entries for {self.existing.size} existing sites"
            raise ParameterError(msg)
        if np.any(~np.isfinite(given)):
            unknown = [int(self.existing[i]) for i in np.flatnonzero(~np.isfinite(given))]
            msg = (
                f"the ambulances at existing sites {unknown} are unknown; expected coverage needs every "
                "station's count: give them (e.g. from the 120 centre's roster)"
            )
            raise ParameterError(msg)
        if np.any(given < 0) or np.any(given != np.round(given)):
            msg = "existing_ambulances must be whole numbers of at least 0"
            raise ParameterError(msg)
        #: Ambulances at every site column before the additions.
        self.stationed = np.zeros(self.n_sites, dtype=np.int64)
        self.stationed[self.existing] = given.astype(np.int64)
        if max_per_site is not None and (max_per_site < 1 or int(max_per_site) != max_per_site):
            msg = f"max_per_site must be a whole number of at least 1, got {max_per_site!r}"
            raise ParameterError(msg)
        self.max_per_site = None if max_per_site is None else int(max_per_site)
        room = np.full(self.n_sites, self.k, dtype=np.int64)
        if self.max_per_site is not None:
            room = np.minimum(room, np.maximum(self.max_per_site - self.stationed, 0))
        if room.sum() < self.k:
            msg = f"only {int(room.sum())} more ambulances fit under max_per_site={max_per_site}; raise it"
            raise ParameterError(msg)
        self.room = room
        a = sp.csr_matrix(self.coverage, dtype=np.float64)
        #: Ambulances within reach of each demand point before the additions.
        self.reach_before = np.asarray(a @ self.stationed.astype(np.float64)).ravel().round().astype(np.int64)
        self.baseline_population = expected_coverage(self.reach_before, self.weights, self.q)
        #: Added ambulances per site column after solving.
        self.allocation = np.zeros(self.n_sites, dtype=np.int64)
        #: Deterministic coverage (any ambulance within reach) before and after, for comparison with MCLP.
        self.baseline_any = float(self.weights[self.reach_before > 0].sum())

    @classmethod
    def from_cost_matrix(  # type: ignore[override]
        cls,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        k: int,
        existing: Sequence[int] | np.ndarray | None = None,
        existing_ambulances: Sequence[float] | np.ndarray | None = None,
        busy_fraction: float | None = None,
        max_per_site: int | None = None,
    ) -> Self:
        """Build the model from a demand × site cost matrix (existing and candidate sites share it).

        Parameters
        ----------
        cost
            Travel cost, shape (n_demand, n_sites); ``inf`` where unreachable.
        weights
            Population of each demand point.
        threshold
            Largest cost that counts as within reach.
        k
            Ambulances to add.
        existing
            Column indices (or a boolean mask) of existing stations.
        existing_ambulances
            Ambulances at each existing station, in the order of *existing*.
        busy_fraction
            q; ``settings.BUSY_FRACTION`` when None.
        max_per_site
            Most ambulances at one site; no limit when None.

        Returns
        -------
        ExpectedCovering

        Raises
        ------
        ParameterError
            Bad shapes, an unknown or negative ambulance count, q outside (0, 1), k < 1.
        """
        return cls(
            cost,
            weights,
            threshold=threshold,
            k=k,
            existing=existing,
            existing_ambulances=existing_ambulances,
            busy_fraction=busy_fraction,
            max_per_site=max_per_site,
        )

    def _gains(self, reach: np.ndarray) -> np.ndarray:
        """Expected population one more ambulance at each column adds, given *reach* per demand point."""
        per_demand = self.weights * (1.0 - self.q) * self.q ** reach.astype(np.float64)
        return np.asarray(self.coverage.T.astype(np.float64) @ per_demand).ravel()

    def greedy(self, *, allowed: np.ndarray | None = None) -> np.ndarray:
        """Add the ``k`` ambulances one at a time where each adds most (Daskin's heuristic); allocation.

        Parameters
        ----------
        allowed
            Boolean mask of the site columns that may get one; all when None.

        Returns
        -------
        numpy.ndarray
            Added ambulances per site column.
        """
        reach = self.reach_before.copy()
        allocation = np.zeros(self.n_sites, dtype=np.int64)
        cov = sp.csc_matrix(self.coverage)
        for _ in range(self.k):
            gain = self._gains(reach)
            gain[allocation >= self.room] = -1.0
            if allowed is not None:
                gain[~allowed] = -1.0
            best = int(np.argmax(gain))
            allocation[best] += 1
            reach[cov[:, best].nonzero()[0]] += 1
        return allocation

    def solve(self, *, time_limit_s: float | None = None, budget: Budget | None = None) -> Self:
        """Solve with HiGHS, then rank the added ambulances by the expected population each adds.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.
        budget
            Wall-clock budget shared with the caller's earlier steps.

        Returns
        -------
        ExpectedCovering
            This model: ``allocation`` (added per site), ``selected`` (a site per added ambulance, by
            rank), ``added_population`` (expected people each adds), ``gap`` and timings.

        Raises
        ------
        SolverError
            If HiGHS finds no solution in time.
        """
        k, q = self.k, self.q
        reachable = np.asarray(self.coverage.sum(axis=1)).ravel() > 0
        active = np.flatnonzero(reachable & (self.weights > 0))
        # a site reaching a subset of another's people never gains more: model only the others
        is_existing = np.zeros(self.n_sites, dtype=bool)
        is_existing[self.existing] = True
        dominated = dominated_columns(self.coverage, self.weights, keep=is_existing)
        if self.max_per_site is not None:
            dominated[:] = False  # capacities make a dominated site useful again
        columns = np.flatnonzero(~dominated)
        cov_all = sp.csr_matrix(self.coverage[active][:, columns], dtype=np.float64)  # active demand × sites
        # demand points reached by the same sites with the same ambulances are one point (weights summed)
        _groups, first, weight = _merge_rows(cov_all, self.reach_before[active], self.weights[active])
        cov = cov_all[first]
        reach_start = self.reach_before[active][first]
        n_z, n_i = columns.size, first.size
        levels = np.arange(1, k + 1)
        # y columns ordered demand-major: y[i, t] at n_z + i * k + (t - 1)
        coef = (
            weight[:, None] * (1.0 - q) * q ** (reach_start[:, None] + levels[None, :] - 1).astype(np.float64)
        )
        rows_y = np.repeat(np.arange(n_i), k)
        y_block = sp.csr_matrix((np.ones(n_i * k), (rows_y, np.arange(n_i * k))), shape=(n_i, n_i * k))
        link = sp.hstack([-cov, y_block], format="csr")
        total = sp.csr_matrix(np.concatenate([np.ones(n_z), np.zeros(n_i * k)])[None, :])
        matrix = sp.vstack([link, total], format="csc")
        row_lower = np.concatenate([np.full(n_i, -np.inf), [k]])
        row_upper = np.concatenate([np.zeros(n_i), [k]])
        objective = np.concatenate([np.zeros(n_z), coef.ravel()])
        z0 = self.greedy(allowed=~dominated)[columns].astype(np.float64)
        reach0 = np.asarray(cov @ z0).ravel()
        y0 = (levels[None, :] <= reach0[:, None]).astype(np.float64).ravel()
        result = solve_milp(
            objective=objective,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.zeros(n_z + n_i * k),
            col_upper=np.concatenate([self.room[columns].astype(np.float64), np.ones(n_i * k)]),
            integer=np.arange(n_z + n_i * k) < n_z,
            maximize=True,
            time_limit_s=time_limit_s,
            start=np.concatenate([z0, y0]),
            what="expected covering (MEXCLP)",
            budget=budget,
            objective_offset=self.baseline_population,
            objective_name="expected covered population",
        )
        self.allocation = np.zeros(self.n_sites, dtype=np.int64)
        self.allocation[columns] = np.round(result.x[:n_z]).astype(np.int64)
        self._rank_ambulances()
        self.objective = self.baseline_population + result.objective
        self.gap, self.bound = result.gap, result.bound + self.baseline_population
        self.status, self.time_limited, self.solve_seconds = (
            result.status,
            result.time_limited,
            result.seconds,
        )
        logger.info(
            "MEXCLP: %d ambulances (q=%.2f) at %d sites, expected coverage %.0f → %.0f, gap %.3g, %.2f s",
            k,
            q,
            int((self.allocation > 0).sum()),
            self.baseline_population,
            self.covered_population,
            self.gap,
            self.solve_seconds,
        )
        return self

    def _rank_ambulances(self) -> None:
        """Order the added ambulances by the expected population each adds, greedily from the start."""
        reach = self.reach_before.copy()
        left = self.allocation.copy()
        cov = sp.csc_matrix(self.coverage)
        order: list[int] = []
        gains: list[float] = []
        for _ in range(int(left.sum())):
            gain = self._gains(reach)
            gain[left <= 0] = -np.inf
            best = int(np.argmax(gain))  # first column on ties: reproducible
            order.append(best)
            gains.append(float(gain[best]))
            left[best] -= 1
            reach[cov[:, best].nonzero()[0]] += 1
        self.selected = np.asarray(order, dtype=np.int64)
        self.added_population = np.asarray(gains, dtype=np.float64)
        self.reach_after = reach

    @property
    def covered_population(self) -> float:
        """Expected covered population after the additions."""
        return self.baseline_population + float(self.added_population.sum())

    @property
    def covered_any(self) -> float:
        """Population within reach of at least one ambulance after the additions (MCLP's measure)."""
        reach = getattr(self, "reach_after", self.reach_before)
        return float(self.weights[reach > 0].sum())

    def marginal_gains(self) -> pd.DataFrame:
        """The ranked table of added ambulances.

        Returns
        -------
        pandas.DataFrame
            One row per added ambulance: ``rank``, ``site`` (column), ``existing`` (an existing station),
            ``added_population`` (expected people it adds), ``cumulative_population`` (expected covered,
            baseline included) and ``cumulative_coverage`` (share of the total population).
        """
        table = super().marginal_gains()
        table.insert(2, "existing", np.isin(self.selected, self.existing))
        return table

    def expected_share(self) -> tuple[float, float]:
        """Expected covered share of the population before and after."""
        total = self.total_population
        if not total > 0:
            return 0.0, 0.0
        return self.baseline_population / total, self.covered_population / total


def _merge_rows(
    cov: sp.csr_matrix, reach: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group rows with the same columns and the same reach: (group of each row, first row, group weight)."""
    keys: dict[tuple[int, bytes], int] = {}
    groups = np.empty(cov.shape[0], dtype=np.int64)
    indptr, indices = cov.indptr, cov.indices
    for i in range(cov.shape[0]):
        key = (int(reach[i]), np.sort(indices[indptr[i] : indptr[i + 1]]).tobytes())
        groups[i] = keys.setdefault(key, len(keys))
    first = np.full(len(keys), -1, dtype=np.int64)
    first[groups[::-1]] = np.arange(cov.shape[0])[::-1]
    weight = np.bincount(groups, weights=weights, minlength=len(keys))
    return groups, first, weight
