"""p-median: ``p`` new sites that minimise population-weighted travel time."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from analysis.errors import ParameterError, SolverError
from analysis.siting.gains import greedy_pmedian
from analysis.siting.models.base import LocationModel

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)


class PMedian(LocationModel):
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

    def solve(self, *, time_limit_s: float | None = None, budget: Budget | None = None) -> Self:
        """Solve with HiGHS, then rank the chosen sites by marginal population covered.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.
        budget
            Wall-clock budget shared with the caller's earlier steps; the solver gets what is left and
            reports progress through it.

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
        cost = self.dense_cost()
        base = cost[:, self.existing].min(axis=1) if self.existing.size else np.full(self.n_demand, np.inf)
        if self.unserved_cost is not None:
            base = np.minimum(base, self.unserved_cost)
        cand_cost = cost[:, cand]
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
        x0[greedy_pmedian(cand_cost, w, base, p=self.p)] = 1.0
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
            budget=budget,
            objective_name="population-weighted travel cost",
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
