"""Maximal covering (MCLP): ``p`` new sites that add the most population within the threshold."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from analysis.siting.gains import greedy_maximal_covering
from analysis.siting.models.base import LocationModel, linked_rows

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)


class MaximalCovering(LocationModel):
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
    accepts_coverage: ClassVar[bool] = True

    def __init__(
        self,
        cost: np.ndarray | None,
        weights: np.ndarray,
        *,
        threshold: float,
        p: int,
        existing: Sequence[int] | np.ndarray | None = None,
        coverage: sp.spmatrix | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing, coverage=coverage)
        self.p = self._check_p(p)

    def solve(
        self,
        *,
        time_limit_s: float | None = None,
        budget: Budget | None = None,
        start_sites: np.ndarray | None = None,
    ) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population added.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None. A time-limited run
            keeps its best solution and reports ``time_limited`` and the MIP ``gap``.
        budget
            Wall-clock budget shared with the caller's earlier steps; the solver gets what is left and
            reports progress through it.
        start_sites
            Column indices of a known solution (e.g. the best of an earlier, time-limited run) to start
            from; used when it has ``p`` candidate sites and covers more than the greedy start.

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
        a, row_lower, row_upper = linked_rows(
            cov, np.concatenate([np.ones(n_x), np.zeros(n_y)]), lower=self.p, upper=self.p
        )
        objective = np.concatenate([np.zeros(n_x), self.weights[active]])
        # greedy warm start: a good incumbent helps when the time limit bites
        greedy_sites, _ = greedy_maximal_covering(
            self.coverage, self.weights, p=self.p, candidates=cand, covered=self.baseline_covered
        )
        x0 = np.isin(cand, greedy_sites).astype(np.float64)
        y0 = np.minimum(np.asarray(cov @ x0).ravel(), 1.0)
        if start_sites is not None:
            given = np.isin(cand, np.asarray(start_sites, dtype=np.int64)).astype(np.float64)
            given_y = np.minimum(np.asarray(cov @ given).ravel(), 1.0)
            if given.sum() == self.p and self.weights[active] @ given_y > self.weights[active] @ y0:
                x0, y0 = given, given_y
        result = self._solve_sites(
            objective=objective,
            matrix=a,
            row_lower=row_lower,
            row_upper=row_upper,
            maximize=True,
            time_limit_s=time_limit_s,
            start=np.concatenate([x0, y0]),
            what="maximal covering",
            budget=budget,
            objective_offset=self.baseline_population,
            objective_name="covered population",
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
