"""Backup covering (Hogan and ReVelle 1986, BACOP2): new stations that add first *and* second coverage.

A demand point within reach of two stations still has one when the first is busy. With existing
stations kept, choose ``p`` new sites to maximise::

    theta * (people within reach of >= 1 station) + (1 - theta) * (people within reach of >= 2)

    s.t. y1_i + y2_i <= sum_{j in N_i} x_j + e_i,   y2_i <= y1_i,   sum_j x_j = p,
         x_j in {0, 1},   0 <= y1_i, y2_i <= 1

where ``e_i`` counts the existing stations within reach of *i* (capped at 2).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from analysis import settings
from analysis.errors import ParameterError
from analysis.siting.models.base import LocationModel

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)


class BackupCovering(LocationModel):
    """Backup covering with existing stations fixed.

    Parameters
    ----------
    cost, weights, threshold, existing
        As in :meth:`from_cost_matrix`.
    p
        New stations to open.
    primary_weight
        theta in [0, 1]: weight of first coverage; ``settings.BACKUP_PRIMARY_WEIGHT`` when None.
    """

    name: ClassVar[str] = "backup"

    def __init__(
        self,
        cost: np.ndarray,
        weights: np.ndarray,
        *,
        threshold: float,
        p: int,
        existing: Sequence[int] | np.ndarray | None = None,
        primary_weight: float | None = None,
    ) -> None:
        super().__init__(cost, weights, threshold=threshold, existing=existing)
        self.p = self._check_p(p)
        theta = settings.BACKUP_PRIMARY_WEIGHT if primary_weight is None else float(primary_weight)
        if not (0.0 <= theta <= 1.0):
            msg = f"primary_weight must be in [0, 1], got {theta}"
            raise ParameterError(msg)
        self.primary_weight = theta
        cov = sp.csr_matrix(self.coverage, dtype=np.float64)
        #: Existing stations within reach of each demand point.
        self.existing_reach = np.asarray(cov[:, self.existing].sum(axis=1)).ravel().round().astype(np.int64)
        self.baseline_backup = float(self.weights[self.existing_reach >= 2].sum())
        self.backup_population = self.baseline_backup

    def solve(self, *, time_limit_s: float | None = None, budget: Budget | None = None) -> Self:
        """Solve with HiGHS, then rank the new stations by first coverage added.

        Parameters
        ----------
        time_limit_s
            Solver time limit; ``settings.SOLVER_TIME_LIMIT_S`` when None.
        budget
            Wall-clock budget shared with the caller's earlier steps.

        Returns
        -------
        BackupCovering
            This model; ``backup_population`` is the population within reach of two or more stations.
        """
        theta = self.primary_weight
        cand = self.candidates
        sub = sp.csr_matrix(self.coverage[:, cand], dtype=np.float64)
        reachable = np.asarray(sub.sum(axis=1)).ravel() > 0
        active = np.flatnonzero(reachable & (self.weights > 0) & (self.existing_reach < 2))
        n_x, n_i = cand.size, active.size
        e = np.minimum(self.existing_reach[active], 2).astype(np.float64)
        cov = sub[active, :]
        eye = sp.identity(n_i, format="csr")
        # columns x | y1 | y2 ; rows: y1 + y2 - sum x <= e ; y2 - y1 <= 0 ; sum x = p
        link = sp.hstack([-cov, eye, eye], format="csr")
        order = sp.hstack([sp.csr_matrix((n_i, n_x)), -eye, eye], format="csr")
        total = sp.csr_matrix(np.concatenate([np.ones(n_x), np.zeros(2 * n_i)])[None, :])
        matrix = sp.vstack([link, order, total], format="csc")
        row_lower = np.concatenate([np.full(2 * n_i, -np.inf), [self.p]])
        row_upper = np.concatenate([e, np.zeros(n_i), [self.p]])
        w = self.weights[active]
        objective = np.concatenate([np.zeros(n_x), theta * w, (1.0 - theta) * w])
        # y1 of demand already covered once is fixed at 1 by its bound; the objective constant is left out
        y1_lower = (e >= 1).astype(np.float64)
        result = self._solve_sites(
            objective=objective,
            matrix=matrix,
            row_lower=row_lower,
            row_upper=row_upper,
            maximize=True,
            time_limit_s=time_limit_s,
            what="backup covering",
            budget=budget,
            objective_name="weighted first and backup coverage",
            col_lower_override=np.concatenate([np.zeros(n_x), y1_lower, np.zeros(n_i)]),
        )
        self.objective = result.objective
        reach = self.existing_reach + np.asarray(
            sp.csr_matrix(self.coverage, dtype=np.float64)[:, self.selected].sum(axis=1)
        ).ravel().round().astype(np.int64)
        self.backup_population = float(self.weights[reach >= 2].sum())
        logger.info(
            "backup covering: %d new sites, first coverage %.0f → %.0f, backup %.0f → %.0f, gap %.3g",
            self.p,
            self.baseline_population,
            self.covered_population,
            self.baseline_backup,
            self.backup_population,
            self.gap,
        )
        return self
