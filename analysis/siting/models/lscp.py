"""Set covering (LSCP): the fewest new sites reaching a target share of the population."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from analysis.errors import ParameterError, SolverError
from analysis.siting.models.base import LocationModel, linked_rows

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)


class SetCovering(LocationModel):
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
    accepts_coverage: ClassVar[bool] = True

    def __init__(
        self,
        cost: np.ndarray | None,
        weights: np.ndarray,
        *,
        threshold: float,
        share: float = 1.0,
        existing: Sequence[int] | np.ndarray | None = None,
        coverage: sp.spmatrix | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing, coverage=coverage)
        if not (0.0 < share <= 1.0):
            msg = f"share must be in (0, 1], got {share}; e.g. 1.0 for full or 0.95 for 95% coverage"
            raise ParameterError(msg)
        self.share = float(share)
        self.p = 0

    def solve(self, *, time_limit_s: float | None = None, budget: Budget | None = None) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population added.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.
        budget
            Wall-clock budget shared with the caller's earlier steps; the solver gets what is left and
            reports progress through it.

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
            a, row_lower, row_upper = linked_rows(
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
            budget=budget,
            objective_name="new sites",
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
